"""What the /api/v1 routes answer, as JSON Schema fragments next to the request models (decision 0013).

One definition per shape: app/schemas/routes.py names them for each operation, and
tests/api/test_schemathesis_conformance.py checks the answers against them. (Ported from the
hand-written app/api/openapi.py; edit them here.)
"""
from __future__ import annotations

SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}

STATUSES = ["reported", "assigned", "in_progress", "resolved", "closed", "returned", "reopened", "invalid",
            "duplicate"]

ACTIONS = ["assign", "accept", "resolve", "return", "close", "reopen", "mark_duplicate", "mark_invalid"]

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "field"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": ["string", "null"]}}}},
}

TICKET_SUMMARY = {
    "type": "object",
    "required": ["id", "case_number", "status", "version", "category_code", "lat", "lon"],
    "properties": {
        "id": {"type": "integer"}, "case_number": {"type": "string"}, "status": {"enum": STATUSES},
        "version": {"type": "integer"}, "category_code": {"type": "string"},
        "department_code": {"type": ["string", "null"]}, "area_code": {"type": ["string", "null"]},
        "lat": {"type": "number"}, "lon": {"type": "number"}, "address": {"type": "string"},
        # Where the address came from (issue 18); null until the address job has run.
        "address_source": {"type": ["string", "null"], "enum": ["inspector", "geocoder", "offline", None]},
        "received_at": {"type": "string", "format": "date-time"},
        "due_at": {"type": ["string", "null"]}, "overdue": {"type": "boolean"}, "report_count": {"type": "integer"},
    },
}

TICKET_DETAIL = {"allOf": [TICKET_SUMMARY, {"type": "object", "required": ["photos", "events"], "properties": {
    "photos": {"type": "array", "items": {"type": "object"}},
    "events": {"type": "array", "items": {"type": "object", "properties": {
        "from": {"type": ["string", "null"]}, "to": {"type": ["string", "null"]}, "actor": {"type": "string"},
        "at": {"type": "string"}, "note": {"type": "string"}}}},
    "allowed_actions": {"type": "array", "items": {"enum": ACTIONS}}}}]}

def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}

NULLABLE_NUMBER = {"type": ["number", "null"]}

POINT = {"type": "object", "required": ["code", "name", "location_type", "lat", "lon", "area_code",
                                        "department_code", "last_visited_at"], "properties": {
    "code": {"type": "string"}, "name": {"type": "string"}, "location_type": {"type": "string"},
    "lat": {"type": "number"}, "lon": {"type": "number"}, "area_code": {"type": ["string", "null"]},
    "department_code": {"type": "string"}, "last_visited_at": {"type": ["string", "null"], "format": "date-time"}}}

CHECKLIST = {"type": "object", "required": ["location_type", "version", "items"], "properties": {
    "location_type": {"type": "string"}, "version": {"type": "integer"},
    "items": {"type": "array", "items": {"type": "object", "required": ["code", "text", "category_code", "deduction"],
                                         "properties": {"code": {"type": "string"}, "text": {"type": "string"},
                                                        "category_code": {"type": "string"},
                                                        "deduction": {"type": "number"}}}}}}

SCORE = {"type": "object", "required": ["county", "by_location_type", "by_area", "by_point", "by_department",
                                        "never_visited"], "properties": {
    "county": {"type": "object", "properties": {"score": NULLABLE_NUMBER, "max": {"type": "number"}}},
    "by_location_type": {"type": "array", "items": {"type": "object", "properties": {
        "location_type": {"type": "string"}, "score": NULLABLE_NUMBER, "visited": {"type": "integer"},
        "points": {"type": "integer"}}}},
    "by_area": {"type": "array", "items": {"type": "object", "properties": {
        "area_code": {"type": ["string", "null"]}, "score": NULLABLE_NUMBER, "visited": {"type": "integer"}}}},
    "by_point": {"type": "array", "items": {"type": "object", "properties": {
        "code": {"type": "string"}, "score": {"type": "number"}, "failed": {"type": "array",
                                                                          "items": {"type": "string"}}}}},
    "by_department": {"type": "array", "items": {"type": "object", "properties": {
        "department_code": {"type": ["string", "null"]}, "points_lost": {"type": "number"}}}},
    "never_visited": {"type": "array", "items": {"type": "string"}}}}

_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}

RANKING = {"type": "object", "required": ["formula", "rows"], "properties": {
    "formula": {"type": "string"}, "start": {"type": "string", "format": "date"},
    "end": {"type": "string", "format": "date"},
    "rows": {"type": "array", "items": {"type": "object", "required": [
        "department_code", "score", "grade", "rank", "n", "on_time_rate", "resolved_rate", "rework_rate",
        "overdue_rate"], "properties": {
        "department_code": {"type": "string"}, "score": {"type": ["number", "null"], "minimum": 0},
        "grade": {"type": ["string", "null"], "enum": ["A", "B", "C", "D", "E", None]},
        "rank": {"type": ["integer", "null"], "minimum": 1}, "n": {"type": "integer", "minimum": 0},
        "on_time_rate": _RATE, "resolved_rate": _RATE, "rework_rate": _RATE, "overdue_rate": _RATE,
        "overdue_urgent": {"type": "integer"}, "reopened_3_times": {"type": "integer"}}}}}}

