"""Server-side clusters: the counts over a viewport add up exactly to the tickets in it, at every
zoom and with every filter, from the rollup and from the live path alike."""
from __future__ import annotations

import random
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from app import seed
from app.extensions import db
from app.models import DEPARTMENT_STATUSES, Area, Category, Department, MapCell, Ticket
from app.services.supervision import map_rollup, rollups
from app.timeutil import now_utc
from tests.factories import SEAT
from tests.supervise.rollup_rows import live_rows, pending

COUNTY = "119.78,29.83,120.12,30.12"


@pytest.fixture
def seeded(county):
    seed.seed_tickets(800, seed=11, days=90)
    db.session.commit()


@pytest.fixture
def supervisor_api(api, create_user):
    return api(create_user("supervisor"))


def _tickets() -> list[SimpleNamespace]:
    rows = db.session.execute(sa.select(
        Ticket.id, Ticket.lat, Ticket.lon, Ticket.status, Ticket.category_id, Ticket.department_id, Ticket.area_id,
        Ticket.received_at, Ticket.due_at)).all()
    return [SimpleNamespace(**{**row._mapping, "status": row.status.value}) for row in rows]


def _codes(model):
    return {code: id_ for id_, code in db.session.execute(sa.select(model.id, model.code))}


def _filters(now):
    """(query string, predicate on a ticket row) pairs covering every map filter."""
    categories, departments, areas = _codes(Category), _codes(Department), _codes(Area)
    since = now - timedelta(days=20)
    busy = db.session.execute(sa.select(Ticket.category_id, sa.func.count()).group_by(Ticket.category_id)
                              .order_by(sa.func.count().desc())).first()[0]
    category = next(code for code, id_ in categories.items() if id_ == busy)
    open_statuses = {s.value for s in DEPARTMENT_STATUSES}
    return [
        ("", lambda t: True),
        ("status=assigned", lambda t: t.status == "assigned"),
        ("status=assigned,in_progress", lambda t: t.status in ("assigned", "in_progress")),
        (f"category={category}", lambda t: t.category_id == categories[category]),
        ("department=CGZF", lambda t: t.department_id == departments["CGZF"]),
        ("area=CGZ", lambda t: t.area_id == areas["CGZ"]),
        ("overdue=true", lambda t: t.status in open_statuses and t.due_at is not None and t.due_at < now),
        (f"from={quote(since.isoformat())}", lambda t: t.received_at >= since),
        ("department=HWZX&status=closed", lambda t: t.department_id == departments["HWZX"] and t.status == "closed"),
    ]


def _inside(bbox, t):
    min_lon, min_lat, max_lon, max_lat = bbox
    return min_lon <= t.lon < max_lon and min_lat <= t.lat < max_lat


def _check(response, tickets, keep):
    assert response.status_code == 200, response.text
    body = response.json
    expected = {t.id for t in tickets if keep(t) and _inside(body["bbox"], t)}
    counts = [f["properties"]["count"] for f in body["features"]]
    assert sum(counts) == body["total"] == len(expected)
    for feature in body["features"]:
        props = feature["properties"]
        if props["count"] == 1:
            assert props["id"] in expected
        else:
            assert sum(props["statuses"].values()) == props["count"]
    return body


def test_counts_add_up_at_every_zoom_with_every_filter(seeded, supervisor_api):
    now = now_utc()
    tickets = _tickets()
    rng = random.Random(3)
    sources = set()
    for query, keep in _filters(now):
        for zoom in range(3, 19):
            # The whole county while it fits a screen, then a screenful (1280×800 px) at the seat,
            # then a smaller viewport around a random ticket.
            screen = _screen(zoom, *SEAT) if zoom > 12 else COUNTY
            body = _check(supervisor_api.get(f"/api/v1/map/clusters?bbox={screen}&zoom={zoom}&{query}"),
                          tickets, keep)
            sources.add(body["source"])
            centre = rng.choice(tickets)
            box = _screen(zoom, centre.lat, centre.lon, 500, 300)
            _check(supervisor_api.get(f"/api/v1/map/clusters?bbox={box}&zoom={zoom}&{query}"), tickets, keep)
    assert sources == {"rollup", "live"}


def _screen(zoom: int, lat: float, lon: float, width: int = 1280, height: int = 800) -> str:
    deg = 360 / (256 * 2 ** zoom)
    return f"{lon - width / 2 * deg},{lat - height / 2 * deg},{lon + width / 2 * deg},{lat + height / 2 * deg}"


def test_whole_county_holds_every_ticket_and_far_out_it_is_few_clusters(seeded, supervisor_api):
    body = supervisor_api.get(f"/api/v1/map/clusters?bbox={COUNTY}&zoom=9").json
    assert body["total"] == 800
    assert len(body["features"]) < 20
    close = supervisor_api.get(f"/api/v1/map/clusters?bbox={COUNTY}&zoom=12").json
    assert close["total"] == 800
    assert len(close["features"]) > len(body["features"])
    assert any(f["properties"]["count"] == 1 for f in close["features"])


def test_the_whole_world_far_out_reads_the_cells_as_one_range_and_counts_the_same(seeded, supervisor_api):
    # Zoom 3 over the world spans more cell columns than are listed one by one (MAX_COLUMNS).
    world = supervisor_api.get("/api/v1/map/clusters?bbox=-179,-80,179,80&zoom=3").json
    china = supervisor_api.get("/api/v1/map/clusters?bbox=100,20,130,40&zoom=3").json
    assert world["total"] == china["total"] == 800
    assert world["features"] == china["features"]


