"""GET /api/v1/openapi.json: the API described for clients and for fuzzing (schemathesis).

Written by hand, next to the code it describes; tests/api/test_openapi_document.py fails when an
/api/v1 route is missing here or a documented one does not exist.
"""
from __future__ import annotations

from app.api import bp

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


def _ok(description: str, schema: dict | None = None, status: str = "200") -> dict:
    answers = {status: {"description": description, **(_json(schema) if schema else {})}}
    for code, why in (("400", "malformed request"), ("401", "not logged in / bad token"),
                      ("403", "role may not do this"), ("404", "not found or not yours"),
                      ("409", "stale version or state does not allow it"), ("413", "body too large"),
                      ("415", "unsupported media type"), ("422", "invalid input")):
        answers[code] = {"description": why, **_json({"$ref": "#/components/schemas/Error"})}
    return answers


def _path_int(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


def _query(name: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PAGE = _query("page", {"type": "integer", "minimum": 1})
TICKET_FILTERS = [
    PAGE, _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200}),
    _query("status", {"type": "string"}, "comma-separated statuses"), _query("department", {"type": "string"}),
    _query("category", {"type": "string"}), _query("area", {"type": "string"}),
    _query("overdue", {"type": "boolean"}), _query("q", {"type": "string"}, "case number, address or text"),
    _query("from", {"type": "string", "format": "date-time"}), _query("to", {"type": "string", "format": "date-time"}),
    _query("sort", {"type": "string", "example": "-received_at"}),
]
REPORT = {
    "type": "object",
    "required": ["client_id", "category_code", "lat", "lon", "captured_at", "location_source"],
    "properties": {
        "client_id": {"type": "string", "format": "uuid"}, "category_code": {"type": "string"},
        "description": {"type": "string"}, "lat": {"type": "number"}, "lon": {"type": "number"},
        "accuracy_m": {"type": ["number", "null"]}, "location_source": {"enum": ["device", "exif", "manual"]},
        "captured_at": {"type": "string", "format": "date-time"}, "address": {"type": "string"},
        "photos": {"type": "array", "items": SHA256},
    },
}

NULLABLE_NUMBER = {"type": ["number", "null"]}
VISIT = {"type": "object", "required": ["client_id", "point_code", "checklist_version", "started_at", "finished_at",
                                       "results"],
         "description": "an assessment visit (docs/sync-protocol.md, Visits)", "properties": {
             "client_id": {"type": "string", "format": "uuid"}, "point_code": {"type": "string"},
             "checklist_version": {"type": "integer", "minimum": 1},
             "started_at": {"type": "string", "format": "date-time"},
             "finished_at": {"type": "string", "format": "date-time"},
             "lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]},
             "accuracy_m": {"type": ["number", "null"]},
             "results": {"type": "array", "maxItems": 200, "items": {
                 "type": "object", "required": ["item_code", "outcome"], "properties": {
                     "item_code": {"type": "string"}, "outcome": {"enum": ["pass", "fail", "na"]},
                     "note": {"type": "string"}, "photos": {"type": "array", "items": {"type": "string"}},
                     "photo_exif": {"type": "object"}}}}}}
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


PLACES = {"type": "object", "required": ["version", "radius_m", "separator", "near", "places"], "properties": {
    "version": {"type": "string"}, "radius_m": {"type": "number"}, "separator": {"type": "string"},
    "near": {"type": "string"},
    "places": {"type": "array", "items": {"type": "object", "required": ["name", "lat", "lon", "geometry"],
                                          "properties": {"name": {"type": "string"}, "lat": {"type": "number"},
                                                         "lon": {"type": "number"},
                                                         "geometry": {"type": ["object", "null"]}}}}}}


# A photo's file is sent conditionally (ETag), and its row may outlive the file (photos.store.FileMissing).
PHOTO_FILE_ANSWERS = {"304": {"description": "not modified (If-None-Match)"},
                      "410": {"description": "the file is missing on the server (file_missing): upload it again",
                              **_json({"$ref": "#/components/schemas/Error"})}}


# Response bodies of the reads and small writes (checked against the answers by
# tests/api/test_schemathesis_conformance.py).
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


