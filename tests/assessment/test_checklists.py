"""Checklist templates are versioned (issue 14 §2): an edit makes a new version; a visit keeps the
version it was made with, and its own results never change."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import ChecklistItem, ChecklistVersion, Visit
from app.services.assessment import checklists
from app.services.assessment.checklists import ItemSpec
from app.timeutil import now_utc
from tests.assessment.conftest import SYSTEM, make_point, make_visit, set_checklist
from tests.factories import actor_of


def _items(version) -> list[tuple]:
    return [(i.code, i.text_zh, i.category.code, i.deduction) for i in version.items]


def test_an_edit_makes_a_new_version_and_the_old_one_is_kept_as_it_was(county):
    first = checklists.current_version("GGCS")
    assert first.version == 1  # from the seed
    before = _items(first)
    edited = checklists.edit_item("GGCS", "GGCS-01", SYSTEM, now_utc(), note="stricter", deduction=8.0,
                                  text_zh="无异味，保洁制度上墙")
    db.session.commit()
    assert edited.version == 2 and checklists.current_version("GGCS").id == edited.id
    db.session.expire_all()
    assert _items(checklists.get_version("GGCS", 1)) == before
    changed = {code: (text, deduction) for code, text, _cat, deduction in _items(edited)}
    assert changed["GGCS-01"] == ("无异味，保洁制度上墙", 8.0)
    assert [c for c, *_ in _items(edited)] == [c for c, *_ in before]  # same items, same order
    assert edited.note == "stricter"


def test_old_visits_keep_their_version_and_their_results(county, create_user):
    point = make_point("T-GGCS", "GGCS", (29.97, 119.95))
    inspector = create_user("inspector")
    old = make_visit(point, inspector, now_utc(), {"GGCS-01": "fail", "GGCS-02": "pass"})
    v1 = old.checklist_version_id
    checklists.new_version("GGCS", [ItemSpec("N1", "新检查项", "03001", 5.0)], SYSTEM, now_utc())
    db.session.commit()
    db.session.expire_all()
    visit = db.session.get(Visit, old.id)
    assert visit.checklist_version_id == v1 and visit.checklist_version.version == 1
    assert {r.item_code: r.outcome.value for r in visit.results} == {"GGCS-01": "fail", "GGCS-02": "pass"}
    assert "GGCS-01" in {i.code for i in visit.checklist_version.items}
    new = make_visit(point, inspector, now_utc(), {"N1": "pass"})
    assert new.checklist_version.version == 2


def test_versions_and_items_refuse_to_be_changed_in_place(county):
    version = checklists.current_version("ZCGD")
    version.items[0].deduction = 99
    with pytest.raises(ValueError, match="never changes"):
        db.session.flush()
    db.session.rollback()
    version = checklists.current_version("ZCGD")
    version.note = "rewritten"
    with pytest.raises(ValueError, match="never changes"):
        db.session.flush()
    db.session.rollback()


def test_saving_the_same_items_makes_no_version(county):
    current = checklists.current_version("LKJT")
    same = checklists.new_version("LKJT", checklists.specs_of(current), SYSTEM, now_utc())
    assert same.id == current.id
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ChecklistVersion).where(
        ChecklistVersion.location_type_id == current.location_type_id))
    assert count == 1


@pytest.mark.parametrize(("items", "field"), [
    ([], "items"),
    ([ItemSpec("A", "文字", "03001", -1)], "deduction"),
    ([ItemSpec("A", "文字", "03001", float("nan"))], "deduction"),
    ([ItemSpec("A", "文字", "03001", True)], "deduction"),
    ([ItemSpec("A", "文字", "NOPE", 1)], "category_code"),
    ([ItemSpec("A", "文字", "03001", 1), ItemSpec("B", "文字", "03001", 2)], "category_code"),
    ([ItemSpec("A", "文字", "03001", 1), ItemSpec("A", "文字", "06012", 2)], "code"),
    ([ItemSpec("a b", "文字", "03001", 1)], "code"),
    ([ItemSpec("A", "  ", "03001", 1)], "text_zh"),
    ([ItemSpec("A", "bad\x00", "03001", 1)], "text_zh"),
])
def test_a_checklist_that_could_not_be_scored_is_refused(county, items, field):
    with pytest.raises(ValidationFailed) as refused:
        checklists.new_version("GGCS", items, SYSTEM, now_utc())
    assert refused.value.field == field
    db.session.rollback()
    assert checklists.current_version("GGCS").version == 1


def test_only_supervisors_edit_checklists(county, create_user):
    item = [ItemSpec("A", "文字", "03001", 1)]
    with pytest.raises(Forbidden):
        checklists.new_version("GGCS", item, actor_of(create_user("inspector")), now_utc())
    with pytest.raises(NotFound):
        checklists.new_version("NOPE", item, SYSTEM, now_utc())
    version = checklists.new_version("GGCS", item, actor_of(create_user("supervisor")), now_utc())
    assert version.version == 2 and version.created_by_id is not None


def test_the_api_serves_the_current_version_in_the_callers_language(county, api, create_user):
    client = api(create_user("inspector"))
    body = client.get("/api/v1/checklists/NMSC").json
    assert body["location_type"] == "NMSC" and body["version"] == 1
    assert set(body["items"][0]) == {"code", "text", "category_code", "deduction"}
    first = body["items"][0]
    assert first["code"] == "GG-GYGG" and first["category_code"] == "07008" and first["deduction"] == 4
    assert "公益广告" in first["text"]
    english = client.get("/api/v1/checklists/NMSC?lang=en").json["items"][0]["text"]
    assert english.startswith("At least 2 core-values")
    set_checklist("NMSC", [("N1", "09020", 2.5)])
    body = client.get("/api/v1/checklists/NMSC?lang=zh_CN").json  # the choice of language is kept
    assert body["version"] == 2 and body["items"] == [
        {"code": "N1", "text": "检查项 N1", "category_code": "09020", "deduction": 2.5}]
    missing = client.get("/api/v1/checklists/NOPE")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChecklistItem)) > 0
