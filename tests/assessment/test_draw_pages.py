"""The supervisor's draw pages (issue 14 §4): make a draw, assign by hand and evenly, progress, cancel."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Draw, DrawPoint, InspectionPoint
from app.text import text_problem
from app.timeutil import now_utc, to_local
from tests.assessment.conftest import make_visit
from tests.hostile import CORPUS, encode_pairs


def _token(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def boss(login, create_user, county):
    client = login(create_user("supervisor", username="boss"))
    for name in ("alice", "bob"):
        create_user("inspector", username=name)
    return client


def _create(client, **form):
    token = _token(client.get("/supervise/assessment/draws"))
    return client.post("/supervise/assessment/draws", data={"csrf_token": token, **form})


def test_the_list_page_offers_a_form_in_chinese_and_english(boss):
    page = boss.get("/supervise/assessment/draws")
    assert page.status_code == 200 and "随机抽取" in page.text and 'name="n_NMSC"' in page.text
    assert "暂无抽取" in page.text
    english = boss.get("/supervise/assessment/draws?lang=en")
    assert "Random draws" in english.text and "No draw yet." in english.text
    assert 'href="/supervise/assessment/draws"' in boss.get("/supervise").text  # in the supervisors' nav


def test_make_a_draw_then_assign_watch_progress_and_cancel(boss):
    due = (to_local(now_utc()).date() + timedelta(days=2)).isoformat()
    made = _create(boss, name="第48周", per_type="1", seed="77", due=due)
    assert made.status_code == 303
    draw = db.session.scalar(sa.select(Draw))
    assert made.headers["Location"].endswith(f"/supervise/assessment/draws/{draw.id}")
    assert (draw.name, draw.seed, draw.per_type, draw.due.isoformat()) == ("第48周", 77, 1, due)
    page = boss.get(f"/supervise/assessment/draws/{draw.id}")
    assert page.status_code == 200 and "0 / 16" in page.text and "种子 77" in page.text
    codes = [dp.point.code for dp in draw.points]

    token = _token(page)
    answer = boss.post(f"/supervise/assessment/draws/{draw.id}/assign",
                       data={"csrf_token": token, "mode": "hand", f"assignee:{codes[0]}": "alice",
                             f"assignee:{codes[1]}": "bob", **{f"assignee:{c}": "" for c in codes[2:]}})
    assert answer.status_code == 303
    db.session.expire_all()
    assignees = {dp.point.code: dp.assignee.username if dp.assignee else None for dp in draw.points}
    assert [assignees[c] for c in codes] == ["alice", "bob"] + [None] * (len(codes) - 2)

    point = db.session.scalar(sa.select(InspectionPoint).where(InspectionPoint.code == codes[0]))
    make_visit(point, db.session.get(DrawPoint, draw.points[0].id).assignee, now_utc() + timedelta(minutes=1), {})
    page = boss.get(f"/supervise/assessment/draws/{draw.id}")
    assert "1 / 16" in page.text and "✓" in page.text

    even = boss.post(f"/supervise/assessment/draws/{draw.id}/assign", data={"csrf_token": token, "mode": "even"})
    assert even.status_code == 303
    db.session.expire_all()
    counts = sorted(sum(1 for dp in draw.points if dp.assignee and dp.assignee.username == u) for u in ("alice", "bob"))
    assert counts == [8, 8]

    listing = boss.get("/supervise/assessment/draws")
    assert "第48周" in listing.text and "1 / 16" not in listing.text and "16 个中 1 个" in listing.text

    cancelled = boss.post(f"/supervise/assessment/draws/{draw.id}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    page = boss.get(f"/supervise/assessment/draws/{draw.id}")
    assert "已取消" in page.text and 'id="assign-form"' in page.text and "<select" not in page.text
    refused = boss.post(f"/supervise/assessment/draws/{draw.id}/assign", data={"csrf_token": token, "mode": "even"})
    assert refused.status_code == 409 and "本次抽取已取消" in refused.text


def test_a_type_table_from_the_form(boss):
    answer = _create(boss, name="市场", per_type="", n_NMSC="2", n_GGCS="")
    assert answer.status_code == 303
    draw = db.session.scalar(sa.select(Draw))
    assert draw.per_type == {"NMSC": 2} and len(draw.points) == 2


@pytest.mark.parametrize(("form", "message"), [
    ({"name": "", "per_type": "1"}, "请为本次抽取命名"),
    ({"name": "x", "per_type": "0"}, "点位数须为 1 至 500 的整数"),
    ({"name": "x", "per_type": "abc"}, "点位数须为 1 至 500 的整数"),
    ({"name": "x", "per_type": "1e9"}, "点位数须为 1 至 500 的整数"),
    ({"name": "x", "per_type": "99999999999999999999"}, "点位数须为 1 至 500 的整数"),
    ({"name": "x", "per_type": ""}, "请至少填写一个点位类型"),
    ({"name": "x", "n_NMSC": "-1"}, "点位数须为 1 至 500 的整数"),
    ({"name": "x", "per_type": "1", "seed": "-5"}, "随机种子须为"),
    ({"name": "x", "per_type": "1", "seed": "9" * 40}, "随机种子须为"),
    ({"name": "x", "per_type": "1", "due": "2026-02-31"}, "截止日期须为日期"),
    ({"name": "x", "per_type": "1", "due": "99999-01-01"}, "截止日期须为日期"),
    ({"name": "x", "per_type": "1", "due": "2001-01-01"}, "截止日期不能早于今天"),
])
def test_a_refused_draw_shows_the_form_again_with_the_reason(boss, form, message):
    answer = _create(boss, **form)
    assert answer.status_code == 422 and message in answer.text
    assert f'value="{form["name"]}"' in answer.text  # what was typed stays
    assert db.session.scalar(sa.select(sa.func.count(Draw.id))) == 0


def test_a_refused_assignment_shows_the_page_again(boss):
    _create(boss, name="x", per_type="1", seed="1")
    draw = db.session.scalar(sa.select(Draw))
    token = _token(boss.get(f"/supervise/assessment/draws/{draw.id}"))
    code = draw.points[0].point.code
    for data in ({"mode": "hand", f"assignee:{code}": "nobody"}, {"mode": "hand", "assignee:NOT-THERE": "alice"},
                 {"mode": "hand"}, {"mode": "even", "inspectors": "ghost"}):
        answer = boss.post(f"/supervise/assessment/draws/{draw.id}/assign", data={"csrf_token": token, **data})
        assert answer.status_code == 422, data
        assert 'role="alert"' in answer.text
    db.session.expire_all()
    assert all(dp.assignee_id is None for dp in draw.points)


def test_forms_without_csrf_are_refused(boss):
    assert boss.post("/supervise/assessment/draws", data={"name": "x", "per_type": "1"}).status_code in (400, 403)
    assert db.session.scalar(sa.select(sa.func.count(Draw.id))) == 0


def test_only_supervisors_and_admins_open_the_pages(login, create_user, client, county):
    assert client.get("/supervise/assessment/draws").status_code == 302  # to the login form
    login(create_user("inspector"))
    assert client.get("/supervise/assessment/draws").status_code == 403
    assert client.get("/supervise/assessment/draws/1").status_code == 403
    client.post("/logout", data={"csrf_token": _token(client.get("/notifications"))})
    login(create_user("admin"))
    assert client.get("/supervise/assessment/draws").status_code == 200
    assert client.get("/supervise/assessment/draws/12345").status_code == 404


@pytest.mark.parametrize("field", ["name", "per_type", "n_NMSC", "seed", "due"])
def test_hostile_form_values_are_a_readable_refusal_never_a_500(boss, field):
    token = _token(boss.get("/supervise/assessment/draws"))
    valid = {"name": "w", "per_type": "", "n_NMSC": "1", "seed": "1", "due": ""}
    for hostile in CORPUS:
        if not hostile.form:
            continue
        pairs = [(k, v) for k, v in valid.items() if k != field] + [(field, v) for v in hostile.form]
        answer = boss.post("/supervise/assessment/draws", data=encode_pairs([("csrf_token", token), *pairs]),
                           content_type="application/x-www-form-urlencoded")
        assert answer.status_code < 500, (field, hostile, answer.status_code)
        assert answer.status_code in (303, 400, 422), (field, hostile, answer.status_code)
        if answer.status_code != 303:
            assert answer.mimetype == "text/html", (field, hostile)
    assert all(text_problem(name) is None for name in db.session.scalars(sa.select(Draw.name)))


@pytest.mark.parametrize("field", ["assignee", "mode", "inspectors"])
def test_hostile_assignment_form_values_are_a_readable_refusal_never_a_500(boss, field):
    _create(boss, name="x", per_type="1", seed="1")
    draw = db.session.scalar(sa.select(Draw))
    token = _token(boss.get(f"/supervise/assessment/draws/{draw.id}"))
    name = f"assignee:{draw.points[0].point.code}" if field == "assignee" else field
    base = {"mode": "even"} if field == "inspectors" else {"mode": "hand"}
    for hostile in CORPUS:
        if not hostile.form:
            continue
        pairs = [(k, v) for k, v in base.items() if k != name] + [(name, v) for v in hostile.form]
        answer = boss.post(f"/supervise/assessment/draws/{draw.id}/assign",
                           data=encode_pairs([("csrf_token", token), *pairs]),
                           content_type="application/x-www-form-urlencoded")
        assert answer.status_code in (303, 400, 409, 422), (field, hostile, answer.status_code)


def test_even_assignment_among_the_inspectors_ticked(boss, create_user):
    create_user("inspector", username="carol")
    _create(boss, name="x", per_type="1", seed="1")
    draw = db.session.scalar(sa.select(Draw))
    page = boss.get(f"/supervise/assessment/draws/{draw.id}")
    assert 'name="inspectors" value="carol"' in page.text
    answer = boss.post(f"/supervise/assessment/draws/{draw.id}/assign",
                       data={"csrf_token": _token(page), "mode": "even", "inspectors": ["bob", "carol"]})
    assert answer.status_code == 303
    db.session.expire_all()
    assert sorted(dp.assignee.username for dp in draw.points) == ["bob"] * 8 + ["carol"] * 8
