"""One schema per shape (decision 0013): the /api/v1 bodies and parameters as pydantic models, used both
to validate requests and to generate /api/v1/openapi.json (app/api/openapi.py).

wire: the field types and the mapping of pydantic's errors to our codes; sync: the sync protocol;
bodies: the other JSON bodies; params: query strings; responses: what the routes answer;
routes: every /api/v1 operation and its schemas (a new route adds one entry there).
"""
