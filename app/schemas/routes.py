"""Every /api/v1 operation and its schemas: what app/api/openapi.py turns into the document.

A new route adds one entry here, keyed by its method and its path as OpenAPI writes it
(`<int:ticket_id>` is `{ticket_id}`): `body` and `query` are models (bodies.py, params.py, sync.py),
`answer` the JSON Schema of the success body (responses.py). Path parameters come from the route
itself (an `int` converter is an integer from 1, `any(...)` an enum); `path` overrides them.
tests/api/test_openapi_document.py fails while a route has no entry, or an entry no route.
See docs/architecture.md, "The API document".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from app.schemas import bodies, params, responses
from app.schemas import sync as sync_schemas
from app.schemas.responses import _INT, _json, _object

SHA256 = {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")


@dataclass(frozen=True)
class Operation:
    summary: str
    answer: dict | None = None  # the success body's schema (None: described only)
    status: str = "200"
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    path: dict[str, dict] = field(default_factory=dict)  # path parameter schemas, beyond the converters'
    public: bool = False  # no login needed
    answers: dict = field(default_factory=dict)  # more (or other) answers than the usual errors
    content: dict | None = None  # a request body that is not JSON
    answer_content: str = "application/json"


def _ok(text: str) -> dict:
    return {"description": text}


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/categories"): Operation("Problem categories", responses.CATEGORIES),
    ("GET", "/areas"): Operation("County boundary and townships (GeoJSON)", responses.AREAS),
    ("GET", "/places"): Operation("Named points for offline place names (with /areas' townships)",
                                  responses.PLACES),
    ("GET", "/tickets"): Operation("Tickets the caller may see, filtered and paged", responses.TICKET_PAGE,
                                   query=params.TicketQuery),
    ("GET", "/tickets/{ticket_id}"): Operation("One ticket with photos and history", responses.TICKET_DETAIL),
    ("POST", "/tickets/{ticket_id}/actions/{action}"): Operation(
        "A lifecycle action", responses.TICKET_DETAIL, body=bodies.TicketActionIn,
        path={"action": {"enum": responses.ACTIONS}}),
    ("POST", "/tickets/accept"): Operation("Bulk accept (department): one outcome per ticket", _object(
        ["results"], results={"type": "array", "items": _object(["id", "outcome", "version"], id=_INT,
                                                                 outcome={"type": "string"},
                                                                 version={"type": ["integer", "null"]})}),
        body=bodies.AcceptIn),
    ("POST", "/tickets/{ticket_id}/reports/{report_id}/split"): Operation(
        "Split a wrongly linked repeat into its own ticket (supervisor)", responses.TICKET_SUMMARY, "201",
        body=bodies.SplitIn),
    ("GET", "/triage/{queue}"): Operation("Supervisor triage queues", responses.TRIAGE, query=params.PageQuery,
                                          path={"queue": {"enum": ["unrouted", "returned", "overdue"]}}),
    ("GET", "/recheck"): Operation("Re-inspection tasks of the caller", responses.TICKET_PAGE,
                                   query=params.PageQuery),
    ("POST", "/device-tokens"): Operation(
        "Issue a device token to the user of a password-login web session (with a bearer token: 403 "
        "password_login_required)", _object(["token", "username", "role"], token={"type": "string"},
                                            username={"type": "string"}, role={"type": "string"}), "201",
        body=bodies.DeviceTokenIn),
    ("DELETE", "/device-tokens/current"): Operation("Revoke the token this request uses", status="204"),
    ("GET", "/map/clusters"): Operation("Clustered tickets in a viewport (GeoJSON)", responses.FEATURES,
                                        query=params.ClustersQuery),
    ("GET", "/map/areas"): Operation("Area outlines in the tiles' datum", responses.FEATURES),
    ("GET", "/map/config"): Operation("Tile layers (url, subdomains, min_zoom, max_zoom, attribution), datum "
                                      "(WGS84|GCJ02) and offline_layers", responses.MAP_CONFIG),
    ("GET", "/map/base.geojson"): Operation("Offline base map: main roads and rivers in the tiles' datum",
                                            responses.FEATURES),
    ("GET", "/notifications"): Operation("The caller's notifications, with the unread count",
                                         responses.NOTIFICATIONS, query=params.PageQuery),
    ("POST", "/notifications/{notification_id}/read"): Operation("Mark one read", responses.NOTIFICATION),
    ("POST", "/notifications/read"): Operation("Mark all read", _object(["marked"], marked=_INT)),
    # app/api/photos.py: raw image bytes in, files out.
    ("PUT", "/photos/{sha256}"): Operation(
        "Upload a photo under its SHA-256 (201 new, 200 known)", responses.PHOTO, path={"sha256": SHA256},
        content={mime: {"schema": {"type": "string", "format": "binary"}} for mime in IMAGE_TYPES},
        answers={"201": {"description": "stored", **_json(responses.PHOTO)},
                 "503": {"description": "every decoder busy: try again after Retry-After",
                         **_json({"$ref": "#/components/schemas/Error"})}}),
    ("GET", "/photos/{sha256}"): Operation("Photo metadata", responses.PHOTO, path={"sha256": SHA256}),
    ("GET", "/photos/{sha256}/{variant}"): Operation(
        "Web-size image or thumbnail (JPEG, no metadata)", path={"sha256": SHA256},
        answer_content="image/jpeg", answers={**responses.PHOTO_FILE_ANSWERS, "409": {
            "description": "not made yet (derivatives_pending, with Retry-After) or never (derivatives_failed); "
                           "the photo's metadata says which (issue 20)",
            **_json({"$ref": "#/components/schemas/Error"})}}),
    ("GET", "/photos/{sha256}/original"): Operation(
        "The original upload (supervisors and admins)", path={"sha256": SHA256}, answer_content="",
        answers=responses.PHOTO_FILE_ANSWERS),
    ("POST", "/sync"): Operation(
        "Offline sync: a batch of reports, queued re-inspection actions and assessment visits, each answered on "
        "its own, plus the change feed (docs/sync-protocol.md)", sync_schemas.SYNC_ANSWER,
        body=sync_schemas.SyncBatchIn),
    ("GET", "/points"): Operation("Inspection points (a department: its own), optionally near a position",
                                  _object(["points"], points={"type": "array", "items": responses.POINT}),
                                  query=params.PointsQuery),
    ("GET", "/checklists/{location_type}"): Operation(
        "The current checklist of a location type, in the request's language", responses.CHECKLIST),
    ("GET", "/assessment/score"): Operation(
        "The simulated field score of a period (supervisors; a department: its points lost)", responses.SCORE,
        query=params.ScoreQuery),
    ("POST", "/assessment/draws"): Operation(
        "Draw N points per location type (or {type: N}), spread over the areas, by seed",
        {"allOf": [responses.DRAW, _object(["points"], points={"type": "array", "items": {"type": "string"}})]},
        "201", body=bodies.DrawIn),
    ("GET", "/assessment/draws"): Operation("Draws, newest first, with their progress", responses.DRAWS),
    ("GET", "/assessment/draws/{draw_id}"): Operation(
        "A draw's points (type, area, assignee, visited_at) and progress per type and inspector",
        responses.DRAW_DETAIL),
    ("POST", "/assessment/draws/{draw_id}/assign"): Operation(
        "Assign by hand {\"assignments\": {point code: username or null}} or {\"mode\": \"even\"}",
        _object(["id", "changed"], id=_INT, changed=_INT), body=bodies.AssignIn),
    ("POST", "/assessment/draws/{draw_id}/cancel"): Operation("Cancel a draw: no more reminders or assignments",
                                                              responses.DRAW),
    ("GET", "/assessment/assignments"): Operation(
        "The caller's assigned points of open draws, with the fields of GET /points",
        _object(["assignments"], assignments={"type": "array", "items": {"type": "object"}})),
    ("GET", "/assessment/visits"): Operation(
        "Visits started in a period (supervisors: all; an inspector: its own), newest first",
        _object(["visits", "total"], visits={"type": "array", "items": {"type": "object"}}, total=_INT),
        query=params.VisitsQuery),
    ("POST", "/assessment/visits/{visit_id}/void"): Operation(
        "Void a wrong visit, with a reason (supervisors and admins): it no longer counts",
        _object(["id", "voided", "voided_at", "void_reason"], id=_INT, voided={"type": "boolean"},
                voided_at={"type": "string", "format": "date-time"}, void_reason={"type": "string"}),
        body=bodies.VoidIn),
    ("GET", "/ranking"): Operation("The department ranking (通报) of a period (supervisors and admins)",
                                   responses.RANKING, query=params.PeriodQuery),
    ("GET", "/openapi.json"): Operation("This document (OpenAPI 3.1, generated from the code)", _object(
        ["openapi", "info", "paths"], openapi={"pattern": "^3\\.1\\."}), public=True),
    ("GET", "/docs"): Operation("This document, browsable (Swagger UI)", public=True, answer_content="text/html"),
}
