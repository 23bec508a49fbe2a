"""The offline base map on an admin page: what it holds, the county's own GeoJSON, back to the seed's.
Bad files are refused with a readable message and change nothing."""
import io
import json
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry
from app.services.supervision import basemap

RIVER = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[119.9, 29.9], [120.0, 30.0]]},
     "properties": {"kind": "river", "name": "富春江"}},
    {"type": "Feature", "geometry": {"type": "MultiLineString", "coordinates": [[[119.9, 29.95], [120.0, 29.95]]]},
     "properties": {"kind": "road"}}]}


@pytest.fixture
def media(app, monkeypatch, tmp_path):
    """A MEDIA_ROOT of this test's own: the base map must not depend on it (it lives in the database)."""
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "machine-a"))
    return tmp_path


def _token(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/basemap").text).group(1)


def _upload(client, body: bytes, name="county.geojson", token=None):
    return client.post("/admin/basemap", data={"csrf_token": token or _token(client),
                                               "file": (io.BytesIO(body), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def test_an_admin_imports_the_county_base_map_and_goes_back_to_the_seed(media, login, create_user, api):
    admin = login(create_user("admin"))
    page = admin.get("/admin/basemap")
    assert page.status_code == 200 and 'data-source="seed"' in page.text
    seed = basemap.summary()
    assert seed.counts["road"] > 0 and seed.counts["river"] > 0

    done = _upload(admin, json.dumps(RIVER, ensure_ascii=False).encode())
    assert done.status_code == 200 and "底图已导入" in done.text
    assert 'data-source="county"' in done.text
    assert re.search(r'id="basemap-rivers">1<', done.text) and re.search(r'id="basemap-roads">1<', done.text)
    reader = api(create_user("department", "CGZF"))
    drawn = reader.get("/api/v1/map/base.geojson").get_json()["features"]
    assert [f["properties"] for f in drawn] == [{"kind": "river", "name": "富春江"}, {"kind": "road", "name": ""}]
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target_type == "basemap")).all()
    assert actions == ["basemap.import"]

    back = admin.post("/admin/basemap/revert", data={"csrf_token": _token(admin)}, follow_redirects=True)
    assert "已恢复为初始底图" in back.text and 'data-source="seed"' in back.text
    assert basemap.stamp() is None
    assert len(reader.get("/api/v1/map/base.geojson").get_json()["features"]) == sum(seed.counts.values())


@pytest.mark.parametrize("body, words", [
    (b"\xff\xfe not utf-8", "不是 GeoJSON"),
    (b"{\"type\": ", "不是 GeoJSON"),
    (b"[" * 100_000 + b"]" * 100_000, "不是 GeoJSON"),  # deep nesting
    (json.dumps({"type": "FeatureCollection", "features": []}).encode(), "至少包含一个要素"),
    (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kind": "road"},
     "geometry": {"type": "Point", "coordinates": [120, 30]}}]}).encode(), "第 1 个要素"),
    (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kind": "road"},
     "geometry": {"type": "LineString", "coordinates": [[120, 30], [1e308 * 10, 30]]}}]}).encode(), "第 1 个要素"),
    (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kind": "road"},
     "geometry": {"type": "LineString", "coordinates": [[[[120, 30]]]]}}]}).encode(), "第 1 个要素"),
    (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kind": "road"},
     "geometry": {"type": "LineString", "coordinates": [[200, 30], [120, 30]]}}]}).encode(), "第 1 个要素"),
    (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kind": "lake"},
     "geometry": {"type": "LineString", "coordinates": [[120, 30], [120.1, 30]]}}]}).encode(), "road 或 river"),
    (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
     "properties": {"kind": "road", "name": "bad\u0000name"},
     "geometry": {"type": "LineString", "coordinates": [[120, 30], [120.1, 30]]}}]}).encode(), "名称"),
    (json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
     "properties": {"kind": "road", "name": "\ud800"},
     "geometry": {"type": "LineString", "coordinates": [[120, 30], [120.1, 30]]}}]}).encode(), "名称"),
    (b" " * (basemap.MAX_FILE_BYTES + 10), "超过 8 MB"),
])
def test_a_bad_file_is_refused_in_words_and_changes_nothing(media, login, create_user, body, words):
    admin = login(create_user("admin"))
    answer = _upload(admin, body)
    assert answer.status_code == 200 and words in answer.text, answer.text[-2000:]
    assert 'data-source="seed"' in answer.text
    assert basemap.stamp() is None


def test_no_file_is_a_message_and_no_token_is_refused(media, login, create_user):
    admin = login(create_user("admin"))
    answer = admin.post("/admin/basemap", data={"csrf_token": _token(admin)}, follow_redirects=True)
    assert "请选择 GeoJSON 文件" in answer.text
    assert admin.post("/admin/basemap", data={"file": (io.BytesIO(b"{}"), "x.json")},
                      content_type="multipart/form-data").status_code == 403  # no CSRF token
    assert basemap.stamp() is None


def test_the_page_is_the_admins_alone(media, login, create_user):
    supervisor = login(create_user("supervisor"))
    assert supervisor.get("/admin/basemap").status_code == 403
    token = re.search(r'name="csrf_token" value="([^"]+)"', supervisor.get("/supervise/map").text).group(1)
    assert supervisor.post("/admin/basemap/revert", data={"csrf_token": token}).status_code == 403


def test_the_cli_refuses_the_same_files(media, runner, tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_bytes(b"[" * 50_000)
    result = runner.invoke(args=["basemap", "import", str(bad)])
    assert result.exit_code != 0 and "GeoJSON" in result.output
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(RIVER), encoding="utf-8")
    result = runner.invoke(args=["basemap", "import", str(good)])
    assert result.exit_code == 0 and "2 features" in result.output
    assert basemap.summary().source == "county"


def test_another_web_machine_serves_the_imported_map(media, runner, api, create_user, app, monkeypatch, tmp_path):
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(RIVER), encoding="utf-8")
    assert runner.invoke(args=["basemap", "import", str(good)]).exit_code == 0
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "machine-b"))  # another machine's own disk
    drawn = api(create_user("department", "CGZF")).get("/api/v1/map/base.geojson").get_json()["features"]
    assert [f["properties"]["kind"] for f in drawn] == ["river", "road"]
    assert not (tmp_path / "machine-a").exists()  # nothing was written to the first machine's disk either
