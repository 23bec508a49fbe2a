"""The simulated score (issue 14 §5) on a hand-built county whose answers are worked out by hand.

Two location types with weights 2 and 1, six points, visits (one voided), ordinary tickets through
the real intake — one open at a point until it is resolved, then reopened — and the history read
for past periods. The arithmetic, in checklist points (of each point's 100):

    GGCS (weight 2): A1 03001 −10, A2 X14005 −5, A3 X12004 −20
    LKJT (weight 1): B1 X11001 −30, B2 09009 −15, B3 07001 −80

    P1 GGCS  visit: A1 fail (its ticket → HWZX); an open X12004 ticket 30 m away fails A3 (WJW)  → 70
    P2 GGCS  visit: all pass; a later voided visit failed all; a closed 03001 ticket nearby       → 100
    P3 GGCS  never visited (an open ticket next to it changes nothing)                           → —
    P4 LKJT  visit: B3 fail (its ticket → CGZF); open 09009 at 40 m fails B2 (JJDD); one at 70 m not → 5
    P5 LKJT  polygon; visit: all pass; an X11001 ticket inside the polygon, 120 m off, fails B1   → 70
    P6 LKJT  (another township) visit: all fail, no tickets: 125 deducted, floored               → 0

    GGCS = (70 + 100) / 2 = 85;  LKJT = (5 + 70 + 0) / 3 = 25
    county = 40 × (2 × 85 + 1 × 25) / 3 / 100 = 40 × 65 / 100 = 26
    CGZ = (2 × 85 + 1 × 37.5) / 3 = 69.17;  DCJD = 0
    points lost: (none) 125, CGZF 80, JJDD 45, WJW 20, HWZX 10
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from app.extensions import db
from app.services.assessment.score import score
from app.services.tickets.transitions import ActionInput, transition
from app.timeutil import local_zone, now_utc, to_local
from tests.assessment.conftest import box_around, make_point, make_visit, offset, set_checklist, set_weight
from tests.factories import actor_of

P1, P2, P3 = (29.960, 119.930), (29.960, 119.940), (29.960, 119.950)
P4, P5, P6 = (29.970, 119.930), (29.970, 119.940), (29.980, 120.050)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), local_zone())


@pytest.fixture
def case(bare_county, report, create_user, create_photo):
    """The county above; its timeline starts ten local days ago (day 0)."""
    day0 = to_local(now_utc()).date() - timedelta(days=10)
    set_checklist("GGCS", [("A1", "03001", 10), ("A2", "X14005", 5), ("A3", "X12004", 20)])
    set_checklist("LKJT", [("B1", "X11001", 30), ("B2", "09009", 15), ("B3", "07001", 80)])
    set_weight("GGCS", 2)
    points = {
        "P1": make_point("P1", "GGCS", P1, "HWZX"), "P2": make_point("P2", "GGCS", P2, "HWZX"),
        "P3": make_point("P3", "GGCS", P3, "HWZX"), "P4": make_point("P4", "LKJT", P4, "JJDD"),
        "P5": make_point("P5", "LKJT", P5, "JJDD", polygon=box_around(P5, 200, 60)),
        "P6": make_point("P6", "LKJT", P6, "JJDD"),
    }
    inspector = create_user("inspector")
    department_users = {}

    def ticket(category: str, at, hour_of_day0: int = 9):
        return report(category, at, reporter=inspector, now=_at(day0, hour_of_day0)).ticket

    def act(t, action: str, day: int, *, photo: bool = False, **kw):
        """`action` on day `day` at noon, by the ticket's department or its reporter (with a photo of theirs)."""
        if action in ("accept", "resolve"):
            code = t.department.code
            department_users.setdefault(code, create_user("department", code))
            user = department_users[code]
        else:
            user = inspector
        photos = [create_photo(uploaded_by=[user]).sha256] if photo else []
        moved = transition(t.id, ActionInput(action=action, version=t.version, photos=photos, **kw),
                           actor_of(user), now=_at(day0 + timedelta(days=day), 12))
        db.session.commit()
        return moved

    tickets = {
        "A1": ticket("03001", offset(P1, 5)),  # the ticket P1's failed A1 opened
        "A3": ticket("X12004", offset(P1, 30)),  # an ordinary report at P1, open
        "P2_closed": ticket("03001", offset(P2, 10)),
        "P3_open": ticket("03001", offset(P3, 5)),
        "B3": ticket("07001", offset(P4, -5)),  # the ticket P4's failed B3 opened
        "B2_near": ticket("09009", offset(P4, 40)),
        "B2_far": ticket("09009", offset(P4, -70)),
        "B1_polygon": ticket("X11001", offset(P5, 0, 120)),
    }
    closed = act(act(act(tickets["P2_closed"], "accept", 0), "resolve", 0, photo=True), "close", 0, photo=True)
    assert closed.status.value == "closed"

    day1 = _at(day0 + timedelta(days=1), 10)
    make_visit(points["P1"], inspector, day1, {"A1": "fail", "A2": "pass", "A3": "pass"},
               tickets={"A1": tickets["A1"].id})
    make_visit(points["P2"], inspector, day1, {"A1": "pass", "A2": "pass", "A3": "pass"})
    make_visit(points["P2"], inspector, day1 + timedelta(hours=3), {"A1": "fail", "A2": "fail", "A3": "fail"},
               voided=True)
    make_visit(points["P4"], inspector, day1, {"B1": "pass", "B2": "pass", "B3": "fail"},
               tickets={"B3": tickets["B3"].id})
    make_visit(points["P5"], inspector, day1, {"B1": "pass", "B2": "pass", "B3": "na"})
    make_visit(points["P6"], inspector, day1, {"B1": "fail", "B2": "fail", "B3": "fail"})

    class Case:
        pass

    made = Case()
    made.day0, made.points, made.tickets, made.act = day0, points, tickets, act
    return made