def test_rollup_and_live_grouping_give_the_same_features(seeded, supervisor_api):
    for zoom in (9, 11, 12):
        rollup = supervisor_api.get(f"/api/v1/map/clusters?bbox={COUNTY}&zoom={zoom}&department=CGZF").json
        # A period that covers every ticket forces the live path over the same tickets.
        live = supervisor_api.get(f"/api/v1/map/clusters?bbox={COUNTY}&zoom={zoom}&department=CGZF"
                                  f"&from=2000-01-01T00:00:00%2B00:00").json
        assert (rollup["source"], live["source"]) == ("rollup", "live")
        assert rollup["features"] == live["features"]


def _rollup_rows():
    """The map cells as the map reads them: folded rows plus pending deltas."""
    rows = live_rows(MapCell, ["level", "cx", "cy", "status", "category_id", "department_id", "area_id"],
                     ["n", "sx", "sy", "sid"])
    return [row for row in rows if row.n != 0]


def _rebuilt_rows():
    """What commits left (read before folding), unchanged by folding; then the rebuild."""
    kept = _rollup_rows()
    rollups.fold(db.session.connection())
    assert pending() == 0
    assert _rollup_rows() == kept
    map_rollup.rebuild(db.session.connection())
    rebuilt = _rollup_rows()
    db.session.rollback()
    return kept, rebuilt


def test_rollup_follows_reports_and_lifecycle_actions(ticket_in, report):
    for status in ("assigned", "in_progress", "resolved", "closed", "reopened", "returned", "invalid",
                   "duplicate"):
        ticket_in(status, at=(SEAT[0] + random.Random(status).uniform(-0.01, 0.01), SEAT[1]))
    report("09009", at=(29.99, 120.0))
    kept, rebuilt = _rebuilt_rows()
    assert kept == rebuilt
    total = db.session.scalar(sa.select(sa.func.count(Ticket.id)))
    assert sum(r.n for r in kept if r.level == 8) == total * len(map_rollup.GROUPINGS)  # each ticket in each


def test_a_rolled_back_savepoint_leaves_the_rollup_alone(report):
    report("09009", at=SEAT)
    before = _rollup_rows()
    with pytest.raises(RuntimeError), db.session.begin_nested():
        report("09009", at=(29.98, 120.04), commit=False)
        raise RuntimeError("give up this one")
    db.session.commit()
    assert _rollup_rows() == before


def test_the_rebuild_command_recounts_the_cells(report, runner):
    report("09009", at=SEAT)
    db.session.execute(sa.delete(MapCell))  # as if bulk SQL had bypassed the app
    db.session.commit()
    result = runner.invoke(args=["rollups-rebuild"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.sum(MapCell.n)).where(MapCell.level == 8)) == len(map_rollup.GROUPINGS)


def test_moving_a_ticket_moves_its_cell(report):
    ticket = report("09009", at=SEAT).ticket
    ticket.lat, ticket.lon = 29.99, 120.03
    db.session.commit()
    kept, rebuilt = _rebuilt_rows()
    assert kept == rebuilt


@pytest.mark.parametrize(("query", "field"), [
    ("bbox=1,2,3&zoom=10", "bbox"),
    ("bbox=120,30,119,31&zoom=10", "bbox"),
    (f"bbox={COUNTY}", "zoom"),
    ("bbox=-180,-85,180,85&zoom=16", "bbox"),  # the whole world, close up: far too many cells
    (f"bbox={COUNTY}&zoom=10&department=NOPE", "department"),
])
def test_bad_viewports_and_filters_are_refused_with_the_field(county, supervisor_api, query, field):
    response = supervisor_api.get(f"/api/v1/map/clusters?{query}")
    assert response.status_code == 422
    assert response.json["error"]["field"] == field


@pytest.mark.parametrize(("role", "expected"), [("inspector", 403), ("department", 403), ("supervisor", 200),
                                                ("admin", 200)])
def test_only_supervisors_and_admins_see_the_map_data(county, api, create_user, role, expected):
    user = create_user(role, "CGZF" if role == "department" else None)
    client = api(user)
    assert client.get(f"/api/v1/map/clusters?bbox={COUNTY}&zoom=10").status_code == expected
    assert client.get("/api/v1/map/areas").status_code == expected


def test_gcj02_tiles_get_shifted_markers_and_outlines(app, seeded, supervisor_api):
    from app.services.supervision.gcj02 import wgs84_to_gcj02

    plain = supervisor_api.get(f"/api/v1/map/clusters?bbox={COUNTY}&zoom=12").json
    single = next(f for f in plain["features"] if f["properties"]["count"] == 1)
    lon, lat = single["geometry"]["coordinates"]
    app.config["TILE_CRS"] = "GCJ02"
    try:
        shifted = supervisor_api.get(f"/api/v1/map/clusters?bbox={COUNTY}&zoom=12").json
        areas = supervisor_api.get("/api/v1/map/areas").json
    finally:
        app.config["TILE_CRS"] = "WGS84"
    assert shifted["datum"] == "GCJ02"
    moved = next(f for f in shifted["features"] if f["properties"].get("id") == single["properties"]["id"])
    want_lat, want_lon = wgs84_to_gcj02(lat, lon)
    assert moved["geometry"]["coordinates"] == pytest.approx([want_lon, want_lat], abs=1e-6)
    assert abs(moved["geometry"]["coordinates"][0] - lon) > 0.003  # hundreds of metres, as on AMap
    assert areas["datum"] == "GCJ02"
