"""Every tile preset in Chromium against a local tile server (its requests counted per layer and
host), the offline base map with no network at all, and a cluster at the highest zoom as a list.

The presets are pointed at the local server with TILE_HOST_OVERRIDE: a preset's host (t3.tianditu.gov.cn)
becomes the first segment of the path, so the server sees which layer and subdomain each tile asks for.
"""
from __future__ import annotations

import base64
import contextlib
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from app.extensions import db
from tests.browser.conftest import GPS_PHOTO, wait_until
from tests.factories import PASSWORD

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAAB"
                       "JRU5ErkJggg==")
SEAT_VIEW = "lat=29.975&lon=119.95&z=13"


@pytest.fixture
def tile_server():
    """A PNG for every GET; `requests` holds each path and query."""
    requests: list[str] = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            # Leaflet drops a tile it no longer needs (a zoom, the page closed): not a failure.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(PNG)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.requests = requests
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def _log_in(chromium, live_url, username):
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page, problems


def _by_layer_and_host(requests: list[str]) -> Counter:
    """(first path segment = the preset's host, layer) → tiles asked for."""
    counts: Counter = Counter()
    for path in requests:
        parts = urlsplit(path)
        segments = parts.path.strip("/").split("/")
        query = parse_qs(parts.query)
        layer = query.get("LAYER", query.get("type", query.get("style", ["?"])))[0]
        counts[(segments[0], layer)] += 1
    return counts


PRESETS = {
    "tianditu": ({"TILE_PROVIDER": "tianditu", "TIANDITU_KEY": "testkey"},
                 lambda host: host.startswith("t") and host.endswith(".tianditu.gov.cn"), {"vec", "cva"}, 8),
    "amap": ({"TILE_PROVIDER": "amap"}, lambda host: host.endswith(".is.autonavi.com"), {"8"}, 4),
    "tencent": ({"TILE_PROVIDER": "tencent"}, lambda host: host.endswith(".map.gtimg.com"), {"vector"}, 4),
}


def _wait_for_layers(server, layers: set[str], hosts: int, timeout_s: float = 20.0) -> Counter:
    """The tile requests by (host, layer) once each of `layers` came from `hosts` hosts (or time ran out)."""
    deadline = time.monotonic() + timeout_s
    while True:
        counts = _by_layer_and_host(list(server.requests))
        spread = {layer: {host for host, lay in counts if lay == layer} for layer in layers}
        if all(len(used) >= hosts for used in spread.values()) or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_each_preset_loads_its_layers_from_every_host(preset, app, county, create_user, chromium, live_url,
                                                       tile_server, monkeypatch):
    settings, host_ok, layers, hosts = PRESETS[preset]
    for key, value in {**settings, "TILE_HOST_OVERRIDE": tile_server.url}.items():
        monkeypatch.setitem(app.config, key, value)
    username = create_user("supervisor").username
    db.session.commit()
    db.session.remove()
    context, page, problems = _log_in(chromium, live_url, username)
    try:
        page.goto(f"{live_url}/supervise/map?{SEAT_VIEW}")
        wait_until(page, "document.querySelectorAll('.leaflet-tile-loaded').length >= 12")
        # The first dozen tiles may all be the base layer's on a slow machine: the labels come next.
        counts = _wait_for_layers(tile_server, layers, min(hosts, 3))
        assert all(host_ok(host) for host, _layer in counts), counts
        assert {layer for _host, layer in counts} == layers  # Tianditu: the base and its labels
        for layer in layers:
            used = {host for host, lay in counts if lay == layer}
            assert len(used) >= min(hosts, 3), counts  # tiles spread over the preset's subdomains
        if preset == "tianditu":
            assert all(int(parse_qs(urlsplit(p).query)["TILEMATRIX"][0]) <= 18 for p in tile_server.requests)
            assert {h.split(".")[0] for h, _l in counts} <= {f"t{i}" for i in range(8)}
        assert page.locator(".base-road").count() == 0  # tiles present: no offline base underneath
    finally:
        context.close()
    assert problems == []


