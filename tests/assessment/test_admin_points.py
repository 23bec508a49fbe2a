"""Admin pages of the mock assessment: points (list, create, edit, deactivate), location type weights,
checklists edited as new versions; CSRF on every form, readable refusals, never a 500."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, ChecklistVersion, InspectionPoint, LocationType
from app.services.assessment import checklists
from tests.assessment.conftest import make_point, make_visit, set_checklist
from tests.factories import SEAT, area


@pytest.fixture
def admin(bare_county, create_user, login):
    client = login(create_user("admin"))
    client.csrf = lambda: re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/points").text).group(1)
    return client


def _point(code: str) -> InspectionPoint | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(InspectionPoint).where(InspectionPoint.code == code))


def _new(admin, **fields):
    form = {"code": "T-1", "name": "人民广场", "location_type": "GYGC", "lat": str(SEAT[0]), "lon": str(SEAT[1]),
            "department_code": "CGZF", "area_code": "", "csrf_token": admin.csrf(), **fields}
    return admin.post("/admin/points", data=form)


def test_create_list_edit_and_deactivate_a_point(admin, create_user):
    answer = _new(admin)
    assert answer.status_code == 302
    point = _point("T-1")
    assert (point.name, point.location_type.code, point.department.code, point.area.code) == \
        ("人民广场", "GYGC", "CGZF", "CGZ")  # the area from the position
    page = admin.get("/admin/points").text
    assert 'data-point="T-1"' in page and "人民广场" in page
    edit = admin.get("/admin/points/T-1")
    assert edit.status_code == 200 and 'value="人民广场"' in edit.text
    answer = admin.post("/admin/points/T-1", data={
        "name": "人民广场东", "location_type": "GYGC", "lat": str(SEAT[0] + 0.001), "lon": str(SEAT[1]),
        "department_code": "HWZX", "area_code": "CGZ", "csrf_token": admin.csrf()})
    assert answer.status_code == 302
    point = _point("T-1")
    assert (point.name, point.department.code, point.lat) == ("人民广场东", "HWZX", SEAT[0] + 0.001)
    visit = make_visit(point, create_user("inspector"), point.created_at, {})  # GYGC has its seeded checklist
    assert admin.post("/admin/points/T-1/active", data={"active": "0", "csrf_token": admin.csrf()}).status_code == 302
    point = _point("T-1")
    assert point.active is False
    assert db.session.get(type(visit), visit.id).point_id == point.id  # its visits are kept
    assert "T-1" not in [p["code"] for p in admin.get("/api/v1/points").json["points"]]
    assert admin.post("/admin/points/T-1/active", data={"active": "1", "csrf_token": admin.csrf()}).status_code == 302
    assert _point("T-1").active is True
    actions = set(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target_id == "T-1")))
    assert {"point_created", "point_updated", "point_deactivated", "point_activated"} <= actions


@pytest.mark.parametrize("fields, message", [
    ({"lat": "north"}, "lat 必须是数字"), ({"lat": "1e999"}, "lat 必须是数字"), ({"lat": ""}, None),
    ({"lat": "31.2", "lon": "121.5"}, None), ({"code": "a b"}, None), ({"code": ""}, None),
    ({"location_type": "NOPE"}, "NOPE"), ({"department_code": "NOPE-DEPT"}, "NOPE-DEPT"), ({"name": "x" * 201}, None),
    ({"area_code": "ZZZ"}, "ZZZ"),
])
def test_a_bad_point_is_refused_readably_and_nothing_is_saved(admin, fields, message):
    answer = _new(admin, **fields)
    assert answer.status_code == 422, answer.status_code
    assert 'id="form-error"' in answer.text
    if message:
        assert message in answer.text
    assert _point("T-1") is None
    assert 'value="人民广场"' in answer.text or "name" in fields  # what was typed is shown again


def test_a_code_that_exists_is_not_overwritten_by_create(admin):
    make_point("T-1", "ZCGD", SEAT, name="原名")
    answer = _new(admin)
    assert answer.status_code == 422 and "T-1" in answer.text
    assert _point("T-1").name == "原名"


def test_an_unknown_point_is_not_found(admin):
    assert admin.get("/admin/points/NOPE").status_code == 404
    assert admin.post("/admin/points/NOPE", data={"csrf_token": admin.csrf()}).status_code == 404
    assert admin.post("/admin/points/NOPE/active", data={"active": "0", "csrf_token": admin.csrf()}).status_code == 404


def test_weights_are_editable_and_checked(admin):
    page = admin.get("/admin/location-types")
    assert page.status_code == 200 and 'data-type="GGCS"' in page.text
    assert admin.post("/admin/location-types/GGCS/weight", data={"weight": "2.5", "csrf_token": admin.csrf()}) \
        .status_code == 302
    db.session.expire_all()
    kind = db.session.scalar(sa.select(LocationType).where(LocationType.code == "GGCS"))
    assert kind.weight == 2.5
    for bad in ("-1", "abc", "nan", "inf", "101", ""):
        answer = admin.post("/admin/location-types/GGCS/weight", data={"weight": bad, "csrf_token": admin.csrf()},
                            follow_redirects=True)
        assert answer.status_code == 200 and "权重是 0 到 100 之间的数字" in answer.text, bad
    db.session.expire_all()
    assert db.session.get(LocationType, kind.id).weight == 2.5
    assert admin.post("/admin/location-types/NOPE/weight", data={"weight": "1", "csrf_token": admin.csrf()}) \
        .status_code == 404


def _checklist_form(admin, rows, note="拆分检查项"):
    data = {"csrf_token": admin.csrf(), "note": note}
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"item-{n}-{key}"] = value
    return data


def test_editing_a_checklist_makes_a_new_version_and_old_visits_keep_theirs(admin, create_user):
    v1 = set_checklist("LKJT", [("B1", "X11001", 30), ("B2", "09009", 15)])
    point = make_point("L-1", "LKJT", SEAT, "JJDD")
    visit = make_visit(point, create_user("inspector"), point.created_at, {"B1": "pass", "B2": "fail"})
    page = admin.get("/admin/checklists/LKJT")
    assert page.status_code == 200 and 'value="B1"' in page.text and f'data-version="{v1.version}"' in page.text
    rows = [{"code": "B1", "text_zh": "检查项 B1", "category_code": "X11001", "deduction": "25"},
            {"code": "B2", "text_zh": "检查项 B2", "category_code": "09009", "deduction": "15", "remove": "on"},
            {"code": "B4", "text_zh": "新检查项", "text_en": "New item", "category_code": "07001", "deduction": "5"},
            {"code": "", "text_zh": "", "deduction": ""}]
    answer = admin.post("/admin/checklists/LKJT", data=_checklist_form(admin, rows))
    assert answer.status_code == 302
    db.session.expire_all()
    current = checklists.current_version("LKJT")
    assert current.version == v1.version + 1 and current.note == "拆分检查项"
    assert [(i.code, i.deduction, i.category.code) for i in current.items] == [("B1", 25, "X11001"),
                                                                              ("B4", 5, "07001")]
    assert [i.code for i in db.session.get(ChecklistVersion, v1.id).items] == ["B1", "B2"]  # unchanged
    assert db.session.get(type(visit), visit.id).checklist_version_id == v1.id
    page = admin.get("/admin/checklists/LKJT").text
    assert f'data-version="{v1.version}"' in page and f'data-version="{current.version}"' in page
    again = admin.post("/admin/checklists/LKJT", data=_checklist_form(admin, rows[:3]), follow_redirects=True)
    assert "版本" in again.text
    db.session.expire_all()
    assert checklists.current_version("LKJT").version == current.version  # the same items: no new version


@pytest.mark.parametrize("row, message", [
    ({"code": "B1", "text_zh": "x", "category_code": "X11001", "deduction": "lots"}, "第 1 行"),
    ({"code": "B1", "text_zh": "x", "category_code": "X11001", "deduction": "150"}, None),
    ({"code": "B 1", "text_zh": "x", "category_code": "X11001", "deduction": "5"}, None),
    ({"code": "B1", "text_zh": "", "category_code": "X11001", "deduction": "5"}, None),
    ({"code": "B1", "text_zh": "x", "category_code": "NOPE", "deduction": "5"}, "NOPE"),
])
def test_a_bad_checklist_is_refused_with_what_was_typed(admin, row, message):
    before = set_checklist("LKJT", [("B1", "X11001", 30)])
    answer = admin.post("/admin/checklists/LKJT", data=_checklist_form(admin, [row]))
    assert answer.status_code == 422 and 'id="form-error"' in answer.text
    if message:
        assert message in answer.text
    assert f'value="{row["deduction"]}"' in answer.text
    db.session.expire_all()
    assert checklists.current_version("LKJT").version == before.version


def test_two_items_with_one_category_and_an_empty_checklist_are_refused(admin):
    set_checklist("LKJT", [("B1", "X11001", 30)])
    same = [{"code": "B1", "text_zh": "a", "category_code": "X11001", "deduction": "1"},
            {"code": "B2", "text_zh": "b", "category_code": "X11001", "deduction": "1"}]
    assert admin.post("/admin/checklists/LKJT", data=_checklist_form(admin, same)).status_code == 422
    empty = [{"code": "B1", "text_zh": "a", "category_code": "X11001", "deduction": "1", "remove": "on"}]
    assert admin.post("/admin/checklists/LKJT", data=_checklist_form(admin, empty)).status_code == 422
    assert admin.get("/admin/checklists/NOPE").status_code == 404


def test_forms_without_csrf_are_refused(admin):
    for url, data in (("/admin/points", {"code": "T-9"}), ("/admin/location-types/GGCS/weight", {"weight": "3"}),
                      ("/admin/checklists/GGCS", {"note": "x"})):
        assert admin.post(url, data=data).status_code in (400, 403), url
    assert _point("T-9") is None


@pytest.mark.parametrize("role", ["supervisor", "inspector", "department"])
def test_only_admins_reach_the_pages(bare_county, create_user, login, role):
    client = login(create_user(role, "JJDD" if role == "department" else None))
    for url in ("/admin/points", "/admin/location-types", "/admin/checklists/GGCS"):
        assert client.get(url).status_code == 403, url


def test_area_is_checked_against_townships(admin):
    assert area("CGZ") is not None
    assert _new(admin, area_code="CGZ").status_code == 302
