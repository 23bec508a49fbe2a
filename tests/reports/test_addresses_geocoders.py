"""Reverse geocoding (issue 18) against a local fake of each provider (tests/reports/fake_geocoder.py).

What each provider is asked (the path, the key, the datum of the coordinates it receives), the
cache per position rounded to 4 decimals, the rate limit (on a fake clock: no real waiting), and
the offline name when the server is down, slow or knows nothing.
"""
from __future__ import annotations

import ast

import pytest
import sqlalchemy as sa
from geopy.extra.rate_limiter import RateLimiter

from app.extensions import db
from app.jobs.addresses import fill_addresses
from app.models import AddressSource, GeocodeAnswer, Ticket
from app.services.reports import geo, geocoders
from app.services.supervision.gcj02 import wgs84_to_gcj02
from app.timeutil import now_utc
from tests.reports.fake_geocoder import FakeGeocoder
from tests.reports.test_addresses import IN_HOSPITAL, NEAR_RENMIN_ROAD

SPOT = (29.97031, 119.93804)  # rounds to (29.9703, 119.9380)
SAME_ROUNDED_SPOT = (29.97028, 119.93796)  # 4 m away: the same 4-decimal key


@pytest.fixture
def fake():
    server = FakeGeocoder()
    yield server
    server.stop()


@pytest.fixture
def use(app, monkeypatch):
    """use("nominatim", fake.url, AMAP_KEY=...): configure the geocoder for this test only."""
    geocoders._geocoders.clear()

    def configure(provider: str, url: str, **settings):
        monkeypatch.setitem(app.config, "GEOCODER", provider)
        monkeypatch.setitem(app.config, "GEOCODER_URL", url)
        monkeypatch.setitem(app.config, "GEOCODER_MIN_DELAY_S", settings.pop("min_delay_s", 0.0))
        monkeypatch.setitem(app.config, "GEOCODER_TIMEOUT_S", settings.pop("timeout_s", 2.0))
        for name, value in settings.items():
            monkeypatch.setitem(app.config, name, value)

    yield configure
    geocoders._geocoders.clear()


def _filled(ticket_id: int) -> tuple[str, AddressSource | None]:
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket_id)
    return ticket.address, ticket.address_source


def _run() -> int:
    count = fill_addresses(now_utc())
    db.session.commit()
    return count


def test_nominatim_is_asked_as_geopy_asks_it(report, fake, use):
    use("nominatim", fake.url)
    made = report(at=SPOT)
    assert _run() == 1
    assert _filled(made.ticket.id) == ("城关镇 · 人民路12号", AddressSource.GEOCODER)
    [asked] = fake.requests
    assert asked["path"] == "/reverse"
    assert (float(asked["query"]["lat"]), float(asked["query"]["lon"])) == (29.9703, 119.938)  # WGS-84, rounded
    assert asked["query"]["format"] == "json" and asked["query"]["addressdetails"] == "1"
    assert asked["query"]["accept-language"] == "zh-CN"
    assert asked["user_agent"] == geocoders.USER_AGENT


def test_nominatim_under_a_path_prefix(report, fake, use):
    use("nominatim", fake.url + "/")  # a trailing slash is not a second one
    report(at=SPOT)
    _run()
    assert [r["path"] for r in fake.requests] == ["/reverse"]


def test_baidu_is_told_the_position_is_wgs84(report, fake, use):
    use("baidu", fake.url, BAIDU_MAP_AK="ak-test")
    made = report(at=SPOT)
    _run()
    [asked] = fake.requests
    assert asked["path"] == "/reverse_geocoding/v3/"
    assert asked["query"]["ak"] == "ak-test" and asked["query"]["output"] == "json"
    # Without coordtype Baidu reads BD-09: the WGS-84 position goes as it is, declared.
    assert asked["query"]["coordtype"] == "wgs84ll"
    lat, lon = map(float, asked["query"]["location"].split(","))
    assert (lat, lon) == (29.9703, 119.938)
    assert _filled(made.ticket.id) == ("城关镇人民路12号", AddressSource.GEOCODER)  # province, city, county dropped