def document() -> dict:
    paths = {
        "/categories": {"get": {"summary": "Problem categories", "responses": _ok("categories", CATEGORIES)}},
        "/areas": {"get": {"summary": "County boundary and townships (GeoJSON)", "responses": _ok("areas", AREAS)}},
        "/places": {"get": {"summary": "Named points for offline place names (with /areas' townships)",
                            "responses": _ok("places", PLACES)}},
        "/tickets": {"get": {"summary": "Tickets the caller may see, filtered and paged",
                             "parameters": TICKET_FILTERS,
                             "responses": _ok("a page", TICKET_PAGE)}},
        "/tickets/{ticket_id}": {"get": {"summary": "One ticket with photos and history",
                                         "parameters": [_path_int("ticket_id")],
                                         "responses": _ok("the ticket", TICKET_DETAIL)}},
        "/tickets/{ticket_id}/actions/{action}": {"post": {
            "summary": "A lifecycle action", "parameters": [
                _path_int("ticket_id"), {"name": "action", "in": "path", "required": True,
                                         "schema": {"enum": ACTIONS}}],
            "requestBody": {"required": True, **_json({"type": "object", "required": ["version"], "properties": {
                "version": {"type": "integer"}, "note": {"type": "string"}, "photos": {"type": "array",
                                                                                      "items": SHA256},
                "department_code": {"type": "string"}, "duplicate_of": {"type": ["string", "integer"]}}})},
            "responses": _ok("the ticket after the action", TICKET_DETAIL)}},
        "/tickets/accept": {"post": {
            "summary": "Bulk accept (department)",
            "requestBody": {"required": True, **_json({"type": "object", "required": ["tickets"], "properties": {
                "tickets": {"type": "array", "items": {"type": "object", "required": ["id", "version"],
                                                       "properties": {"id": {"type": "integer"},
                                                                      "version": {"type": "integer"}}}}}})},
            "responses": _ok("one outcome per ticket")}},
        "/tickets/{ticket_id}/reports/{report_id}/split": {"post": {
            "summary": "Split a wrongly linked repeat into its own ticket (supervisor)",
            "parameters": [_path_int("ticket_id"), _path_int("report_id")],
            "requestBody": {"required": True, **_json({"type": "object", "properties": {"note": {"type": "string"}}})},
            "responses": _ok("the new ticket", TICKET_SUMMARY, "201")}},
        "/triage/{queue}": {"get": {"summary": "Supervisor triage queues", "parameters": [
            {"name": "queue", "in": "path", "required": True, "schema": {"enum": ["unrouted", "returned",
                                                                                   "overdue"]}}, PAGE],
            "responses": _ok("a page of the queue", TRIAGE)}},
        "/recheck": {"get": {"summary": "Re-inspection tasks of the caller", "parameters": [PAGE],
                             "responses": _ok("tasks", TICKET_PAGE)}},
        "/device-tokens": {"post": {
            "summary": "Issue a device token to the user of a password-login web session "
                       "(with a bearer token: 403 password_login_required)",
            "requestBody": {"required": True, **_json({"type": "object", "properties": {
                "label": {"type": "string"}, "device_id": {"type": "string"}}})},
            "responses": _ok("the token (shown once)", {"type": "object", "required": ["token"]}, "201")}},
        "/device-tokens/current": {"delete": {"summary": "Revoke the token this request uses",
                                              "responses": {"204": {"description": "revoked"},
                                                            **{k: v for k, v in _ok("").items() if k != "200"}}}},
        "/map/clusters": {"get": {"summary": "Clustered tickets in a viewport (GeoJSON)", "parameters": [
            {"name": "bbox", "in": "query", "required": True, "schema": {"type": "string"},
             "description": "minLon,minLat,maxLon,maxLat"},
            {"name": "zoom", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 0,
                                                                          "maximum": 22}},
            {"name": "members", "in": "query", "schema": {"type": "string", "enum": ["1"]},
             "description": "1: each cluster lists its tickets (id, case_number, status), for the highest zoom"},
            *TICKET_FILTERS[2:]], "responses": _ok("FeatureCollection", FEATURES)}},
        "/map/areas": {"get": {"summary": "Area outlines in the tiles' datum",
                                "responses": _ok("FeatureCollection", FEATURES)}},
        "/map/config": {"get": {"summary": "Tile layers (url, subdomains, min_zoom, max_zoom, attribution), datum "
                                       "(WGS84|GCJ02) and offline_layers", "responses": _ok("map config", MAP_CONFIG)}},
        "/map/base.geojson": {"get": {"summary": "Offline base map: main roads and rivers in the tiles' datum",
                                      "responses": _ok("FeatureCollection", FEATURES)}},
        "/notifications": {"get": {"summary": "The caller's notifications", "parameters": [PAGE],
                                   "responses": _ok("notifications with unread count", NOTIFICATIONS)}},
        "/notifications/{notification_id}/read": {"post": {"summary": "Mark one read",
                                                           "parameters": [_path_int("notification_id")],
                                                           "responses": _ok("the notification", NOTIFICATION)}},
        "/notifications/read": {"post": {"summary": "Mark all read",
                                          "responses": _ok("how many", _object(["marked"], marked=_INT))}},
        "/photos/{sha256}": {
            "put": {"summary": "Upload a photo under its SHA-256 (201 new, 200 known)",
                    "parameters": [{"name": "sha256", "in": "path", "required": True, "schema": SHA256}],
                    "requestBody": {"required": True, "content": {
                        mime: {"schema": {"type": "string", "format": "binary"}}
                        for mime in ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")}},
                    "responses": _ok("already stored", PHOTO) | {
                        "201": {"description": "stored", **_json(PHOTO)},
                        "503": {"description": "every decoder busy: try again after Retry-After",
                                **_json({"$ref": "#/components/schemas/Error"})}}},
            "get": {"summary": "Photo metadata", "parameters": [{"name": "sha256", "in": "path", "required": True,
                                                                 "schema": SHA256}],
                    "responses": _ok("metadata", PHOTO)}},
        "/photos/{sha256}/{variant}": {"get": {
            "summary": "Web-size image or thumbnail (JPEG, no metadata)",
            "parameters": [{"name": "sha256", "in": "path", "required": True, "schema": SHA256},
                           {"name": "variant", "in": "path", "required": True, "schema": {"enum": ["web", "thumb"]}}],
            "responses": {"200": {"description": "JPEG", "content": {"image/jpeg": {}}},
                          **{k: v for k, v in _ok("").items() if k != "200"}, **PHOTO_FILE_ANSWERS}}},
        "/photos/{sha256}/original": {"get": {
            "summary": "The original upload (supervisors and admins)",
            "parameters": [{"name": "sha256", "in": "path", "required": True, "schema": SHA256}],
            "responses": {"200": {"description": "the file"}, **{k: v for k, v in _ok("").items() if k != "200"},
                          **PHOTO_FILE_ANSWERS}}},
        "/sync": {"post": {
            "summary": "Offline sync: a batch of reports (and queued re-inspection actions) plus the change feed",
            "requestBody": {"required": True, **_json({"type": "object", "properties": {
                "device_id": {"type": "string"}, "cursor": {"type": "integer", "minimum": 0},
                "sent_at": {"type": "string", "format": "date-time"},
                "reports": {"type": "array", "maxItems": 50, "items": REPORT},
                "actions": {"type": "array", "maxItems": 50, "items": {"type": "object"}},
                "visits": {"type": "array", "maxItems": 50, "items": VISIT}}})},
            "responses": _ok("one result per item, changes and a new cursor", {
                "type": "object", "required": ["results", "changes", "cursor"]})}},
        "/points": {"get": {"summary": "Inspection points (a department: its own), optionally near a position",
                            "parameters": [_query("near", {"type": "string"}, "lat,lon"),
                                           _query("radius_m", {"type": "number", "exclusiveMinimum": 0,
                                                                "maximum": 50000}),
                                           _query("datum", {"type": "string", "enum": ["tiles"]},
                                                  "tiles: positions in the map tiles' datum (TILE_CRS), else WGS-84")],
                            "responses": _ok("points", {"type": "object", "required": ["points"], "properties": {
                                "points": {"type": "array", "items": POINT}}})}},
        "/checklists/{location_type}": {"get": {
            "summary": "The current checklist of a location type, in the request's language",
            "parameters": [{"name": "location_type", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": _ok("the checklist", CHECKLIST)}},
        "/assessment/score": {"get": {
            "summary": "The simulated field score of a period (supervisors; a department: its points lost)",
            "parameters": [{"name": "start", "in": "query", "required": True,
                            "schema": {"type": "string", "format": "date"}},
                           {"name": "end", "in": "query", "required": True,
                            "schema": {"type": "string", "format": "date"}},
                           _query("draw", {"type": "integer", "minimum": 1})],
            "responses": _ok("the score", SCORE)}},
        # Random draws (issue 14 §4): supervisors and admins; an inspector reads its own assignments.
        "/assessment/draws": {
            "post": {"summary": "Draw N points per location type (or {type: N}), spread over the areas, by seed",
                     "requestBody": {"required": True, **_json({"type": "object", "required": ["name", "per_type"],
                                                                "properties": {
                         "name": {"type": "string", "minLength": 1, "maxLength": 200},
                         "per_type": {"oneOf": [{"type": "integer", "minimum": 1, "maximum": 500},
                                                {"type": "object", "additionalProperties": {
                                                    "type": "integer", "minimum": 1, "maximum": 500}}]},
                         "seed": {"type": "integer", "minimum": 0, "maximum": 2**53 - 1},
                         "due": {"type": "string", "format": "date"}}})},
                     "responses": _ok("the draw", {"type": "object", "required": ["id", "seed", "points"]},
                                      status="201")},
            "get": {"summary": "Draws, newest first, with their progress", "responses": _ok("draws", DRAWS)}},
        "/assessment/draws/{draw_id}": {"get": {
            "summary": "A draw's points (type, area, assignee, visited_at) and progress per type and inspector",
            "parameters": [_path_int("draw_id")], "responses": _ok("the draw", DRAW_DETAIL)}},
        "/assessment/draws/{draw_id}/assign": {"post": {
            "summary": "Assign by hand {\"assignments\": {point code: username or null}} or {\"mode\": \"even\"}",
            "parameters": [_path_int("draw_id")],
            "requestBody": {"required": True, **_json({"type": "object", "properties": {
                "assignments": {"type": "object", "additionalProperties": {"type": ["string", "null"]}},
                "mode": {"enum": ["even"]}, "inspectors": {"type": "array", "items": {"type": "string"}}}})},
            "responses": _ok("how many changed")}},
        "/assessment/draws/{draw_id}/cancel": {"post": {
            "summary": "Cancel a draw: no more reminders or assignments", "parameters": [_path_int("draw_id")],
            "responses": _ok("the draw", DRAW)}},
        "/assessment/assignments": {"get": {
            "summary": "The caller's assigned points of open draws, with the fields of GET /points",
            "responses": _ok("assignments", {"type": "object", "required": ["assignments"]})}},
        "/assessment/visits": {"get": {
            "summary": "Visits started in a period (supervisors: all; an inspector: its own), newest first",
            "parameters": [{"name": "start", "in": "query", "required": True,
                            "schema": {"type": "string", "format": "date"}},
                           {"name": "end", "in": "query", "required": True,
                            "schema": {"type": "string", "format": "date"}},
                           _query("flagged", {"type": "boolean"}, "only visits far from their point (or not)"),
                           PAGE],
            "responses": _ok("a page of visits", {"type": "object", "required": ["visits", "total"]})}},
        "/assessment/visits/{visit_id}/void": {"post": {
            "summary": "Void a wrong visit, with a reason (supervisors and admins): it no longer counts",
            "parameters": [_path_int("visit_id")],
            "requestBody": {"required": True, **_json({"type": "object", "required": ["reason"], "properties": {
                "reason": {"type": "string", "minLength": 1, "maxLength": 1000}}})},
            "responses": _ok("the voided visit")}},
        "/ranking": {"get": {
            "summary": "The department ranking (通报) of a period (supervisors and admins)",
            "parameters": [{"name": "start", "in": "query", "required": True,
                            "schema": {"type": "string", "format": "date"}},
                           {"name": "end", "in": "query", "required": True,
                            "schema": {"type": "string", "format": "date"}}],
            "responses": _ok("the ranking", RANKING)}},
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": {"200": {"description": "OpenAPI 3.1", **_json(_object(
                                      ["openapi", "info", "paths"], openapi={"pattern": "^3\\.1\\."}))}}}},
        "/docs": {"get": {"summary": "This document, browsable (Swagger UI)", "security": [],
                          "responses": {"200": {"description": "an HTML page", "content": {"text/html": {}}}}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Xuncha API", "version": "1",
                 "description": "Field inspection for the civilized-city campaign. Errors are "
                                "{\"error\": {\"code\", \"message\", \"field\"}}. Cookie-authenticated writes "
                                "need the X-CSRFToken header. See docs/sync-protocol.md for /sync."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "a device token (POST /device-tokens)"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
    }


@bp.get("/openapi.json")
def openapi_document():
    return document()
