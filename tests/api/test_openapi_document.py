"""The OpenAPI document is generated from the routes and their models: every /api/v1 route has its
schemas, the document is valid OpenAPI 3.1, and it carries the constraints the validation applies."""
from __future__ import annotations

import jsonschema_rs
import pytest
from flask import Blueprint, Flask
from schemathesis.specs.openapi.definitions import OPENAPI_31

from app.schemas import routes
from app.schemas.document import api_routes, document, stale, undocumented


def _documented(body: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in body["paths"].items() for method in ops}


def test_every_api_route_has_its_schemas_and_every_entry_a_route(app):
    assert undocumented(app) == [], "add an Operation to app/schemas/routes.py (docs/architecture.md)"
    assert stale(app) == []
    assert _documented(document(app)) == set(api_routes(app))


def test_a_new_route_without_an_entry_is_found():
    """What makes the suite fail when someone adds a route and forgets its schemas."""
    app = Flask("probe")
    bp = Blueprint("probe_api", "probe", url_prefix="/api/v1")
    bp.add_url_rule("/reports/<int:report_id>", "report", lambda report_id: {})
    bp.add_url_rule("/categories", "categories", lambda: {})
    app.register_blueprint(bp)
    assert undocumented(app) == [("GET", "/reports/{report_id}")]
    with app.app_context():
        assert "/reports/{report_id}" not in document(app)["paths"]
    assert ("GET", "/categories") not in stale(app)


def test_the_served_document_is_valid_openapi_3_1(client, county):
    body = client.get("/api/v1/openapi.json").json
    assert body["openapi"].startswith("3.1")
    jsonschema_rs.validator_for(OPENAPI_31).validate(body)  # the specification's own schema
    for name, schema in body["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name  # each a JSON Schema (2020-12)
    import schemathesis

    schema = schemathesis.openapi.from_dict(body)
    operations = list(schema.get_all_operations())
    assert len(operations) == len(_documented(body))
    assert all(op.ok() for op in operations)


def _report(body: dict) -> dict:
    return body["components"]["schemas"]["ReportIn"]


def test_the_document_carries_the_constraints_of_the_models_and_settings(app):
    body = document(app)
    report = _report(body)["properties"]
    assert (report["lat"]["minimum"], report["lat"]["maximum"]) == (-90, 90)
    assert (report["lon"]["minimum"], report["lon"]["maximum"]) == (-180, 180)
    assert report["description"]["maxLength"] == app.config["SYNC_MAX_DESCRIPTION"]
    assert report["address"]["maxLength"] == 300
    assert report["photos"]["maxItems"] == app.config["SYNC_MAX_PHOTOS"]
    assert report["location_source"]["enum"] == ["device", "exif", "manual"]
    assert report["captured_at"]["format"] == "date-time" and report["client_id"]["format"] == "uuid"
    assert report["capture_seq"]["anyOf"][0]["minimum"] == 1
    exif = body["components"]["schemas"]["PhotoExifIn"]["properties"]
    assert report["photo_exif"]["anyOf"][0]["additionalProperties"] == {"$ref": "#/components/schemas/PhotoExifIn"}
    assert exif["lat"]["anyOf"][0]["maximum"] == 90 and exif["taken_at"]["anyOf"][0]["format"] == "date-time"
    batch = body["components"]["schemas"]["SyncBatchIn"]["properties"]
    for key in ("reports", "actions", "visits"):
        assert batch[key]["maxItems"] == app.config["SYNC_BATCH_LIMIT"]
    assert batch["reports"]["items"] == {"$ref": "#/components/schemas/ReportIn"}
    assert batch["waiting"]["anyOf"][0]["maxItems"] == 10_000
    assert "x-setting" not in str(body)
    sync = body["paths"]["/sync"]["post"]
    assert sync["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SyncBatchIn"}
    assert "visit_results" in sync["responses"]["200"]["content"]["application/json"]["schema"]["properties"]


def test_the_limits_follow_the_settings(app):
    saved = app.config["SYNC_BATCH_LIMIT"], app.config["SYNC_MAX_DESCRIPTION"]
    app.config["SYNC_BATCH_LIMIT"], app.config["SYNC_MAX_DESCRIPTION"] = 7, 123
    try:
        body = document(app)
    finally:
        app.config["SYNC_BATCH_LIMIT"], app.config["SYNC_MAX_DESCRIPTION"] = saved
    assert body["components"]["schemas"]["SyncBatchIn"]["properties"]["reports"]["maxItems"] == 7
    assert _report(body)["properties"]["description"]["maxLength"] == 123


@pytest.mark.parametrize(("path", "name", "schema"), [
    ("/tickets", "per_page", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
    ("/tickets", "from", {"type": "string", "format": "date-time"}),
    ("/map/clusters", "zoom", {"type": "integer", "minimum": -(2**31 - 1), "maximum": 2**31 - 1}),
    ("/assessment/score", "start", {"type": "string", "format": "date"}),
])
def test_query_parameters_come_from_their_models(app, path, name, schema):
    [parameter] = [p for p in document(app)["paths"][path]["get"]["parameters"] if p["name"] == name]
    assert {k: v for k, v in parameter["schema"].items() if k in schema} == schema


def test_path_parameters_come_from_the_routes(app):
    paths = document(app)["paths"]
    [ticket_id] = paths["/tickets/{ticket_id}"]["get"]["parameters"]
    assert ticket_id == {"name": "ticket_id", "in": "path", "required": True,
                         "schema": {"type": "integer", "minimum": 1}}
    variant = paths["/photos/{sha256}/{variant}"]["get"]["parameters"][1]
    assert variant["schema"] == {"enum": ["web", "thumb"]}


def test_every_operation_answers_with_a_described_success(app):
    paths = document(app)["paths"]
    for (method, path), operation in routes.OPERATIONS.items():
        answers = paths[path][method.lower()]["responses"]
        assert operation.status in answers, (method, path)