def test_baidu_signs_with_its_sk_when_given(report, fake, use):
    use("baidu", fake.url, BAIDU_MAP_AK="ak-test", BAIDU_MAP_SK="sk-test")
    report(at=SPOT)
    _run()
    assert len(fake.requests[0]["query"]["sn"]) == 32  # md5 of the path, query and SK


def test_amap_receives_gcj02_and_the_ticket_keeps_wgs84(report, fake, use):
    use("amap", fake.url, AMAP_KEY="amap-test")
    made = report(at=SPOT)
    _run()
    [asked] = fake.requests
    assert asked["path"] == "/v3/geocode/regeo" and asked["query"]["key"] == "amap-test"
    lon, lat = map(float, asked["query"]["location"].split(","))  # AMap: lon,lat
    expected = wgs84_to_gcj02(29.9703, 119.938)
    assert (lat, lon) == pytest.approx(expected, abs=1e-6)
    assert geo.distance_m((lat, lon), (29.9703, 119.938)) > 300  # GCJ-02 is a few hundred metres off here
    ticket = db.session.get(Ticket, made.ticket.id)
    assert (ticket.lat, ticket.lon) == SPOT  # only the question was converted
    assert ticket.address == "城关镇人民路12号"


def test_tianditu_receives_cgcs2000_that_is_wgs84(report, fake, use):
    use("tianditu", fake.url, TIANDITU_SERVER_KEY="tk-test")
    made = report(at=SPOT)
    _run()
    [asked] = fake.requests
    assert asked["path"] == "/geocoder"
    assert asked["query"]["tk"] == "tk-test" and asked["query"]["type"] == "geocode"
    post = ast.literal_eval(asked["query"]["postStr"])  # {'lon':…,'lat':…,'ver':1}, as Tianditu documents
    assert (post["lat"], post["lon"], post["ver"]) == (29.9703, 119.938, 1)
    assert _filled(made.ticket.id) == ("城关镇人民路", AddressSource.GEOCODER)


def test_two_tickets_at_one_rounded_spot_cost_one_call(report, fake, use):
    use("nominatim", fake.url)
    first = report(at=SPOT, category_code="09009")
    second = report(at=SAME_ROUNDED_SPOT, category_code="06012")  # another category: not a repeat
    assert _run() == 2
    assert len(fake.requests) == 1
    assert _filled(first.ticket.id) == _filled(second.ticket.id) == ("城关镇 · 人民路12号", AddressSource.GEOCODER)
    # A later ticket there is answered from the table, in another run.
    third = report(at=SPOT, category_code="03001")
    assert _run() == 1
    assert len(fake.requests) == 1
    assert _filled(third.ticket.id)[0] == "城关镇 · 人民路12号"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GeocodeAnswer)) == 1
    # Another spot is asked.
    report(at=IN_HOSPITAL)
    _run()
    assert len(fake.requests) == 2


def test_requests_are_spaced_by_the_rate_limit(report, fake, use, monkeypatch):
    """Geopy's RateLimiter on a fake clock: it sleeps what the limit needs, and no real second passes."""
    clock = {"now": 1000.0}
    slept = []

    def fake_sleep(_self, seconds):
        slept.append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(RateLimiter, "_clock", lambda _self: clock["now"])
    monkeypatch.setattr(RateLimiter, "_sleep", fake_sleep)
    fake.clock = lambda: clock["now"]
    use("nominatim", fake.url, min_delay_s=1.0)
    for i in range(3):
        report(at=(SPOT[0] + i * 0.001, SPOT[1]))  # three spots 110 m apart: three calls
    assert _run() == 3
    assert len(fake.requests) == 3
    gaps = [b - a for a, b in zip(fake.times, fake.times[1:], strict=False)]
    assert gaps == [pytest.approx(1.0), pytest.approx(1.0)]
    assert slept == [pytest.approx(1.0), pytest.approx(1.0)]


def test_a_server_that_is_down_gives_the_offline_name(report, fake, use):
    use("nominatim", fake.url)
    fake.stop()
    made = report(at=NEAR_RENMIN_ROAD)
    assert _run() == 1
    assert _filled(made.ticket.id) == ("城关镇 · 人民路附近", AddressSource.OFFLINE)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GeocodeAnswer)) == 0  # failures not cached


