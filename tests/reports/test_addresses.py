"""An address on every ticket (issue 18): the offline place name, the inspector's words, the job, the API.

No geocoder here (GEOCODER blank, the default): every address the job writes is the offline name
from the county's own data. The geocoders are in test_addresses_geocoders.py.
"""
from __future__ import annotations

import math
import os
import shutil
import subprocess
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from shapely.geometry import Point, shape
from shapely.ops import nearest_points

from app.extensions import db
from app.jobs.addresses import fill_addresses
from app.models import AddressSource, Change, Ticket
from app.services.actor import Actor
from app.services.reports import addresses, intake, places
from app.services.supervision import basemap
from app.timeutil import now_utc
from tests.factories import OUTSIDE, actor_of

NEAR_RENMIN_ROAD = (29.9703, 119.938)  # ~18 m north of the strip of 人民路 (point CGZ-ZCGD-01), in 城关镇
IN_HOSPITAL = (29.983, 119.932)  # inside the outline of 县人民医院 (CGZ-YY-01)
OPEN_FIELD_BSX = (30.06, 119.90)  # in 北山乡, far from every inspection point
# Near the base map's roads (app/seed_data/basemap.geojson), far from every inspection point:
BESIDE_EAST_AVENUE = (29.977, 119.99)  # ~110 m north of 城东大道 East Avenue, in 东城街道
BESIDE_RENMIN_ROAD_NANHU = (29.93, 119.9515)  # ~70 m east of the line of 人民路 Renmin Road, in 南湖镇


def test_the_offline_name_is_the_township_and_the_nearest_named_place(county):
    assert places.offline_name(*NEAR_RENMIN_ROAD, 300) == "城关镇 · 人民路附近"
    assert places.offline_name(*IN_HOSPITAL, 300) == "城关镇 · 县人民医院附近"
    # Beyond the radius a point is not "near": the township alone.
    assert places.offline_name(*NEAR_RENMIN_ROAD, 10) == "城关镇"
    assert places.offline_name(*OPEN_FIELD_BSX, 300) == "北山乡"
    # Outside every area: the position itself, never an empty address.
    assert places.offline_name(*OUTSIDE, 300) == f"{OUTSIDE[0]:.5f}, {OUTSIDE[1]:.5f}"


def test_the_base_maps_named_roads_name_a_place_too(county, report):
    assert places.offline_name(*BESIDE_EAST_AVENUE, 300) == "东城街道 · 城东大道附近"
    assert places.offline_name(*BESIDE_RENMIN_ROAD_NANHU, 300) == "南湖镇 · 人民路附近"
    assert places.offline_name(*BESIDE_EAST_AVENUE, 50) == "东城街道"  # a road is "near" within the radius only
    made = report(at=BESIDE_EAST_AVENUE)
    assert fill_addresses(now_utc()) == 1
    db.session.commit()
    db.session.expire_all()
    ticket = db.session.get(Ticket, made.ticket.id)
    assert (ticket.address, ticket.address_source) == ("东城街道 · 城东大道附近", AddressSource.OFFLINE)


@pytest.fixture
def county_base_map(app):
    """store(collection): the county's own base map in place of the seed's, for this test only
    (its row goes with the test's other rows)."""

    def store(collection: dict) -> None:
        basemap.store(collection)
        places.invalidate_cache()

    yield store
    places.invalidate_cache()


def _line(kind: str, name: str, *positions) -> dict:
    return {"type": "Feature", "properties": {"kind": kind, "name": name},
            "geometry": {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in positions]}}


def test_the_countys_own_base_map_names_its_roads_not_its_rivers(county, county_base_map):
    lat, lon = OPEN_FIELD_BSX
    assert places.offline_name(lat, lon, 300) == "北山乡"
    county_base_map({"type": "FeatureCollection", "features": [
        _line("river", "北溪 Beixi River", (lat + 0.0005, lon - 0.01), (lat + 0.0005, lon + 0.01)),  # ~55 m
        _line("road", "北山路（北段）", (lat - 0.002, lon - 0.01), (lat - 0.002, lon + 0.01)),  # ~220 m
        _line("road", "", (lat - 0.0001, lon - 0.01), (lat - 0.0001, lon + 0.01)),  # unnamed: names nothing
    ]})
    assert places.offline_name(lat, lon, 300) == "北山乡 · 北山路附近"
    assert places.offline_name(lat, lon, 200) == "北山乡"