def test_offline_base_map_draws_with_no_network(county, create_user, ticket_in, chromium, live_url):
    ticket = ticket_in("assigned")
    username = create_user("supervisor").username
    ticket_id = ticket.id
    db.session.commit()
    db.session.remove()
    context, page, problems = _log_in(chromium, live_url, username)
    outside: list[str] = []

    def only_local(route):
        if route.request.url.startswith(live_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    try:
        page.goto(f"{live_url}/supervise/map")
        wait_until(page, "document.getElementById('map').dataset.offline === 'drawn'")
        assert page.locator(".leaflet-overlay-pane path.base-road").count() == 4
        assert page.locator(".leaflet-overlay-pane path.base-river").count() == 2
        assert page.locator(".area-label").count() >= 4  # township names written on the map
        assert page.locator(".leaflet-tile").count() == 0

        page.goto(f"{live_url}/tickets/{ticket_id}")
        wait_until(page, "document.getElementById('ticket-map').dataset.offline === 'drawn'")
        assert page.locator("#ticket-map path.base-road").count() > 0
    finally:
        context.close()
    assert outside == [] and problems == []


def test_a_cluster_at_the_highest_zoom_opens_as_a_list_of_its_tickets(county, create_user, report, chromium,
                                                                      live_url):
    made = [report(code, (29.975 + i * 0.00001, 119.95)).ticket for i, code in enumerate(("01037", "01013", "02010"))]
    ids = sorted(t.id for t in made)
    username = create_user("supervisor").username
    db.session.commit()
    db.session.remove()
    context, page, problems = _log_in(chromium, live_url, username)
    try:
        page.goto(f"{live_url}/supervise/map?lat=29.97501&lon=119.95&z=18")
        page.wait_for_selector(".cluster")
        page.locator(".cluster").first.click()
        page.wait_for_selector(".cluster-list a")
        hrefs = page.locator(".cluster-list a").evaluate_all("links => links.map((a) => a.getAttribute('href'))")
        assert sorted(int(h.rsplit("/", 1)[1]) for h in hrefs) == ids
        page.locator(".cluster-list a").first.click()
        page.wait_for_url(f"**/tickets/{ids[0]}")
    finally:
        context.close()
    assert problems == []


def test_the_pwa_pin_map_and_the_ticket_map_use_the_same_preset(app, county, create_user, ticket_in, phone,
                                                                 chromium, live_url, tile_server, monkeypatch):
    for key, value in {"TILE_PROVIDER": "tianditu", "TIANDITU_KEY": "testkey",
                       "TILE_HOST_OVERRIDE": tile_server.url}.items():
        monkeypatch.setitem(app.config, key, value)
    ticket_id = ticket_in("assigned").id
    inspector, supervisor = create_user("inspector").username, create_user("supervisor").username
    db.session.commit()
    db.session.remove()

    phone.log_in(inspector)
    page = phone.page
    page.set_input_files("input[name=photos]", str(GPS_PHOTO))
    page.wait_for_selector("[data-field=previews] img")
    page.click("[data-action=open-map]")
    page.locator("[data-field=map] .leaflet-marker-icon").wait_for()
    wait_until(page, "document.querySelectorAll('[data-field=map] .leaflet-tile-loaded').length >= 4")
    layers = {layer for _host, layer in _by_layer_and_host(tile_server.requests)}
    assert layers == {"vec", "cva"}  # the phone draws the base and its labels too
    assert phone.errors == []

    tile_server.requests.clear()
    context, desk, problems = _log_in(chromium, live_url, supervisor)
    try:
        desk.goto(f"{live_url}/tickets/{ticket_id}")
        wait_until(desk, "document.querySelectorAll('#ticket-map .leaflet-tile-loaded').length >= 4")
        counts = _by_layer_and_host(tile_server.requests)
        assert {layer for _host, layer in counts} == {"vec", "cva"}
        assert {host.split(".")[0] for host, _layer in counts} <= {f"t{i}" for i in range(8)}
        assert desk.locator("#ticket-map path.base-road").count() == 0
    finally:
        context.close()
    assert problems == []