def _by_code(rows, key):
    return {getattr(r, key): r for r in rows}


def test_the_hand_built_case_scores_as_worked_out(case):
    result = score(case.day0, case.day0 + timedelta(days=2), now=now_utc())

    points = {p.code: (p.score, p.failed) for p in result.by_point}
    assert points == {"P1": (70, ["A1", "A3"]), "P2": (100, []), "P4": (5, ["B2", "B3"]), "P5": (70, ["B1"]),
                      "P6": (0, ["B1", "B2", "B3"])}
    assert result.never_visited == ["P3"]
    types = _by_code(result.by_location_type, "location_type")
    assert (types["GGCS"].score, types["GGCS"].visited, types["GGCS"].points) == (85, 2, 3)
    assert (types["LKJT"].score, types["LKJT"].visited, types["LKJT"].points) == (25, 3, 3)
    assert types["ZCGD"].score is None and types["ZCGD"].points == 0
    assert len(result.by_location_type) == 16
    assert result.county == pytest.approx(26.0)
    assert result.max == 40
    areas = _by_code(result.by_area, "area_code")
    assert areas["CGZ"].score == pytest.approx((2 * 85 + 37.5) / 3) and areas["CGZ"].visited == 4
    assert (areas["DCJD"].score, areas["DCJD"].visited, areas["DCJD"].points) == (0, 1, 1)
    assert [(d.department_code, d.points_lost) for d in result.by_department] == [
        (None, 125), ("CGZF", 80), ("JJDD", 45), ("WJW", 20), ("HWZX", 10)]


def test_why_each_item_failed_is_kept(case):
    result = score(case.day0, case.day0 + timedelta(days=2), now=now_utc())
    p1 = {f.item_code: f for f in _by_code(result.by_point, "code")["P1"].failures}
    assert p1["A1"].by_visit and p1["A1"].charged_ticket_id == case.tickets["A1"].id  # also open at the point
    assert p1["A1"].ticket_ids == (case.tickets["A1"].id,)
    assert not p1["A3"].by_visit and p1["A3"].ticket_ids == (case.tickets["A3"].id,)
    assert p1["A3"].department_code == "WJW"
    p4 = {f.item_code: f for f in _by_code(result.by_point, "code")["P4"].failures}
    assert p4["B2"].ticket_ids == (case.tickets["B2_near"].id,)  # the one 70 m away is not at the point


def test_an_open_ticket_counts_until_it_is_resolved_and_again_once_reopened(case):
    """P1's A3 fails while the X12004 report is open at the period's end, read from the history."""
    t = case.tickets["A3"]
    t = case.act(t, "accept", 3)
    t = case.act(t, "resolve", 3, photo=True)  # resolved on day 3
    now = now_utc()

    def p1(last_day: int):
        result = score(case.day0, case.day0 + timedelta(days=last_day), now=now)
        return _by_code(result.by_point, "code")["P1"], result

    before, result = p1(2)  # the period ends before the resolution: the ticket was open then
    assert (before.score, before.failed) == (70, ["A1", "A3"])
    after, result = p1(4)
    assert (after.score, after.failed) == (90, ["A1"])
    assert result.county == pytest.approx(40 * (2 * 95 + 25) / 3 / 100)
    assert [(d.department_code, d.points_lost) for d in result.by_department if d.department_code == "WJW"] == []

    case.act(t, "reopen", 6, note="still smoking indoors", photo=True)  # rework on day 6
    assert p1(5)[0].score == 90
    assert p1(7)[0].score == 70
    assert p1(10)[0].score == 70  # a period that includes today reads today's status