def test_an_import_or_a_revert_reaches_the_names_when_the_cache_expires(app, county, county_base_map, monkeypatch):
    monkeypatch.setattr(places, "_CACHE_SECONDS", 0.0)  # as if 30 s had passed at every call
    lat, lon = OPEN_FIELD_BSX
    county_base_map({"type": "FeatureCollection", "features": [
        _line("road", "北山路", (lat - 0.001, lon - 0.01), (lat - 0.001, lon + 0.01))]})
    assert places.offline_name(lat, lon, 300) == "北山乡 · 北山路附近"
    basemap.store({"type": "FeatureCollection", "features": [
        _line("road", "新村路", (lat - 0.001, lon - 0.01), (lat - 0.001, lon + 0.01))]})
    assert places.offline_name(lat, lon, 300) == "北山乡 · 新村路附近"
    basemap.revert(Actor.system())  # the seed's roads again
    assert places.offline_name(lat, lon, 300) == "北山乡"
    assert places.offline_name(*BESIDE_EAST_AVENUE, 300) == "东城街道 · 城东大道附近"


def test_a_road_point_is_named_without_its_stretch():
    assert places.short_name("人民路（中山路—文化路段）") == "人民路"
    assert places.short_name("西溪（西城段）") == "西溪"
    assert places.short_name("城东城乡结合部（李家村）") == "城东城乡结合部（李家村）"  # a village, not a stretch
    assert places.short_name("县人民医院") == "县人民医院"
    # The base map's bilingual names: the Chinese part.
    assert places.road_name("城东大道 East Avenue") == "城东大道"
    assert places.road_name("104国道 G104") == "104国道"
    assert places.road_name("G104 国道") == "G104 国道"
    assert places.road_name("Main Street") == "Main Street"


def test_the_job_gives_a_ticket_without_an_address_the_offline_name(report, app):
    made = report(at=NEAR_RENMIN_ROAD)
    assert (made.ticket.address, made.ticket.address_source) == ("", None)
    assert fill_addresses(now_utc()) == 1
    db.session.commit()
    ticket = db.session.get(Ticket, made.ticket.id)
    db.session.refresh(ticket)
    assert (ticket.address, ticket.address_source) == ("城关镇 · 人民路附近", AddressSource.OFFLINE)
    assert ticket.version == 1  # a plain UPDATE: no department's open form goes stale
    assert fill_addresses(now_utc()) == 0  # done once


def _with_address(reporter, text: str, at=NEAR_RENMIN_ROAD) -> int:
    incoming = intake.IncomingReport(
        client_id=str(uuid.uuid4()), category_code="09009", lat=at[0], lon=at[1],
        captured_at=now_utc() - timedelta(minutes=5), location_source="device", description="乱停车", address=text)
    result = intake.receive(incoming, actor_of(reporter), now_utc())
    assert result.accepted, result
    db.session.commit()
    return result.ticket_id


def test_the_inspectors_words_win(create_user):
    inspector = create_user("inspector")
    ticket_id = _with_address(inspector, "  人民路12号门口  ")
    blank_id = _with_address(inspector, "   ", at=IN_HOSPITAL)  # only spaces: no words at all
    assert fill_addresses(now_utc()) == 1
    db.session.commit()
    ticket, blank = db.session.get(Ticket, ticket_id), db.session.get(Ticket, blank_id)
    db.session.refresh(ticket)
    db.session.refresh(blank)
    assert (ticket.address, ticket.address_source) == ("人民路12号门口", AddressSource.INSPECTOR)
    assert (blank.address, blank.address_source) == ("城关镇 · 县人民医院附近", AddressSource.OFFLINE)


def test_a_repeat_with_the_inspectors_words_replaces_a_made_up_name_but_never_other_words(create_user):
    first, second, third = (create_user("inspector") for _ in range(3))
    ticket_id = _with_address(first, "")
    fill_addresses(now_utc())
    db.session.commit()
    assert _with_address(second, " 人民路8号 ") == ticket_id  # a repeat of the same ticket
    assert _with_address(third, "另一种说法") == ticket_id
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket_id)
    assert (ticket.address, ticket.address_source) == ("人民路8号", AddressSource.INSPECTOR)
    assert ticket.report_count == 3


