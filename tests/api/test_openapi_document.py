"""The OpenAPI document covers every /api/v1 route, and only real ones."""
import re

from app.api.openapi import document


def _documented() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in document()["paths"].items() for method in ops}


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = rule.rule.removeprefix("/api/v1")
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", path)  # <int:ticket_id> → {ticket_id}
        path = path.replace("{web, thumb):variant}", "{variant}")
        path = re.sub(r"<any\([^)]*\):(\w+)>", r"{\1}", path)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, path))
    return found


def test_every_api_route_is_documented_and_every_documented_route_exists(app):
    assert _routes(app) == _documented()


def test_the_document_is_served_and_valid_openapi(client, county):
    body = client.get("/api/v1/openapi.json").json
    assert body["openapi"].startswith("3.1")
    import schemathesis

    schema = schemathesis.openapi.from_dict(body)
    operations = list(schema.get_all_operations())
    assert len(operations) == len(_documented())
    assert all(op.ok() for op in operations)
