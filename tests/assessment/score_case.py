"""A hand-built county for the score page and its exports, with answers worked out by hand.

    GGCS (weight 2): A1 03001 −10, A2 X14005 −5, A3 X12004 −20
    LKJT (weight 1): B1 X11001 −30, B2 09009 −15, B3 07001 −80

    P1 GGCS  visit: A1 fail (its ticket → HWZX); an open X12004 report 30 m away fails A3 (WJW) → 70
    P2 GGCS  visit: all pass                                                                  → 100
    P3 GGCS  never visited
    P4 LKJT  visit: B3 fail (its ticket → CGZF); an open 09009 report 40 m away fails B2 (JJDD) → 5
    P6 LKJT  (东城街道) visit: all fail, no tickets: 125 deducted, floored                     → 0

    GGCS = 85, LKJT = 2.5; county = 40 × (2 × 85 + 2.5) / 3 / 100 = 23.00 of 40, 17.00 lost
    field points lost: a GGCS point weighs 40 × 2 / (3 × 2) / 100 = 0.1333 per checklist point,
    an LKJT point 40 × 1 / (3 × 2) / 100 = 0.0667:
      (none) P6 100 (of 125, floored) × 0.0667 = 6.67 (39.2 %); CGZF 80 × 0.0667 = 5.33 (31.4 %);
      WJW 20 × 0.1333 = 2.67 (15.7 %); JJDD 15 × 0.0667 = 1.00 (5.9 %); HWZX 10 × 0.1333 = 1.33 (7.8 %)

Day 0 is a Monday two weeks before this week's, so the case's week (day 0 … day 6) is in the past
and the week after it (day 7 … day 13) has no visit.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.timeutil import local_zone, now_utc, to_local
from tests.assessment.conftest import make_point, make_visit, offset, set_checklist, set_weight

P1, P2, P3, P4, P6 = (29.960, 119.930), (29.960, 119.940), (29.960, 119.950), (29.970, 119.930), (29.980, 120.050)
COUNTY = 23.0
DEPARTMENTS = [(None, 125, 6.67, 0.3922), ("CGZF", 80, 5.33, 0.3137), ("WJW", 20, 2.67, 0.1569),
               ("JJDD", 15, 1.0, 0.0588), ("HWZX", 10, 1.33, 0.0784)]  # (code, checklist, field points, share)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), local_zone())


class Case:
    day0: date
    points: dict
    tickets: dict

    @property
    def week(self) -> str:
        return f"start={self.day0}&end={self.day0 + timedelta(days=6)}"


def build_case(report, create_user) -> Case:
    """The county above, on the `bare_county` fixture's data; `report` and `create_user` are the factories."""
    today = to_local(now_utc()).date()
    day0 = today - timedelta(days=today.weekday()) - timedelta(weeks=2)
    set_checklist("GGCS", [("A1", "03001", 10), ("A2", "X14005", 5), ("A3", "X12004", 20)])
    set_checklist("LKJT", [("B1", "X11001", 30), ("B2", "09009", 15), ("B3", "07001", 80)])
    set_weight("GGCS", 2)
    points = {"P1": make_point("P1", "GGCS", P1, "HWZX", name="城关公厕一号"),
              "P2": make_point("P2", "GGCS", P2, "HWZX", name="城关公厕二号"),
              "P3": make_point("P3", "GGCS", P3, "HWZX", name="城关公厕三号"),
              "P4": make_point("P4", "LKJT", P4, "JJDD", name="人民路口"),
              "P6": make_point("P6", "LKJT", P6, "JJDD", name="东城路口")}
    inspector = create_user("inspector")

    def ticket(category: str, where):
        return report(category, where, reporter=inspector, now=at(day0, 9)).ticket

    tickets = {"A1": ticket("03001", offset(P1, 5)), "A3": ticket("X12004", offset(P1, 30)),
               "B3": ticket("07001", offset(P4, -5)), "B2": ticket("09009", offset(P4, 40))}
    day1 = at(day0 + timedelta(days=1), 10)
    make_visit(points["P1"], inspector, day1, {"A1": "fail", "A2": "pass", "A3": "pass"},
               tickets={"A1": tickets["A1"].id})
    make_visit(points["P2"], inspector, day1, {"A1": "pass", "A2": "pass", "A3": "pass"})
    make_visit(points["P4"], inspector, day1, {"B1": "pass", "B2": "pass", "B3": "fail"},
               tickets={"B3": tickets["B3"].id})
    make_visit(points["P6"], inspector, day1, {"B1": "fail", "B2": "fail", "B3": "fail"})
    made = Case()
    made.day0, made.points, made.tickets = day0, points, tickets
    return made