def test_an_address_given_while_the_job_runs_is_not_overwritten(report):
    made = report(at=NEAR_RENMIN_ROAD)
    work = addresses.plan(10, None)
    db.session.commit()
    db.session.execute(sa.update(Ticket).where(Ticket.id == made.ticket.id)
                       .values(address="府前街口", address_source=AddressSource.INSPECTOR))
    db.session.commit()
    assert addresses.apply(work, {}, now_utc(), 300) == 0
    db.session.commit()
    assert db.session.scalar(sa.select(Ticket.address).where(Ticket.id == made.ticket.id)) == "府前街口"


def test_the_oldest_tickets_go_first_in_batches(report, app, monkeypatch):
    made = [report(at=(NEAR_RENMIN_ROAD[0] + i * 0.001, NEAR_RENMIN_ROAD[1])) for i in range(3)]  # no repeats
    monkeypatch.setitem(app.config, "GEOCODER_BATCH", 2)
    assert fill_addresses(now_utc()) == 2
    db.session.commit()
    filled = set(db.session.scalars(sa.select(Ticket.id).where(Ticket.address_source.is_not(None))))
    assert filled == {made[0].ticket.id, made[1].ticket.id}
    assert fill_addresses(now_utc()) == 1


def test_followers_phones_learn_the_address_through_the_change_feed(report):
    made = report(at=IN_HOSPITAL)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Change).where(Change.ticket_id == made.ticket.id))
    fill_addresses(now_utc())
    db.session.commit()
    after = db.session.scalar(sa.select(sa.func.count()).select_from(Change).where(Change.ticket_id == made.ticket.id))
    assert after == before + 1


def test_the_api_carries_the_address_and_where_it_came_from(report, api, create_user):
    made = report(at=IN_HOSPITAL)
    client = api(create_user("supervisor"))
    body = client.get(f"/api/v1/tickets/{made.ticket.id}").get_json()
    assert (body["address"], body["address_source"]) == ("", None)
    fill_addresses(now_utc())
    db.session.commit()
    body = client.get(f"/api/v1/tickets/{made.ticket.id}").get_json()
    assert (body["address"], body["address_source"]) == ("城关镇 · 县人民医院附近", "offline")
    listed = client.get("/api/v1/tickets").get_json()["tickets"]
    assert [(t["address"], t["address_source"]) for t in listed] == [("城关镇 · 县人民医院附近", "offline")]


def test_the_ticket_page_shows_the_address_and_where_it_came_from(report, login, create_user):
    made = report(at=IN_HOSPITAL)
    fill_addresses(now_utc())
    db.session.commit()
    client = login(create_user("supervisor"))
    page = client.get(f"/tickets/{made.ticket.id}").text
    assert "城关镇 · 县人民医院附近" in page and "（按所在镇街和附近点位生成）" in page
    english = client.get(f"/tickets/{made.ticket.id}?lang=en").text
    assert "城关镇 · 县人民医院附近 <small class=\"muted\">(named from the county's townships and points)" in english


def test_flask_scheduler_once_fills_the_address(report, runner):
    made = report(at=NEAR_RENMIN_ROAD)
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert "fill_addresses: 1" in result.output
    db.session.expire_all()
    ticket = db.session.get(Ticket, made.ticket.id)
    assert (ticket.address, ticket.address_source) == ("城关镇 · 人民路附近", AddressSource.OFFLINE)


# The phone's fallback before sync: from /api/v1/places and /api/v1/areas alone, computed the way the
# PWA must (point in polygon; distance to a place's outline, 0 inside, else to its position; the nearest
# within radius_m), it names a place exactly as the server does.