def test_a_closed_ticket_no_longer_counts_and_a_period_that_includes_today_uses_now(case):
    t = case.tickets["B2_near"]
    case.act(case.act(t, "accept", 2), "resolve", 2, photo=True)
    today = to_local(now_utc()).date()
    p4 = _by_code(score(case.day0, today, now=now_utc()).by_point, "code")["P4"]
    assert (p4.score, p4.failed) == (20, ["B3"])
    p4 = _by_code(score(case.day0, case.day0 + timedelta(days=1), now=now_utc()).by_point, "code")["P4"]
    assert p4.score == 5  # at the end of day 1 it was still open


def test_a_ticket_reported_after_the_period_does_not_count_for_it(case, report):
    report("03001", offset(P2, -8))  # today, at P2, whose visit on day 1 passed everything
    assert _by_code(score(case.day0, case.day0 + timedelta(days=2), now=now_utc()).by_point, "code")["P2"].score == 100
    today = to_local(now_utc()).date()
    p2 = _by_code(score(case.day0, today, now=now_utc()).by_point, "code")["P2"]
    assert (p2.score, p2.failed) == (90, ["A1"])


def test_only_visits_in_the_period_count_and_the_latest_wins(case, create_user):
    day3 = _at(case.day0 + timedelta(days=3), 9)
    make_visit(case.points["P6"], create_user("inspector"), day3, {"B1": "pass", "B2": "pass", "B3": "pass"})
    assert _by_code(score(case.day0, case.day0 + timedelta(days=2), now=now_utc()).by_point, "code")["P6"].score == 0
    assert _by_code(score(case.day0, case.day0 + timedelta(days=3), now=now_utc()).by_point, "code")["P6"].score == 100
    later = score(case.day0 + timedelta(days=2), case.day0 + timedelta(days=3), now=now_utc())
    assert [p.code for p in later.by_point] == ["P6"]  # the others were visited on day 1 only
    assert later.never_visited == ["P1", "P2", "P3", "P4", "P5"]


def test_a_voided_visit_does_not_count(case):
    result = score(case.day0, case.day0 + timedelta(days=2), now=now_utc())
    assert _by_code(result.by_point, "code")["P2"].score == 100  # its later, voided visit failed everything
    from app.models import Visit

    for visit in db.session.query(Visit).filter(Visit.point_id == case.points["P6"].id):
        visit.voided_at = now_utc()
    db.session.commit()
    result = score(case.day0, case.day0 + timedelta(days=2), now=now_utc())
    assert "P6" in result.never_visited and "P6" not in [p.code for p in result.by_point]
    assert _by_code(result.by_location_type, "location_type")["LKJT"].score == pytest.approx(37.5)


def test_a_visit_is_scored_with_its_own_checklist_version(case):
    """An edit of the checklist after the visit does not change what the visit is scored against."""
    set_checklist("LKJT", [("B1", "X11001", 1), ("B2", "09009", 1), ("B3", "07001", 1), ("B4", "02010", 50)])
    p6 = _by_code(score(case.day0, case.day0 + timedelta(days=2), now=now_utc()).by_point, "code")["P6"]
    assert (p6.score, p6.failed, p6.checklist_version) == (0, ["B1", "B2", "B3"], 2)


def test_equal_weights_by_default_and_a_weight_of_zero_leaves_a_type_out(case):
    set_weight("GGCS", 1)
    assert score(case.day0, case.day0 + timedelta(days=2), now=now_utc()).county == pytest.approx(40 * 55 / 100)
    set_weight("LKJT", 0)
    assert score(case.day0, case.day0 + timedelta(days=2), now=now_utc()).county == pytest.approx(40 * 85 / 100)


def test_nothing_visited_scores_nothing(bare_county):
    make_point("Q1", "ZCGD", (29.97, 119.95))
    result = score(date(2026, 1, 1), date(2026, 1, 31), now=now_utc())
    assert result.county is None and result.by_point == [] and result.by_department == []
    assert result.never_visited == ["Q1"]
    assert [(a.area_code, a.score, a.visited) for a in result.by_area] == [("CGZ", None, 0)]


def test_a_period_is_local_days_inclusive(bare_county, create_user):
    """A visit at 23:30 Beijing time on the last day is in; one at 00:10 the day after is out."""
    set_checklist("GGCS", [("A1", "03001", 10)])
    point = make_point("Q1", "GGCS", P1)
    inspector = create_user("inspector")
    last = date(2026, 3, 31)
    make_visit(point, inspector, _at(last, 23) + timedelta(minutes=30), {"A1": "fail"})
    assert [p.score for p in score(date(2026, 3, 1), last, now=now_utc()).by_point] == [90]
    make_visit(point, inspector, _at(last + timedelta(days=1), 0) + timedelta(minutes=10), {"A1": "pass"})
    assert [p.score for p in score(date(2026, 3, 1), last, now=now_utc()).by_point] == [90]
    assert [p.score for p in score(date(2026, 4, 1), date(2026, 4, 1), now=now_utc()).by_point] == [100]


