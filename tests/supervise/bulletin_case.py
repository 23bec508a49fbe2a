"""The hand-built case of the 通报 tests (test_bulletin_ranking.py, test_bulletin_documents.py).

Period: local days 2026-06-01 … 2026-06-10, so T (its end) is 2026-06-11 00:00 local; "now" is later.
Each ticket is written with its whole history (events with their statuses), and `updated_at` is its
last event, as the application keeps it: a ticket changed after T is read from its history.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.extensions import db
from app.models import Ticket, TicketEvent
from app.services.supervision.kpis import Period
from tests.factories import SEAT, category, department

LOCAL = ZoneInfo("Asia/Shanghai")
PERIOD = Period.of_local_dates(date(2026, 6, 1), date(2026, 6, 10))
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=LOCAL)
NORMAL, URGENT = "01013", "03001"  # 72 h and 4 h deadlines
_made = 0


def at(day: int, hour: int = 9, month: int = 6) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=LOCAL)


def make(dept: str, due: datetime, *steps, code: str = NORMAL) -> Ticket:
    """A ticket due at `due` whose history is its report, its assignment and `steps`
    (("resolve", when, on_time) | ("close", when) | ("reopen", when) | ("accept", when) | ("duplicate", when))."""
    global _made
    _made += 1
    reported = at(1, 8, month=5)
    history = [("report", None, "reported", reported, {}), ("assign", "reported", "assigned", reported, {})]
    status, reopenings, on_time = "assigned", 0, None
    for step in steps:
        action, when = step[0], step[1]
        to = {"resolve": "resolved", "close": "closed", "reopen": "reopened", "accept": "in_progress",
              "duplicate": "duplicate"}[action]
        data = {"on_time": step[2]} if action == "resolve" else {}
        history.append(("mark_duplicate" if action == "duplicate" else action, status, to, when, data))
        status = to
        reopenings += action == "reopen"
        on_time = step[2] if action == "resolve" else (None if action == "reopen" else on_time)
    ticket = Ticket(case_number=f"XC-R-{_made:04d}", status=status, category=category(code),
                    department_id=department(dept).id, lat=SEAT[0], lon=SEAT[1], captured_at=reported,
                    received_at=reported, assigned_at=reported, due_at=due, rework_count=reopenings,
                    resolved_on_time=on_time, updated_at=history[-1][3])
    db.session.add(ticket)
    db.session.flush()
    for action, from_status, to_status, when, data in history:
        db.session.add(TicketEvent(ticket_id=ticket.id, action=action, from_status=from_status,
                                   to_status=to_status, at=when, data=data))
    return ticket


def on_time_and_closed(dept: str, day: int) -> Ticket:
    return make(dept, at(day, 18), ("accept", at(day, 9)), ("resolve", at(day, 12), True), ("close", at(day, 15)))


def build() -> None:
    for day in (2, 3, 4, 5, 6):
        on_time_and_closed("JJDD", day)
    for day in (2, 3, 4, 5):
        on_time_and_closed("HWZX", day)
    # Closed on time within the period, reopened after it: at T it counts as on time.
    make("HWZX", at(9, 18), ("accept", at(9)), ("resolve", at(9, 12), True), ("close", at(9, 15)),
         ("reopen", at(12)))
    for day in (2, 3, 4, 5, 6):
        on_time_and_closed("XFJY", day)
    make("XFJY", at(8, 18), ("accept", at(7)), ("resolve", at(7, 10), True), ("reopen", at(7, 11)),
         ("resolve", at(7, 12), True), ("reopen", at(7, 13)), ("resolve", at(7, 14), True), ("reopen", at(7, 15)),
         ("resolve", at(8, 10), True))  # reopened three times, finally resolved in time
    # CGZF
    make("CGZF", at(3, 18), ("resolve", at(2), True), ("close", at(3)))            # A, B
    make("CGZF", at(4, 18), ("resolve", at(5), False))                             # B only (late)
    make("CGZF", at(6, 18), ("accept", at(6)), code=URGENT)                        # O, urgent
    make("CGZF", at(9, 18), ("resolve", at(8), True), ("reopen", at(9)), ("resolve", at(10), True))  # A, B, R
    make("CGZF", at(20, month=5), ("accept", at(21, month=5)))                     # due earlier, still overdue: O
    make("CGZF", at(25, month=5), ("resolve", at(24, month=5), True))              # handled before: not in N
    make("CGZF", at(5, 18), ("duplicate", at(3)))                                  # a duplicate: not counted
    make("CGZF", at(30, 18), ("accept", at(2)))                                    # due after the period: not in N
    for day in (2, 3, 4, 5):
        on_time_and_closed("SJJ", day)  # four: too few to rank
    for day in (2, 3, 4, 5, 6, 7):
        make("CCB", at(day, 18))  # the campaign office's own: never ranked
    db.session.commit()
