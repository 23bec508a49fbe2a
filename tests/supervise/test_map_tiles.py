"""Tile presets (TILE_PROVIDER) and the map's contract: GET /api/v1/map/config and the offline base map."""
from __future__ import annotations

import json

import pytest

from app.extensions import db
from app.services.supervision import basemap
from app.services.supervision.tiles import TileConfigError, tile_settings

TIANDITU = {"TILE_PROVIDER": "tianditu", "TIANDITU_KEY": "k3y", "TILE_MAX_ZOOM": 19}


def test_tianditu_vector_is_a_base_and_its_labels_on_hosts_t0_to_t7_up_to_zoom_18():
    settings = tile_settings(TIANDITU)
    assert settings.datum == "WGS84"
    base, labels = settings.layers
    assert base.url.startswith("https://t{s}.tianditu.gov.cn/vec_w/wmts?") and "LAYER=vec&" in base.url
    assert labels.url.startswith("https://t{s}.tianditu.gov.cn/cva_w/wmts?") and "LAYER=cva&" in labels.url
    for layer in settings.layers:
        assert layer.subdomains == "01234567"
        assert layer.max_zoom == 18  # TILE_MAX_ZOOM=19 is capped: Tianditu stops at 18
        assert "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k3y" in layer.url
    assert base.attribution and not labels.attribution  # said once


def test_tianditu_imagery_uses_img_and_cia_and_needs_a_key():
    base, labels = tile_settings({**TIANDITU, "TILE_STYLE": "imagery"}).layers
    assert "LAYER=img&" in base.url and "LAYER=cia&" in labels.url
    with pytest.raises(TileConfigError):
        tile_settings({"TILE_PROVIDER": "tianditu"})
    with pytest.raises(TileConfigError):
        tile_settings({**TIANDITU, "TILE_STYLE": "satellite"})


@pytest.mark.parametrize(("provider", "host", "subdomains"), [
    ("amap", "https://webrd0{s}.is.autonavi.com/appmaptile?", "1234"),
    ("tencent", "https://rt{s}.map.gtimg.com/tile?", "0123"),
])
def test_amap_and_tencent_are_gcj02(provider, host, subdomains):
    settings = tile_settings({"TILE_PROVIDER": provider})
    assert settings.datum == "GCJ02"
    (layer,) = settings.layers
    assert layer.url.startswith(host) and layer.subdomains == subdomains and layer.max_zoom == 18
    if provider == "tencent":
        assert "y={-y}" in layer.url  # Leaflet's inverted (TMS) row


def test_custom_url_keeps_its_own_settings_and_no_url_means_no_layers():
    settings = tile_settings({"TILE_URL": "https://{s}.tiles.example/{z}/{x}/{y}.png", "TILE_SUBDOMAINS": "xyz",
                              "TILE_MIN_ZOOM": 5, "TILE_MAX_ZOOM": 20, "TILE_CRS": "GCJ-02",
                              "TILE_ATTRIBUTION": "© county"})
    assert settings.datum == "GCJ02"
    assert [(lay.subdomains, lay.min_zoom, lay.max_zoom, lay.attribution) for lay in settings.layers] == [
        ("xyz", 5, 20, "© county")]
    assert tile_settings({}).layers == ()
    assert tile_settings({"TILE_CRS": "CGCS2000"}).datum == "WGS84"
    with pytest.raises(TileConfigError):
        tile_settings({"TILE_PROVIDER": "bing"})


def test_host_override_keeps_the_preset_host_as_a_path():
    (layer,) = tile_settings({"TILE_PROVIDER": "amap", "TILE_HOST_OVERRIDE": "http://127.0.0.1:9/"}).layers
    assert layer.url.startswith("http://127.0.0.1:9/webrd0{s}.is.autonavi.com/appmaptile?")


def test_map_config_endpoint_follows_the_preset_for_any_signed_in_user(app, api, create_user, monkeypatch):
    for key, value in TIANDITU.items():
        monkeypatch.setitem(app.config, key, value)
    body = api(create_user("department", "CGZF")).get("/api/v1/map/config").get_json()
    assert body["datum"] == "WGS84"
    assert len(body["layers"]) == 2
    assert {tuple(sorted(layer)) for layer in body["layers"]} == {
        ("attribution", "max_zoom", "min_zoom", "subdomains", "url")}
    assert all(layer["subdomains"] == "01234567" and layer["max_zoom"] <= 18 for layer in body["layers"])
    assert body["offline_layers"] == ["areas", "roads", "rivers", "inspection_points"]
    monkeypatch.setitem(app.config, "TILE_PROVIDER", "tencent")
    assert api(create_user("inspector")).get("/api/v1/map/config").get_json()["datum"] == "GCJ02"


def test_a_broken_preset_leaves_the_offline_map_not_an_error(app, api, create_user, monkeypatch):
    monkeypatch.setitem(app.config, "TILE_PROVIDER", "tianditu")
    monkeypatch.setitem(app.config, "TIANDITU_KEY", "")
    response = api(create_user("supervisor")).get("/api/v1/map/config")
    assert response.status_code == 200
    assert response.get_json()["layers"] == []


def test_csp_allows_every_layer_host_of_the_preset(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TILE_PROVIDER", "amap")
    assert "https://*.is.autonavi.com" in client.get("/login").headers["Content-Security-Policy"]


def test_base_map_is_the_seed_until_an_admin_imports_the_county_own(app, api, create_user, runner, tmp_path):
    reader = api(create_user("department", "CGZF"))
    seeded = reader.get("/api/v1/map/base.geojson").get_json()
    assert {f["properties"]["kind"] for f in seeded["features"]} == {"road", "river"}
    assert all(f["properties"]["name"] for f in seeded["features"])

    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [120, 30]}, "properties": {"kind": "road"}}]}))
    result = runner.invoke(args=["basemap", "import", str(bad)])
    assert result.exit_code != 0 and "geometry" in result.output
    db.session.rollback()
    assert basemap.stamp() is None  # nothing half written

    own = tmp_path / "county.geojson"
    own.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[119.9, 29.9], [120.0, 30.0]]},
         "properties": {"kind": "river", "name": "富春江"}}]}), encoding="utf-8")
    result = runner.invoke(args=["basemap", "import", str(own)])
    assert result.exit_code == 0, result.output
    replaced = reader.get("/api/v1/map/base.geojson").get_json()
    assert [f["properties"] for f in replaced["features"]] == [{"kind": "river", "name": "富春江"}]
    assert reader.get("/api/v1/map/config").get_json()["offline_layers"] == ["areas", "rivers", "inspection_points"]


def test_at_the_highest_zoom_a_cluster_lists_every_one_of_its_tickets(api, create_user, report):
    made = [report(code, (29.975 + i * 0.00001, 119.95)).ticket for i, code in enumerate(("01037", "01013", "02010"))]
    db.session.commit()
    reader = api(create_user("supervisor"))
    url = "/api/v1/map/clusters?bbox=119.949,29.974,119.951,29.976&zoom=18"
    (cluster,) = reader.get(url + "&members=1").get_json()["features"]
    assert cluster["properties"]["count"] == 3
    assert sorted(t["id"] for t in cluster["properties"]["tickets"]) == sorted(t.id for t in made)
    assert {t["case_number"] for t in cluster["properties"]["tickets"]} == {t.case_number for t in made}
    assert "tickets" not in reader.get(url).get_json()["features"][0]["properties"]  # only when asked
