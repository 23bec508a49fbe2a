"""The stratified random draw (issue 14 §4), assignment and progress, through the service."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.models import Area, Draw, DrawPoint, InspectionPoint, LocationType
from app.services.assessment import draws
from app.services.assessment.draws import DrawSpec, stratified_sample
from app.timeutil import now_utc
from tests.assessment.conftest import make_point, make_visit
from tests.factories import SEAT, actor_of

AREAS = ("CGZ", "DCJD", "XCJD", "NHZ", "BSX")


def _area_id(code: str) -> int:
    return db.session.scalar(sa.select(Area.id).where(Area.code == code))


def _points(layout: dict[str, dict[str | None, int]]) -> None:
    """{type: {area code or None: how many}}: points named TYPE-AREA-n, at the seat, areas set directly."""
    for kind, per_area in layout.items():
        for area_code, n in per_area.items():
            for i in range(n):
                point = make_point(f"{kind}-{area_code or 'none'}-{i}", kind, SEAT)
                point.area_id = _area_id(area_code) if area_code else None
    db.session.commit()


def _area_of(codes: list[str]) -> Counter:
    return Counter(code.split("-")[1] for code in codes)


@pytest.fixture
def supervisor(create_user):
    return actor_of(create_user("supervisor"))


def _draw(actor, per_type, seed=None, due=None, name="第一周抽查") -> Draw:
    draw = draws.create_draw(DrawSpec(name, per_type, seed, due), actor, now_utc())
    db.session.commit()
    return draw


# --- the sample, pure ------------------------------------------------------------------------

def test_every_area_gets_one_before_any_gets_a_second():
    points = [(f"P{a}{i}", a) for a, n in (("A", 6), ("B", 1), ("C", 3), ("D", 2)) for i in range(n)]
    for seed in range(50):
        for n in range(1, 13):
            chosen = stratified_sample(points, n, random.Random(seed))
            assert len(chosen) == n and len(set(chosen)) == n
            counts = Counter(code[1] for code in chosen)
            if n <= 4:
                assert max(counts.values()) == 1  # one area can have a second only once all have one
            else:
                assert set(counts) == {"A", "B", "C", "D"}
            # Round by round: no area has two more than another that still had points to give.
            sizes = {"A": 6, "B": 1, "C": 3, "D": 2}
            for got in counts.values():
                for other, other_got in counts.items():
                    if sizes[other] > other_got:
                        assert got <= other_got + 1, (seed, n, counts)


def test_points_without_an_area_are_a_stratum_of_their_own():
    points = [("P1", None), ("P2", None), ("P3", "A"), ("P4", "A"), ("P5", "B")]
    for seed in range(30):
        chosen = stratified_sample(points, 3, random.Random(seed))
        assert Counter({"P1": None, "P2": None, "P3": "A", "P4": "A", "P5": "B"}[c] for c in chosen) == \
            Counter({None: 1, "A": 1, "B": 1})


def test_fewer_points_than_asked_gives_them_all():
    points = [("X1", "A"), ("X2", "B")]
    assert stratified_sample(points, 5, random.Random(1)) == ["X1", "X2"]
    assert stratified_sample([], 3, random.Random(1)) == []


def test_the_order_of_the_input_does_not_change_the_sample():
    points = [(f"P{i:02d}", "AB"[i % 2]) for i in range(20)]
    shuffled = list(reversed(points))
    assert stratified_sample(points, 7, random.Random(9)) == stratified_sample(shuffled, 7, random.Random(9))


# --- draws over real points ------------------------------------------------------------------

LAYOUT = {"ZCGD": {"CGZ": 5, "DCJD": 2, "XCJD": 1, None: 1}, "NMSC": {"CGZ": 3, "NHZ": 1}, "GGCS": {"BSX": 1}}


def test_n_per_type_is_spread_over_every_area_of_the_type(bare_county, supervisor):
    _points(LAYOUT)
    draw = _draw(supervisor, 4, seed=7)
    codes = draws.draw_point_codes(draw)
    by_type = Counter(code.split("-")[0] for code in codes)
    assert by_type == {"ZCGD": 4, "NMSC": 4, "GGCS": 1}  # NMSC has 4 points: all of them; GGCS has 1
    zcgd = _area_of([c for c in codes if c.startswith("ZCGD")])
    assert zcgd == {"CGZ": 1, "DCJD": 1, "XCJD": 1, "none": 1}  # four strata, four points: one each
    assert draw.seed == 7 and draw.per_type == 4
    assert [p.position for p in draw.points] == list(range(9))


def test_one_per_type_gives_one_point_of_each_type_that_has_points(county, supervisor):
    draw = _draw(supervisor, 1)
    kinds = Counter(dp.point.location_type.code for dp in draw.points)
    with_points = set(db.session.scalars(sa.select(LocationType.code).join(
        InspectionPoint, InspectionPoint.location_type_id == LocationType.id).where(InspectionPoint.active)))
    assert set(kinds) == with_points and len(with_points) == 16 and set(kinds.values()) == {1}


def test_the_demo_county_drawn_with_three_a_type_covers_every_area_of_each_type(county, supervisor):
    draw = _draw(supervisor, 3, seed=2026)
    drawn = [(dp.point.location_type.code, dp.point.area.code) for dp in draw.points]
    for kind in {k for k, _a in drawn}:
        areas = {a for k, a in drawn if k == kind}
        all_areas = set(db.session.scalars(
            sa.select(Area.code).join(InspectionPoint, InspectionPoint.area_id == Area.id)
            .join(LocationType, LocationType.id == InspectionPoint.location_type_id).where(LocationType.code == kind)))
        assert areas == all_areas or len(areas) == 3, kind  # every area, or three different ones


def test_same_seed_same_draw_and_another_seed_another(county, supervisor):
    first = draws.draw_point_codes(_draw(supervisor, 2, seed=12345))
    again = draws.draw_point_codes(_draw(supervisor, 2, seed=12345))
    assert first == again
    other = draws.draw_point_codes(_draw(supervisor, 2, seed=54321))
    assert len(other) == len(first) and other != first


def test_a_type_table_draws_only_the_types_named(bare_county, supervisor):
    _points(LAYOUT)
    draw = _draw(supervisor, {"ZCGD": 2, "GGCS": 3}, seed=1)
    codes = draws.draw_point_codes(draw)
    assert Counter(c.split("-")[0] for c in codes) == {"ZCGD": 2, "GGCS": 1}
    assert len(_area_of([c for c in codes if c.startswith("ZCGD")])) == 2
    assert draw.per_type == {"ZCGD": 2, "GGCS": 3}


def test_a_type_whose_points_change_leaves_the_other_types_draw_alone(bare_county, supervisor):
    _points(LAYOUT)
    before = [c for c in draws.draw_point_codes(_draw(supervisor, 2, seed=99)) if c.startswith("ZCGD")]
    _points({"NMSC": {"XCJD": 3}})
    after = [c for c in draws.draw_point_codes(_draw(supervisor, 2, seed=99)) if c.startswith("ZCGD")]
    assert before == after


def test_inactive_points_are_not_drawn(bare_county, supervisor):
    _points({"ZCGD": {"CGZ": 2}})
    draws_before = len(draws.select_points(5, 1))
    db.session.scalar(sa.select(InspectionPoint).where(InspectionPoint.code == "ZCGD-CGZ-0")).active = False
    db.session.commit()
    assert draws_before == 2 and [c.code for c in draws.select_points(5, 1)] == ["ZCGD-CGZ-1"]


def test_a_server_seed_is_recorded_and_replays_the_draw(county, supervisor):
    draw = _draw(supervisor, 2)
    assert 0 <= draw.seed <= draws.MAX_SEED
    assert draws.draw_point_codes(_draw(supervisor, 2, seed=draw.seed)) == draws.draw_point_codes(draw)


@pytest.mark.parametrize(("spec", "field"), [
    (DrawSpec("", 1), "name"), (DrawSpec("  ", 1), "name"), (DrawSpec("x\x00", 1), "name"),
    (DrawSpec("x" * 201, 1), "name"), (DrawSpec(None, 1), "name"),
    (DrawSpec("w", 0), "per_type"), (DrawSpec("w", 501), "per_type"), (DrawSpec("w", True), "per_type"),
    (DrawSpec("w", 1.5), "per_type"), (DrawSpec("w", "3"), "per_type"), (DrawSpec("w", None), "per_type"),
    (DrawSpec("w", []), "per_type"), (DrawSpec("w", {}), "per_type"), (DrawSpec("w", {"NOPE": 1}), "per_type"),
    (DrawSpec("w", {"ZCGD": 0}), "per_type.ZCGD"), (DrawSpec("w", {"ZCGD": "1"}), "per_type.ZCGD"),
    (DrawSpec("w", 1, -1), "seed"), (DrawSpec("w", 1, 2**53), "seed"), (DrawSpec("w", 1, "7"), "seed"),
    (DrawSpec("w", 1, 1.0), "seed"), (DrawSpec("w", 1, False), "seed"),
    (DrawSpec("w", 1, None, "2026-13-01"), "due"), (DrawSpec("w", 1, None, "tomorrow"), "due"),
    (DrawSpec("w", 1, None, "1999-01-01"), "due"), (DrawSpec("w", 1, None, "2000-01-01"), "due"),
    (DrawSpec("w", 1, None, 20261201), "due"),
])
def test_bad_specs_are_refused_naming_the_field(county, supervisor, spec, field):
    with pytest.raises(ValidationFailed) as refused:
        draws.create_draw(spec, supervisor, now_utc())
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Draw.id))) == 0


def test_a_draw_with_nothing_to_draw_is_refused(bare_county, supervisor):
    with pytest.raises(ValidationFailed) as refused:
        draws.create_draw(DrawSpec("空", 3), supervisor, now_utc())
    assert refused.value.field == "per_type"


def test_only_supervisors_make_draws(county, create_user):
    for role in ("inspector", "department"):
        user = create_user(role, "CGZF" if role == "department" else None)
        with pytest.raises(Forbidden):
            draws.create_draw(DrawSpec("x", 1), actor_of(user), now_utc())


# --- assignment ------------------------------------------------------------------------------

def test_assignment_by_hand_all_or_nothing(bare_county, supervisor, create_user):
    _points({"ZCGD": {"CGZ": 2}})
    draw = _draw(supervisor, 2, seed=1)
    alice, bob = create_user("inspector", username="alice"), create_user("inspector", username="bob")
    assert draws.assign_by_hand(draw, {"ZCGD-CGZ-0": "alice", "ZCGD-CGZ-1": "bob"}, supervisor, now_utc()) == 2
    db.session.commit()
    assert {dp.point.code: dp.assignee_id for dp in draw.points} == {"ZCGD-CGZ-0": alice.id, "ZCGD-CGZ-1": bob.id}
    boss = create_user("supervisor", username="boss")
    for bad, field in (({"ZCGD-CGZ-0": "bob", "NOT-DRAWN": "alice"}, "assignments.NOT-DRAWN"),
                       ({"ZCGD-CGZ-0": "bob", "ZCGD-CGZ-1": boss.username}, "assignments.ZCGD-CGZ-1"),
                       ({"ZCGD-CGZ-0": "nobody"}, "assignments.ZCGD-CGZ-0"),
                       ({"ZCGD-CGZ-0": 5}, "assignments.ZCGD-CGZ-0"), ({}, "assignments"), ([], "assignments")):
        with pytest.raises(ValidationFailed) as refused:
            draws.assign_by_hand(draw, bad, supervisor, now_utc())
        assert refused.value.field == field
        db.session.rollback()
    assert {dp.point.code: dp.assignee_id for dp in db.session.get(Draw, draw.id).points} == \
        {"ZCGD-CGZ-0": alice.id, "ZCGD-CGZ-1": bob.id}
    draws.assign_by_hand(draw, {"ZCGD-CGZ-1": None}, supervisor, now_utc())
    assert db.session.scalar(sa.select(DrawPoint.assignee_id).join(InspectionPoint).where(
        InspectionPoint.code == "ZCGD-CGZ-1")) is None


def test_even_assignment_by_area_and_balanced(bare_county, supervisor, create_user):
    _points({"ZCGD": {"CGZ": 4, "DCJD": 2, "NHZ": 3}})
    draw = _draw(supervisor, 9, seed=3)
    in_cgz = [create_user("inspector", username=f"cgz{i}") for i in range(2)]
    in_dcjd = create_user("inspector", username="dcjd")
    roamer = create_user("inspector", username="roamer")
    for user in in_cgz:
        user.area_id = _area_id("CGZ")
    in_dcjd.area_id = _area_id("DCJD")
    db.session.commit()
    draws.assign_evenly(draw, None, supervisor, now_utc())
    db.session.commit()
    got = {(dp.point.code.split("-")[1], dp.assignee.username) for dp in draw.points}
    per_user = Counter(dp.assignee.username for dp in draw.points)
    in_area = Counter(dp.assignee.username for dp in draw.points if dp.point.code.split("-")[1] == "CGZ")
    assert in_area == {"cgz0": 2, "cgz1": 2}
    assert {u for a, u in got if a == "DCJD"} == {"dcjd"}
    # NHZ has no inspector of its own: its three points even out the counts (the roamer first, then by name).
    assert per_user == {"cgz0": 3, "cgz1": 2, "dcjd": 2, "roamer": 2}
    assert {dp.point.code.split("-")[1] for dp in draw.points if dp.assignee_id == roamer.id} == {"NHZ"}


def test_even_assignment_round_robin_without_areas(bare_county, supervisor, create_user):
    _points({"ZCGD": {"CGZ": 3, "DCJD": 2}, "NMSC": {"NHZ": 2}})
    draw = _draw(supervisor, 5, seed=3)
    for name in ("a", "b", "c"):
        create_user("inspector", username=name)
    create_user("inspector", username="away", active=False)
    draws.assign_evenly(draw, None, supervisor, now_utc())
    assert Counter(dp.assignee.username for dp in draw.points) == {"a": 3, "b": 2, "c": 2}
    draws.assign_evenly(draw, ["b", "c"], supervisor, now_utc())
    assert Counter(dp.assignee.username for dp in draw.points) == {"b": 4, "c": 3}
    for bad in (["b", "away"], "b", [1]):
        with pytest.raises(ValidationFailed) as refused:
            draws.assign_evenly(draw, bad, supervisor, now_utc())
        assert refused.value.field == "inspectors"


def test_a_cancelled_draw_takes_no_assignments(bare_county, supervisor, create_user):
    _points({"ZCGD": {"CGZ": 1}})
    draw = _draw(supervisor, 1, seed=1)
    create_user("inspector", username="alice")
    draws.cancel_draw(draw, supervisor, now_utc())
    with pytest.raises(Conflict):
        draws.assign_by_hand(draw, {"ZCGD-CGZ-0": "alice"}, supervisor, now_utc())
    with pytest.raises(Conflict):
        draws.assign_evenly(draw, None, supervisor, now_utc())


# --- progress --------------------------------------------------------------------------------

def test_progress_counts_visits_since_the_draw_and_not_voided(bare_county, supervisor, create_user):
    _points({"ZCGD": {"CGZ": 2, "DCJD": 1}, "NMSC": {"NHZ": 1}})
    alice, bob = create_user("inspector", username="alice"), create_user("inspector", username="bob")
    point = {p.code: p for p in db.session.scalars(sa.select(InspectionPoint))}
    make_visit(point["ZCGD-CGZ-0"], alice, now_utc() - timedelta(days=2), {"ZCGD-01": "pass"})  # before the draw
    draw = _draw(supervisor, 5, seed=1)
    draws.assign_by_hand(draw, {"ZCGD-CGZ-0": "alice", "ZCGD-CGZ-1": "alice", "ZCGD-DCJD-0": "bob"},
                         supervisor, now_utc())
    db.session.commit()
    result = draws.progress(draw)
    assert (result.total, result.visited) == (4, 0)
    visit_at = now_utc() + timedelta(minutes=5)
    make_visit(point["ZCGD-CGZ-0"], bob, visit_at, {"ZCGD-01": "pass"})  # anyone's visit counts
    make_visit(point["ZCGD-DCJD-0"], bob, visit_at, {"ZCGD-01": "fail"}, voided=True)
    make_visit(point["NMSC-NHZ-0"], alice, visit_at + timedelta(hours=1), {"NMSC-01": "pass"})
    result = draws.progress(draw)
    assert (result.total, result.visited) == (4, 2)
    visited = {p.code: p.visited_at for p in result.points}
    assert visited["ZCGD-CGZ-0"] == visit_at and visited["ZCGD-DCJD-0"] is None and visited["ZCGD-CGZ-1"] is None
    assert [(t.key, t.points, t.visited) for t in result.by_location_type] == [("NMSC", 1, 1), ("ZCGD", 3, 1)]
    assert [(t.key, t.points, t.visited) for t in result.by_inspector] == [
        ("alice", 2, 1), ("bob", 1, 0), (None, 1, 1)]
    assert draws.summaries([draw]) == {draw.id: (4, 2)}


def test_assignments_of_an_inspector_are_its_points_of_open_draws(bare_county, supervisor, create_user):
    _points({"ZCGD": {"CGZ": 2}})
    alice, bob = create_user("inspector", username="alice"), create_user("inspector", username="bob")
    today = date.today() + timedelta(days=1)  # tomorrow in any zone: due in the future
    open_draw = _draw(supervisor, 2, seed=1, due=today.isoformat())
    cancelled = _draw(supervisor, 2, seed=1, name="取消")
    for draw in (open_draw, cancelled):
        draws.assign_by_hand(draw, {"ZCGD-CGZ-0": "alice", "ZCGD-CGZ-1": "bob"}, supervisor, now_utc())
    draws.cancel_draw(cancelled, supervisor, now_utc())
    db.session.commit()
    mine = draws.assignments_for(actor_of(alice), now_utc())
    assert [(a.draw_id, a.point.code, a.due) for a in mine] == [(open_draw.id, "ZCGD-CGZ-0", today)]
    assert [a.point.code for a in draws.assignments_for(actor_of(bob), now_utc())] == ["ZCGD-CGZ-1"]
    assert draws.assignments_for(supervisor, now_utc()) == []
    # Past its due day the draw is no longer open.
    assert draws.assignments_for(actor_of(alice), now_utc() + timedelta(days=3)) == []
