"""What Flask serves for the PWA: the shell, a versioned service worker, the manifest, small JSON docs."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from app.pwa import views
from tests.factories import PASSWORD

PWA = Path(__file__).resolve().parents[2] / "static" / "pwa"
IMPORT = re.compile(r"""(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(['"]([^'"]+)['"]\)""")


def precache(client) -> tuple[str, list[str]]:
    body = client.get("/app/sw.js").text
    version = re.match(r'const VERSION = "([0-9a-f]+)";\n', body).group(1)
    urls = json.loads(re.search(r"const PRECACHE = (\[.*?\]);\n", body).group(1))
    return version, urls


def status(client, url: str) -> int:
    with client.get(url) as resp:  # closes the file a static response holds open
        return resp.status_code


def module_graph(entry: Path) -> set[Path]:
    """Every JavaScript file reachable from `entry` by static or dynamic imports."""
    seen, todo = set(), [entry]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for static, dynamic in IMPORT.findall(path.read_text(encoding="utf-8")):
            spec = static or dynamic
            target = (PWA.parent.parent / spec.lstrip("/")) if spec.startswith("/") else (path.parent / spec)
            todo.append(target.resolve())
    return seen


def test_every_module_the_page_and_the_worker_load_is_cached_for_offline_use(client):
    _, urls = precache(client)
    cached = {(PWA.parent.parent / url.lstrip("/")).resolve() for url in urls if url.startswith("/static/")}
    needed = module_graph(PWA / "js" / "app.js") | module_graph(PWA / "sw.js")
    assert needed - {PWA / "sw.js"} <= cached
    assert {"/app/", "/app/config.json", "/app/manifest.webmanifest"} <= set(urls)
    assert all(status(client, url) == 200 for url in urls)


def test_the_worker_is_versioned_by_the_content_of_what_it_caches(app, client, tmp_path, monkeypatch):
    before, _ = precache(client)
    assert precache(client)[0] == before  # stable while nothing changes
    copy = tmp_path / "pwa"
    shutil.copytree(PWA, copy)
    monkeypatch.setattr(views, "pwa_dir", lambda: copy)
    assert precache(client)[0] == before
    (copy / "js" / "i18n.js").write_text((copy / "js" / "i18n.js").read_text() + "\n// changed\n")
    assert precache(client)[0] != before


def test_the_worker_and_shell_are_never_served_stale(client):
    for url in ("/app/", "/app/sw.js", "/app/manifest.webmanifest", "/app/config.json"):
        assert client.get(url).headers["Cache-Control"] == "no-cache", url
    assert client.get("/app/sw.js").mimetype == "text/javascript"


def test_the_shell_has_no_inline_script_or_style_and_preloads_its_modules(client):
    html = client.get("/app/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and " style=" not in html and "<style" not in html
    assert 'rel="modulepreload" href="/static/pwa/js/capture/form.js"' in html
    assert "modulepreload links" not in html
    assert 'name="category"' in html and 'name="description"' in html and 'data-action="sync"' in html
    assert 'accept="image/*" capture="environment" multiple' in html


def test_the_manifest_makes_an_installable_chinese_app(client):
    manifest = client.get("/app/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json(force=True)
    assert body["lang"] == "zh-CN" and body["name"].startswith("巡查") and body["display"] == "standalone"
    assert body["start_url"] == body["scope"] == "/app/"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes and any(icon["purpose"] == "maskable" for icon in body["icons"])
    for icon in body["icons"]:
        assert status(client, icon["src"]) == 200


def test_the_client_config_carries_the_tile_settings_and_a_start_point_in_the_county(app, client, county):
    body = client.get("/app/config.json").get_json()
    assert body["tile_crs"] == app.config["TILE_CRS"] and body["batch_limit"] == 50
    from app.services.reports.geo import in_county

    assert in_county(body["map_center"]["lat"], body["map_center"]["lon"]) is True


def test_the_client_config_says_whether_the_server_takes_reports_outside_the_county(app, client, county,
                                                                                   monkeypatch):
    assert client.get("/app/config.json").get_json()["outside_county"] == "reject"  # the phone refuses at once
    monkeypatch.setitem(app.config, "SYNC_OUTSIDE_COUNTY", "accept")
    assert client.get("/app/config.json").get_json()["outside_county"] == "accept"


def test_session_json_tells_the_app_whether_it_may_ask_for_a_device_token(client, login, create_user):
    assert client.get("/app/session.json").get_json() == {"authenticated": False}
    user = create_user("inspector")
    login(user)
    body = client.get("/app/session.json").get_json()
    assert body["authenticated"] and body["username"] == user.username and body["csrf_token"]
    token = client.post("/api/v1/device-tokens", json={"label": "PWA"}, headers={"X-CSRFToken": body["csrf_token"]})
    assert token.status_code == 201


@pytest.mark.parametrize(("role", "home"), [("inspector", "/app/")])
def test_inspectors_land_in_the_app_after_logging_in(client, create_user, role, home):
    user = create_user(role)
    page = client.get("/login").text
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": csrf})
    assert resp.headers["Location"].endswith(home)