def _haversine_m(a, b) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def _phone_name(areas: list[dict], data: dict, lat: float, lon: float) -> str:
    here = Point(lon, lat)
    townships = [a for a in areas if a["kind"] == "township" and shape(a["geometry"]).covers(here)]
    county = [a for a in areas if a["kind"] == "county" and shape(a["geometry"]).covers(here)]
    township = (townships or county or [{"name_zh": ""}])[0]["name_zh"]
    best = None
    for place in data["places"]:
        if place["geometry"]:
            outline = shape(place["geometry"])
            near = here if outline.covers(here) else nearest_points(outline, here)[0]
            metres = _haversine_m((lat, lon), (near.y, near.x))
        else:
            metres = _haversine_m((lat, lon), (place["lat"], place["lon"]))
        if metres <= data["radius_m"] and (best is None or metres < best[0]):
            best = (metres, place["name"])
    text = data["separator"].join(p for p in (township, best[1] + data["near"] if best else "") if p)
    return text or f"{lat:.5f}, {lon:.5f}"


def test_the_phone_can_name_a_place_offline_as_the_server_does(api, create_user):
    client = api(create_user("inspector"))
    answer = client.get("/api/v1/places")
    assert answer.status_code == 200
    data = answer.get_json()
    areas = client.get("/api/v1/areas").get_json()["areas"]
    assert data["radius_m"] == 300 and data["separator"] == " · " and data["near"] == "附近"
    assert len(data["version"]) == 16 and client.get("/api/v1/places").get_json()["version"] == data["version"]
    first = {k: v for k, v in data["places"][0].items() if k != "geometry"}
    assert first == {"name": "人民路", "lat": 29.97, "lon": 119.945}
    road = next(p for p in data["places"] if p["name"] == "城东大道")  # the base map's, as its line
    assert road["geometry"]["type"] == "LineString"
    assert shape(road["geometry"]).distance(Point(road["lon"], road["lat"])) < 1e-6
    for spot in (NEAR_RENMIN_ROAD, IN_HOSPITAL, OPEN_FIELD_BSX, OUTSIDE, (29.962, 119.9431), (29.98, 120.0466),
                 BESIDE_EAST_AVENUE, BESIDE_RENMIN_ROAD_NANHU):
        assert _phone_name(areas, data, *spot) == places.offline_name(*spot, 300), spot


def _slip_text(client, ticket_id: int, tmp_path) -> str:
    """The ticket's slip as pdftotext reads it (CI installs poppler-utils: there a missing tool fails)."""
    if shutil.which("pdftotext") is None:
        missing = "poppler-utils missing (pdftotext): apt-get install -y poppler-utils"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(missing)
    response = client.get(f"/supervise/slips.pdf?ids={ticket_id}")
    assert response.status_code == 200
    (tmp_path / "slip.pdf").write_bytes(response.data)
    return subprocess.run(["pdftotext", str(tmp_path / "slip.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_a_slip_carries_the_place_name(report, login, create_user, tmp_path):
    made = report("06012", at=NEAR_RENMIN_ROAD)  # routed: a department's slip
    fill_addresses(now_utc())
    db.session.commit()
    client = login(create_user("supervisor", "CCB"))
    text = _slip_text(client, made.ticket.id, tmp_path)
    assert "人民路附近" in text.replace(" ", "") and "城关镇" in text


def test_before_the_job_the_slip_and_the_page_show_the_offline_name_without_storing_it(report, login, create_user,
                                                                                     tmp_path):
    made = report("06012", at=NEAR_RENMIN_ROAD)  # the job has not run yet
    client = login(create_user("supervisor", "CCB"))
    text = _slip_text(client, made.ticket.id, tmp_path)
    assert "人民路附近" in text.replace(" ", "") and "城关镇" in text
    page = client.get(f"/tickets/{made.ticket.id}").get_data(as_text=True)
    assert "人民路附近" in page
    db.session.expire_all()
    ticket = db.session.get(Ticket, made.ticket.id)
    assert (ticket.address, ticket.address_source) == ("", None)  # still the job's to name


def test_a_broken_outline_does_not_hold_up_the_queue(report, monkeypatch):
    made = report(at=IN_HOSPITAL)

    def broken(*_args):
        raise ValueError("a self-intersecting outline")

    monkeypatch.setattr(places, "nearest_place", broken)
    assert fill_addresses(now_utc()) == 1
    db.session.commit()
    db.session.expire_all()
    ticket = db.session.get(Ticket, made.ticket.id)
    assert (ticket.address, ticket.address_source) == (f"{IN_HOSPITAL[0]:.5f}, {IN_HOSPITAL[1]:.5f}",
                                                       AddressSource.OFFLINE)
