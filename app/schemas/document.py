"""The OpenAPI 3.1 document of /api/v1, generated from the routes and their models (decision 0013).

Walks the app's /api/v1 routes; each must have an Operation (routes.py). Request bodies and query
parameters are the models' JSON Schemas, so the constraints the validation applies (ranges,
lengths, enums, formats) are the document's; limits that are settings are filled in from the app's
config (wire.setting); answers are the fragments of responses.py, with the usual error answers.
"""
from __future__ import annotations

import copy
import re

from flask import Flask
from pydantic import BaseModel

from app.schemas.responses import ERROR, _json
from app.schemas.routes import OPERATIONS, Operation
from app.schemas.wire import SETTING

PREFIX = "/api/v1"
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_ANSWERS = (("400", "malformed request"), ("401", "not logged in / bad token"),
                 ("403", "role may not do this"), ("404", "not found or not yours"),
                 ("409", "stale version or state does not allow it"), ("413", "body too large"),
                 ("415", "unsupported media type"), ("422", "invalid input (validation_failed names the field)"))
REF_TEMPLATE = "#/components/schemas/{model}"


def api_routes(app: Flask) -> dict[tuple[str, str], object]:
    """(METHOD, OpenAPI path) → the Werkzeug rule, for every /api/v1 route."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[(method, path)] = rule
    return found


def undocumented(app: Flask) -> list[tuple[str, str]]:
    return sorted(set(api_routes(app)) - set(OPERATIONS))


def stale(app: Flask) -> list[tuple[str, str]]:
    return sorted(set(OPERATIONS) - set(api_routes(app)))


def document(app: Flask) -> dict:
    components: dict[str, dict] = {"Error": ERROR}
    paths: dict[str, dict] = {}
    for (method, path), rule in sorted(api_routes(app).items(), key=lambda item: (item[0][1], item[0][0])):
        operation = OPERATIONS.get((method, path))
        if operation is None:
            continue  # tests/api/test_openapi_document.py fails for it
        paths.setdefault(path, {})[method.lower()] = _operation(operation, rule, components)
    body = {
        "openapi": "3.1.0",
        "info": {"title": "Xuncha API", "version": "1",
                 "description": "Field inspection for the civilized-city campaign. Errors are "
                                "{\"error\": {\"code\", \"message\", \"field\"}}; a bad parameter or body is 422 "
                                "validation_failed naming the field. Cookie-authenticated writes need the "
                                "X-CSRFToken header. See docs/sync-protocol.md for /sync."},
        "servers": [{"url": PREFIX}],
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "a device token (POST /device-tokens)"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
    }
    return _settings_filled(body, app.config)


def _operation(op: Operation, rule, components: dict) -> dict:
    out: dict = {"summary": op.summary, "operationId": rule.endpoint.replace(".", "_")}
    parameters = _path_parameters(op, rule) + (_query_parameters(op.query, components) if op.query else [])
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        out["requestBody"] = {"required": True, **_json(_component(op.body, components))}
    elif op.content is not None:
        out["requestBody"] = {"required": True, "content": op.content}
    if op.public:
        out["security"] = []
    out["responses"] = _answers(op)
    return out


def _answers(op: Operation) -> dict:
    success: dict = {"description": op.summary}
    if op.answer is not None:
        success["content"] = {op.answer_content: {"schema": op.answer}}
    elif op.answer_content and op.status != "204":
        success["content"] = {op.answer_content: {}}
    answers = {op.status: success}
    if not op.public:
        answers |= {code: {"description": why, **_json(ERROR_REF)} for code, why in ERROR_ANSWERS}
    return answers | op.answers


def _path_parameters(op: Operation, rule) -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": op.path.get(name, schema)}
            for schema, name in _converters(rule)]


def _converters(rule) -> list[tuple[dict, str]]:
    """Each path variable's schema from its converter: int → integer from 1, any(a, b) → enum."""
    found = []
    for match in re.finditer(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>", rule.rule):
        kind, args, name = match.groups()
        if kind == "int":
            schema = {"type": "integer", "minimum": 1}
        elif kind == "any":
            schema = {"enum": [a.strip().strip("'\"") for a in args.split(",")]}
        else:
            schema = {"type": "string"}
        found.append((schema, name))
    return found


def _query_parameters(model: type[BaseModel], components: dict) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF_TEMPLATE, by_alias=True)
    components.update(schema.pop("$defs", {}))
    required = set(schema.get("required", ()))
    out = []
    for name, prop in schema["properties"].items():
        prop = _not_null(prop)  # a query string is never null: absent is how it is left out
        description = prop.pop("description", "")
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        out.append(parameter)
    return out


def _not_null(schema: dict) -> dict:
    schema = {k: v for k, v in schema.items() if k != "title" and not (k == "default" and v is None)}
    options = [s for s in schema.pop("anyOf", []) if s != {"type": "null"}]
    if len(options) == 1:
        schema |= options[0]
    elif options:
        schema["anyOf"] = options
    return schema


def _component(model: type[BaseModel], components: dict) -> dict:
    """The model's schema under components (and the models it holds); a $ref to it."""
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    components.update(schema.pop("$defs", {}))
    for name, item_model in getattr(model, "item_models", {}).items():
        # Items validated one by one (sync): referenced, so each is described once.
        schema["properties"][name]["items"] = _component(item_model, components)
    components[model.__name__] = schema
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def _settings_filled(document: dict, config) -> dict:
    """Every `x-setting` ({keyword: SETTING_NAME or (NAME, default)}) replaced by the app's value."""
    document = copy.deepcopy(document)
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for keyword, name in node.pop(SETTING, {}).items():
                name, default = name if isinstance(name, (list, tuple)) else (name, None)
                node[keyword] = config.get(name, default)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return document
