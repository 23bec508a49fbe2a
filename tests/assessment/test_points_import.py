"""`flask --app wsgi points import FILE` (issue 14 §1): CSV and GeoJSON, the area found from the position,
a bad row reported by its line with nothing written, an existing code updated and keeping its visits."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.models import InspectionPoint, Visit
from app.services.assessment import points
from app.timeutil import now_utc
from tests.assessment.conftest import SYSTEM, box_around, make_point, make_visit
from tests.factories import EAST, SEAT, actor_of

HEADER = "code,name,location_type,lat,lon,department_code"


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(InspectionPoint))


def _point(code: str) -> InspectionPoint | None:
    return db.session.scalar(sa.select(InspectionPoint).where(InspectionPoint.code == code))


def test_a_good_csv_is_imported_with_areas_from_the_position(bare_county, tmp_path, runner):
    path = tmp_path / "points.csv"
    path.write_text(f"{HEADER},area_code\n"
                    f"M-01,城南农贸市场,NMSC,{SEAT[0]},{SEAT[1]},SJJ,\n"
                    f"R-01,迎宾大道,ZCGD,{EAST[0]},{EAST[1]},CGZF,\n"
                    f"R-02,\"建设路, 东段\",ZCGD,{EAST[0]},{EAST[1] + 0.001},CGZF,NHZ\n", encoding="utf-8-sig")
    result = runner.invoke(args=["points", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "已导入 3 个点位：新增 3 个，更新 0 个。" in result.output
    market, road, given = _point("M-01"), _point("R-01"), _point("R-02")
    assert (market.name, market.location_type.code, market.department.code, market.area.code) == \
        ("城南农贸市场", "NMSC", "SJJ", "CGZ")
    assert road.area.code == "DCJD" and (road.lat, road.lon) == EAST
    assert given.name == "建设路, 东段" and given.area.code == "NHZ"  # a given area wins over the position
    assert (market.min_lat, market.max_lat, market.polygon) == (SEAT[0], SEAT[0], None)


def test_geojson_points_and_polygons(bare_county, tmp_path, runner):
    park = box_around(SEAT, 150, 100)
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [EAST[1], EAST[0]]},
         "properties": {"code": "T-01", "name": "东城公厕", "location_type": "GGCS", "department_code": "HWZX"}},
        {"type": "Feature", "geometry": park,
         "properties": {"code": "G-01", "name": "人民公园", "location_type": "GYGC", "department_code": "YLLH"}},
        {"type": "Feature", "geometry": park,
         "properties": {"code": "G-02", "name": "公园南门", "location_type": "GYGC", "department_code": "YLLH",
                        "lat": SEAT[0] - 0.0005, "lon": SEAT[1]}},
    ]
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=2))
    result = runner.invoke(args=["points", "import", str(path)])
    assert result.exit_code == 0, result.output
    toilet, whole, gate = _point("T-01"), _point("G-01"), _point("G-02")
    assert (toilet.lat, toilet.lon, toilet.polygon, toilet.area.code) == (EAST[0], EAST[1], None, "DCJD")
    assert whole.polygon == park and whole.area.code == "CGZ"
    assert whole.lat == pytest.approx(SEAT[0]) and whole.lon == pytest.approx(SEAT[1])  # inside: its centre
    ring = park["coordinates"][0]
    assert (whole.min_lon, whole.max_lon) == (min(x for x, _ in ring), max(x for x, _ in ring))
    assert (gate.lat, gate.lon) == (SEAT[0] - 0.0005, SEAT[1])


def test_a_bad_csv_row_is_reported_by_line_and_nothing_is_imported(bare_county, tmp_path, runner):
    make_point("OLD-1", "ZCGD", SEAT)
    path = tmp_path / "points.csv"
    path.write_text(f"{HEADER}\n"
                    f"OK-1,好点,ZCGD,{SEAT[0]},{SEAT[1]},CGZF\n"  # line 2: fine
                    f"BAD-1,坏点,NOPE,{SEAT[0]},{SEAT[1]},CGZF\n"  # line 3: no such type
                    "\"BAD-2\",\"两行\n的名字\",ZCGD,north,119.95,CGZF\n"  # lines 4-5: not a number
                    f"OLD-1,改名,ZCGD,{SEAT[0]},{SEAT[1]},XZJD\n"  # line 6: a placeholder department
                    f"OK-1,又一个,ZCGD,31.2,121.5,CGZF\n", encoding="utf-8")  # line 7: repeated, outside
    before = _count()
    result = runner.invoke(args=["points", "import", str(path)])
    assert result.exit_code == 1
    # Chinese, the product's default language, as an operator reads it at the console.
    assert "points.csv: 第 3 行: location_type: 没有点位类型 NOPE。" in result.output
    assert "points.csv: 第 4 行: lat: 不是数字。" in result.output
    assert "第 6 行: department_code: XZJD 代表所在乡镇" in result.output
    assert "第 7 行: lat: 位置在本县范围之外。" in result.output
    assert "未导入任何点位" in result.output
    assert _count() == before and _point("OK-1") is None and _point("OLD-1").name == "点位 OLD-1"


def test_a_bad_geojson_feature_is_reported_by_the_line_it_starts_on(bare_county):
    good = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [SEAT[1], SEAT[0]]},
            "properties": {"code": "A-1", "name": "甲", "location_type": "ZCGD", "department_code": "CGZF"}}
    bowtie = {"type": "Polygon", "coordinates": [[[119.95, 29.97], [119.96, 29.98], [119.96, 29.97],
                                                  [119.95, 29.98], [119.95, 29.97]]]}
    bad = [dict(good, properties=dict(good["properties"], code="A-2", location_type="")),
           dict(good, properties=dict(good["properties"], code="A-3"), geometry=bowtie),
           dict(good, properties=dict(good["properties"], code="A-4"), geometry={"type": "LineString",
                                                                                  "coordinates": []})]
    text = '{"type": "FeatureCollection",\n "features": [\n  ' + ",\n  ".join(
        json.dumps(f) for f in [good, *bad]) + "\n ]\n}\n"
    result = points.import_points(text, "geojson", SYSTEM, now_utc())
    assert not result.written
    assert [(e.line, e.field) for e in result.errors] == [(4, "location_type"), (5, "geometry"), (6, "geometry")]
    assert "Self-intersection" in result.errors[1].message
    pretty = json.dumps({"type": "FeatureCollection", "features": [good, bad[0]]}, indent=2)
    line = pretty.splitlines().index('    {', 10) + 1  # where the second feature's object opens
    assert [e.line for e in points.import_points(pretty, "geojson", SYSTEM, now_utc()).errors] == [line]
    assert points.import_points("{\n\"type\": ", "geojson", SYSTEM, now_utc()).errors[0].line == 2
    assert _point("A-1") is None


def test_an_existing_code_is_updated_and_keeps_its_visits(bare_county, create_user, tmp_path, runner):
    point = make_point("M-01", "NMSC", SEAT, "SJJ", name="旧名")
    visit = make_visit(point, create_user("inspector"), now_utc(), {"NMSC-01": "pass"})
    path = tmp_path / "points.csv"
    path.write_text(f"{HEADER}\nM-01,城南农贸市场（新）,NMSC,{EAST[0]},{EAST[1]},SJJ\n"
                    f"M-02,城北农贸市场,NMSC,{SEAT[0] + 0.01},{SEAT[1]},SJJ\n", encoding="utf-8")
    result = runner.invoke(args=["points", "import", str(path)])
    assert "已导入 2 个点位：新增 1 个，更新 1 个。" in result.output
    db.session.expire_all()
    updated = _point("M-01")
    assert updated.id == point.id and updated.name == "城南农贸市场（新）" and updated.area.code == "DCJD"
    assert db.session.get(Visit, visit.id).point_id == point.id
    assert updated.created_at < updated.updated_at


def test_a_dry_run_writes_nothing(bare_county, tmp_path, runner):
    path = tmp_path / "points.csv"
    path.write_text(f"{HEADER}\nM-01,市场,NMSC,{SEAT[0]},{SEAT[1]},SJJ\n", encoding="utf-8")
    result = runner.invoke(args=["points", "import", str(path), "--dry-run"])
    assert result.exit_code == 0 and "1 行无误：新增 1 个，更新 0 个" in result.output
    assert _point("M-01") is None


def test_excel_csv_in_gb18030_and_a_wrong_header(bare_county, tmp_path):
    path = tmp_path / "points.csv"
    path.write_bytes(f"{HEADER}\nM-01,南湖农贸市场,NMSC,{SEAT[0]},{SEAT[1]},SJJ\n".encode("gb18030"))
    assert points.import_file(path, SYSTEM, now_utc()).created == ["M-01"]
    assert _point("M-01").name == "南湖农贸市场"
    wrong = points.import_points("code,name,type,lat,lon\nX,Y,ZCGD,1,2\n", "csv", SYSTEM, now_utc())
    assert [(e.line, e.field) for e in wrong.errors] == [(1, "header")]
    short = points.import_points(f"{HEADER}\nX,Y,ZCGD\n", "csv", SYSTEM, now_utc())
    assert [(e.line, e.field) for e in short.errors] == [(2, "row")]


def test_a_single_point_is_checked_like_a_row(bare_county, create_user):
    spec = points.PointSpec("S-1", "点", "ZCGD", SEAT[0], SEAT[1], "CGZF",
                            polygon=box_around((SEAT[0] + 0.01, SEAT[1]), 50, 50))
    with pytest.raises(ValidationFailed, match="不在其范围多边形内"):
        points.save_point(spec, SYSTEM, now_utc())
    with pytest.raises(Forbidden):
        points.save_point(spec, actor_of(create_user("inspector")), now_utc())
    assert _point("S-1") is None
    make_point("S-1", "ZCGD", SEAT)
    points.set_active("S-1", False, SYSTEM)
    db.session.commit()
    assert _point("S-1").active is False


def test_the_demo_seed_keeps_existing_points(county):
    """Seeding again leaves a point an administrator changed as it is."""
    from app import seed

    point = _point("CGZ-NMSC-01")
    point.name = "改过的名字"
    db.session.commit()
    before = _count()
    seed.seed_reference()
    db.session.commit()
    assert _count() == before and _point("CGZ-NMSC-01").name == "改过的名字"


@pytest.mark.parametrize("geometry", [
    {"type": "Polygon", "coordinates": "abc"}, {"type": "Polygon", "coordinates": []},
    {"type": "Polygon", "coordinates": [[1, 2]]}, {"type": "Polygon", "coordinates": [[[1, 2], [3, 4]]]},
    {"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], [5, 6]]]}, {"type": "Polygon"},
    {"type": "Polygon", "coordinates": [[[1e400, 0], [1, 0], [1, 1], [0, 0]]]},
    {"type": "Point", "coordinates": ["x", 29.9]}, {"type": "Point", "coordinates": [119.9]},
    {"type": "Point", "coordinates": [True, 29.9]}, None, "Point",
])
def test_a_broken_geometry_is_a_row_error_not_a_crash(bare_county, geometry):
    feature = {"type": "Feature", "geometry": geometry,
               "properties": {"code": "A-1", "name": "甲", "location_type": "ZCGD", "department_code": "CGZF"}}
    text = json.dumps({"type": "FeatureCollection", "features": [feature]})
    result = points.import_points(text, "geojson", SYSTEM, now_utc())
    assert not result.written and result.errors and all(e.line == 1 for e in result.errors)
    assert _point("A-1") is None