def test_a_slow_server_times_out_once_per_run_then_offline_names(report, fake, use):
    use("nominatim", fake.url, timeout_s=0.3)
    fake.delay_s = 1.5
    made = [report(at=(NEAR_RENMIN_ROAD[0] + i * 0.0005, NEAR_RENMIN_ROAD[1])) for i in range(3)]
    assert _run() == 3
    assert len(fake.requests) == 1  # one timeout (no retry), then no more asking in this run
    assert all(_filled(m.ticket.id)[1] == AddressSource.OFFLINE for m in made)
    assert _filled(made[0].ticket.id)[0] == "城关镇 · 人民路附近"


def test_no_address_known_there_gives_the_offline_name_and_is_remembered(report, fake, use):
    use("nominatim", fake.url)
    fake.empty = True
    made = report(at=IN_HOSPITAL)
    _run()
    assert _filled(made.ticket.id) == ("城关镇 · 县人民医院附近", AddressSource.OFFLINE)
    report(at=IN_HOSPITAL, category_code="06012")
    _run()
    assert len(fake.requests) == 1  # "nothing here" is an answer too


def test_a_half_configured_geocoder_still_names_every_ticket(report, use):
    use("baidu", "", BAIDU_MAP_AK="")  # no key
    made = report(at=IN_HOSPITAL)
    assert _run() == 1
    assert _filled(made.ticket.id) == ("城关镇 · 县人民医院附近", AddressSource.OFFLINE)


def test_settings(app):
    assert geocoders.Settings.from_config({"GEOCODER": ""}) is None
    with pytest.raises(geocoders.GeocoderMisconfigured):
        geocoders.Settings.from_config({"GEOCODER": "google"})
    with pytest.raises(geocoders.GeocoderMisconfigured):
        geocoders.Settings.from_config({"GEOCODER": "nominatim"})  # needs GEOCODER_URL
    tianditu = geocoders.Settings.from_config({"GEOCODER": "tianditu", "TIANDITU_SERVER_KEY": "k"})
    assert tianditu.url == "http://api.tianditu.gov.cn" and tianditu.key == "k"


def test_no_transaction_is_open_while_the_geocoder_is_asked(app, report, fake, use):
    """A slow geocoder holds no lock: a report is received and committed while the job waits for it."""
    import threading

    use("nominatim", fake.url, timeout_s=10.0)
    fake.delay_s = 3.0
    first = report(at=SPOT)
    outcome = {}

    def job():
        with app.app_context():
            outcome["count"] = fill_addresses(now_utc())
            db.session.commit()

    worker = threading.Thread(target=job)
    worker.start()
    try:
        for _ in range(200):  # until the fake has the question
            if fake.requests:
                break
            threading.Event().wait(0.02)
        assert fake.requests
        second = report(at=IN_HOSPITAL)  # a write (SQLite: BEGIN IMMEDIATE) while the job is waiting
        assert worker.is_alive()  # it went through before the geocoder answered
    finally:
        worker.join(timeout=15)
    assert outcome["count"] == 1
    assert _filled(first.ticket.id) == ("城关镇 · 人民路12号", AddressSource.GEOCODER)
    assert _filled(second.ticket.id) == ("", None)  # the next run's



def test_flask_scheduler_once_asks_the_configured_nominatim(report, fake, use, runner, api, create_user):
    """The contract end to end: GEOCODER=nominatim with GEOCODER_URL, the scheduler's one-shot run,
    and GET /api/v1/tickets/{id} with the address and where it came from."""
    use("nominatim", fake.url)
    made = report(at=SPOT)
    client = api(create_user("supervisor"))
    assert client.get(f"/api/v1/tickets/{made.ticket.id}").get_json()["address"] == ""
    db.session.commit()  # the request's bookkeeping (the token's last use) ends here, not in the CLI's way
    result = runner.invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert "fill_addresses: 1" in result.output
    assert [r["path"] for r in fake.requests] == ["/reverse"]
    body = client.get(f"/api/v1/tickets/{made.ticket.id}").get_json()
    assert (body["address"], body["address_source"]) == ("城关镇 · 人民路12号", "geocoder")