PLACES = {"type": "object", "required": ["version", "areas_version", "radius_m", "separator", "near", "places"],
          "properties": {
    "version": {"type": "string"}, "areas_version": {"type": "string"}, "radius_m": {"type": "number"},
    "separator": {"type": "string"}, "near": {"type": "string"},
    "places": {"type": "array", "items": {"type": "object", "required": ["name", "lat", "lon", "geometry"],
                                          "properties": {"name": {"type": "string"}, "lat": {"type": "number"},
                                                         "lon": {"type": "number"},
                                                         "geometry": {"type": ["object", "null"]}}}}}}

PHOTO_FILE_ANSWERS = {"304": {"description": "not modified (If-None-Match)"},
                      "410": {"description": "the file is missing on the server (file_missing): upload it again",
                              **_json({"$ref": "#/components/schemas/Error"})}}

_STR, _INT, _NUM, _OBJ = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "object"}

_NULL_STR, _NULL_TIME = {"type": ["string", "null"]}, {"type": ["string", "null"], "format": "date-time"}

def _object(required: list[str], **properties) -> dict:
    return {"type": "object", "required": required, "properties": properties}

AREAS = _object(["areas"], areas={"type": "array", "items": _object(
    ["code", "name_zh", "name_en", "kind", "department_code", "centroid", "geometry"], code=_STR, name_zh=_STR,
    name_en=_STR, kind={"enum": ["county", "township"]}, department_code=_NULL_STR,
    centroid=_object(["lat", "lon"], lat=_NUM, lon=_NUM), geometry=_OBJ)})

CATEGORIES = _object(["categories"], categories={"type": "array", "items": _object(
    ["code", "name_zh", "name_en", "group", "department_code", "sla_hours", "severity", "area_scoped"],
    code=_STR, name_zh=_STR, name_en=_STR, group=_STR, group_zh=_STR, group_en=_STR,
    department_code=_NULL_STR, sla_hours=_INT, severity=_STR, area_scoped={"type": "boolean"})})

FEATURES = _object(["type", "features"], type={"const": "FeatureCollection"}, datum={"enum": ["WGS84", "GCJ02"]},
                   features={"type": "array", "items": _object(
                       ["type", "geometry", "properties"], type={"const": "Feature"},
                       geometry={"type": ["object", "null"]}, properties={"type": ["object", "null"]})})

MAP_CONFIG = _object(["datum", "layers", "offline_layers"], datum={"enum": ["WGS84", "GCJ02"]},
                     layers={"type": "array", "items": _object(["url"], url=_STR)},
                     offline_layers={"type": "array", "items": _STR})

NOTIFICATION = _object(["id", "kind", "title", "lines", "ticket_id", "data", "created_at", "read_at"],
                       id=_INT, kind=_STR, title=_STR, lines={"type": "array"},
                       ticket_id={"type": ["integer", "null"]}, data={"type": ["object", "null"]},
                       created_at={"type": "string", "format": "date-time"}, read_at=_NULL_TIME)

NOTIFICATIONS = _object(["notifications", "total", "unread"], notifications={"type": "array", "items": NOTIFICATION},
                        total=_INT, unread=_INT)

PHOTO = _object(["sha256", "mime", "width", "height", "bytes", "exif", "derivatives", "web_url", "thumbnail_url",
                 "status", "created_at"], sha256=SHA256, mime=_STR, width=_INT, height=_INT, bytes=_INT, exif=_OBJ,
                derivatives=_STR, web_url=_NULL_STR, thumbnail_url=_NULL_STR, original_url=_STR, status=_STR,
                created_at={"type": "string", "format": "date-time"})

TICKET_PAGE = _object(["tickets", "total"], tickets={"type": "array", "items": TICKET_SUMMARY}, total=_INT)

TRIAGE = {"allOf": [TICKET_PAGE, _object(["queue", "sizes"], queue={"enum": ["unrouted", "returned", "overdue"]},
                                         sizes={"type": "object", "additionalProperties": _INT})]}

DRAW = _object(["id", "name", "seed", "per_type", "due", "created_at", "created_by", "cancelled_at"],
               id=_INT, name=_STR, seed=_INT, per_type={"type": ["integer", "object"]},
               due={"type": ["string", "null"], "format": "date"}, created_at=_STR, created_by=_NULL_STR,
               cancelled_at=_NULL_TIME, progress=_object(["points", "visited"], points=_INT, visited=_INT))

DRAWS = _object(["draws"], draws={"type": "array", "items": DRAW})

DRAW_DETAIL = {"allOf": [DRAW, _object(["points", "progress"], points={"type": "array", "items": _object(
    ["code", "name", "location_type", "area_code", "department_code", "assignee", "visited_at"], code=_STR,
    name=_STR, location_type=_STR, area_code=_NULL_STR, department_code=_NULL_STR, assignee=_NULL_STR,
    visited_at=_NULL_TIME)})]}