def test_bad_periods_and_unknown_draws_are_refused(bare_county):
    from app.errors import NotFound, ValidationFailed

    with pytest.raises(ValidationFailed):
        score(date(2026, 2, 1), date(2026, 1, 1), now=now_utc())
    with pytest.raises(ValidationFailed):
        score(date(2010, 1, 1), date(2026, 1, 1), now=now_utc())
    with pytest.raises(ValidationFailed):
        score(date(1, 1, 1), date(1, 1, 2), now=now_utc())
    with pytest.raises(NotFound):
        score(date(2026, 1, 1), date(2026, 1, 2), draw_id=1, now=now_utc())


def test_the_ticket_query_is_one_per_kind_not_one_per_point(case):
    """Statements issued for a score do not grow with the number of visited points."""
    import sqlalchemy as sa

    def statements() -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            score(case.day0, case.day0 + timedelta(days=2), now=now_utc())
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    few = statements()
    from app.models import Role, User

    user = db.session.scalars(sa.select(User).where(User.role == Role.INSPECTOR)).first()
    for i in range(12):
        point = make_point(f"X{i}", "LKJT", offset(P6, 100 * (i + 1)))
        make_visit(point, user, _at(case.day0 + timedelta(days=1), 11), {"B1": "pass", "B2": "fail", "B3": "pass"})
    assert statements() == few


def test_a_ticket_unchanged_since_a_past_period_keeps_its_status_then(case):
    """Open now and not written since the period's end: open then, with no history to read."""
    import sqlalchemy as sa

    from app.models import Ticket

    for key in ("B2_near", "B3"):
        db.session.execute(sa.update(Ticket).where(Ticket.id == case.tickets[key].id)
                           .values(updated_at=_at(case.day0, 9)))
    db.session.commit()
    p4 = _by_code(score(case.day0, case.day0 + timedelta(days=2), now=now_utc()).by_point, "code")["P4"]
    assert (p4.score, p4.failed) == (5, ["B2", "B3"])


def _towards(at: tuple[float, float], metres: float, bearing: float) -> tuple[float, float]:
    """The position `metres` (geodesic, WGS-84) from `at` on `bearing` degrees."""
    from geopy.distance import geodesic

    there = geodesic(meters=metres).destination(at, bearing)
    return there.latitude, there.longitude


def test_the_radius_is_the_geodesic_50_m_to_the_centimetre(case, report):
    """Just inside 50 m counts, just outside does not, also within the centimetre where the fast
    distance hands over to the geodesic one."""
    report("X14005", _towards(P2, 49.97, 90))  # P2's A2 (−5)
    report("X12004", _towards(P2, 50.03, 270))  # not at P2
    report("X14005", _towards(P1, 50.004, 180))  # not at P1 (its A2 passed)
    today = to_local(now_utc()).date()
    points = _by_code(score(case.day0, today, now=now_utc()).by_point, "code")
    assert (points["P2"].score, points["P2"].failed) == (95, ["A2"])
    assert (points["P1"].score, points["P1"].failed) == (70, ["A1", "A3"])
    report("X12004", _towards(P2, 49.996, 200))  # P2's A3 (−20)
    points = _by_code(score(case.day0, today, now=now_utc()).by_point, "code")
    assert (points["P2"].score, points["P2"].failed) == (75, ["A2", "A3"])


def test_a_ticket_on_the_outline_of_a_polygon_lies_at_the_point(case, report):
    """P5's outline runs 200 m east of its position: a ticket on that edge is at the point."""
    report("09009", offset(P5, 0, 200))
    today = to_local(now_utc()).date()
    p5 = _by_code(score(case.day0, today, now=now_utc()).by_point, "code")["P5"]
    assert (p5.score, p5.failed) == (55, ["B1", "B2"])
    report("07001", offset(P5, 0, 201))  # a metre outside, and 201 m from the position
    p5 = _by_code(score(case.day0, today, now=now_utc()).by_point, "code")["P5"]
    assert (p5.score, p5.failed) == (55, ["B1", "B2"])


def test_of_two_visits_started_at_the_same_moment_the_later_counts(case, create_user):
    """P6's visit on day 1 at 10:00 failed everything; another made at the same moment passed all."""
    make_visit(case.points["P6"], create_user("inspector"), _at(case.day0 + timedelta(days=1), 10),
               {"B1": "pass", "B2": "pass", "B3": "pass"})
    p6 = _by_code(score(case.day0, case.day0 + timedelta(days=2), now=now_utc()).by_point, "code")["P6"]
    assert (p6.score, p6.failed) == (100, [])
