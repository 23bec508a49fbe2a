"""The documented query parameters are the ones the routes enforce: for every constraint the document
states (a range, a type, an enum, a format, required), a value breaking it is 422 validation_failed
naming that parameter, and the values the document allows are accepted. Drift either way fails."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest

from app.schemas.document import document

# Values that satisfy the required parameters, so that only the one under test is wrong.
VALID = {"start": "2026-11-01", "end": "2026-11-28", "bbox": "119.9,29.9,120.1,30.1", "zoom": "12"}
PATHS = {"/triage/{queue}": "/triage/unrouted"}


def _breaking(schema: dict) -> list[str]:
    """Values that break the schema's constraints (as query-string text)."""
    out = []
    kind = schema.get("type")
    if kind == "integer":
        out.append("abc")
        if "minimum" in schema:
            out.append(str(schema["minimum"] - 1))
        if "maximum" in schema:
            out.append(str(schema["maximum"] + 1))
    if kind == "number":
        out.append("abc")
        if "maximum" in schema:
            out.append(str(schema["maximum"] * 2))
        if "exclusiveMinimum" in schema:
            out.append(str(schema["exclusiveMinimum"]))
    if kind == "boolean":
        out.append("maybe")
    if schema.get("format") == "date":
        out += ["2026-13-45", "yesterday"]
    if schema.get("format") == "date-time":
        out.append("not-a-time")
    if "enum" in schema or "const" in schema:
        out.append("bogus")
    return out


def _cases() -> list[tuple[str, str, str | None]]:
    from app import create_app
    from app.config import TestConfig

    class Config(TestConfig):  # only its routes are read: no database is opened
        SQLALCHEMY_DATABASE_URI = "sqlite:///unused.sqlite3"

    body = document(create_app(Config))
    cases = []
    for path, ops in body["paths"].items():
        for parameter in ops.get("get", {}).get("parameters", []):
            if parameter["in"] != "query":
                continue
            cases += [(path, parameter["name"], value) for value in _breaking(parameter["schema"])]
            if parameter["required"]:
                cases.append((path, parameter["name"], None))  # left out
    return cases


CASES = _cases()


def _url(path: str, name: str | None = None, value: str | None = None) -> str:
    args = dict(VALID) | ({} if name is None or value is None else {name: value})
    if name is not None and value is None:
        args.pop(name, None)
    return "/api/v1" + PATHS.get(path, path) + "?" + urlencode(args)


@pytest.fixture
def supervisor_api(api, create_user, county):
    return api(create_user("supervisor"))


def test_there_are_cases_for_every_kind_of_constraint():
    names = {(path, name) for path, name, _ in CASES}
    assert {("/tickets", "per_page"), ("/tickets", "from"), ("/map/clusters", "zoom"),
            ("/points", "radius_m"), ("/assessment/score", "start"), ("/ranking", "end")} <= names


@pytest.mark.parametrize(("path", "name", "value"), CASES, ids=[f"{p} {n}={v!r}" for p, n, v in CASES])
def test_a_value_the_document_forbids_is_refused_naming_the_parameter(supervisor_api, path, name, value):
    resp = supervisor_api.get(_url(path, name, value))
    assert resp.status_code == 422, resp.text
    error = resp.get_json()["error"]
    assert (error["code"], error["field"]) == ("validation_failed", name)


@pytest.mark.parametrize("path", ["/tickets", "/map/clusters", "/points", "/assessment/score", "/assessment/visits",
                                  "/ranking", "/triage/{queue}", "/notifications", "/recheck"])
def test_the_values_the_document_allows_are_accepted(supervisor_api, path):
    assert supervisor_api.get(_url(path)).status_code == 200


# The routes read their query strings through these models (app.schemas.params.query): the refusals
# below are the models' own, with the messages and translations the older helpers gave.
@pytest.mark.parametrize(("url", "field"), [
    ("/tickets?per_page=" + "9" * 5000, "per_page"),           # more digits than int() takes
    ("/tickets?page=-99999999999999999999", "page"),
    ("/tickets?from=9999-12-31T23:59:59%2B14:00", "from"),      # past timeutil's years
    ("/tickets?from=0001-01-01T00:00:00-14:00", "from"),
    ("/tickets?to=2026-11-01T00:00:00", "to"),                  # no offset
    ("/tickets?overdue=on", "overdue"),                          # pages' words only: 1/0, true/false, yes/no
    ("/points?near=30,120&radius_m=nan", "radius_m"),
    ("/points?near=30,120&radius_m=1e999", "radius_m"),
    ("/map/clusters?bbox=1,2,3,4&zoom=1.5", "zoom"),
    ("/assessment/score?start=0001-01-01&end=2026-11-28", "start"),
    ("/ranking?start=2026-11-01&end=99999-01-01", "end"),
    ("/assessment/visits?start=2026-11-01&end=2026-11-28&flagged=maybe", "flagged"),
    ("/notifications?page=0", "page"),
])
def test_hostile_values_are_refused_naming_the_parameter(supervisor_api, url, field):
    resp = supervisor_api.get("/api/v1" + url)
    assert resp.status_code == 422, resp.text
    error = resp.get_json()["error"]
    assert (error["code"], error["field"]) == ("validation_failed", field)


def test_a_repeated_parameter_counts_by_its_first_value(supervisor_api):
    assert supervisor_api.get("/api/v1/tickets?page=1&page=abc").status_code == 200
    resp = supervisor_api.get("/api/v1/tickets?page=abc&page=1")
    assert (resp.status_code, resp.get_json()["error"]["field"]) == (422, "page")


def test_an_empty_value_is_a_left_out_one(supervisor_api):
    assert supervisor_api.get("/api/v1/tickets?page=&per_page=&overdue=&from=&q=").status_code == 200


@pytest.mark.parametrize(("url", "english", "chinese"), [
    ("/notifications?page=0", "Pages start at 1.", "页码从 1 开始。"),
    ("/tickets?per_page=x", "per_page must be a whole number.", None),
    ("/tickets?overdue=maybe", "overdue must be true or false.", None),
    ("/tickets?from=soon", "from must be an ISO 8601 time with an offset.", None),
    ("/ranking?start=2026-11-01", "Give the period as two dates, YYYY-MM-DD.", None),
    ("/points?near=30,120&radius_m=0", "radius_m must be a number of metres from 1 to 50000.", None),
])
def test_the_refusals_say_why_in_both_languages(supervisor_api, url, english, chinese):
    sep = "&" if "?" in url else "?"
    resp = supervisor_api.get(f"/api/v1{url}{sep}lang=en")
    assert resp.status_code == 422 and resp.get_json()["error"]["message"] == english
    default = supervisor_api.get(f"/api/v1{url}{sep}lang=zh_CN").get_json()["error"]["message"]
    assert default != english and (chinese is None or default == chinese)
