"""The state machine: every state × action × role, own vs other department (docs/design.md §2)."""
import itertools
from datetime import timedelta

import pytest

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import TicketEvent, TicketStatus
from app.services.tickets import lifecycle
from app.services.tickets.transitions import ActionInput, transition
from tests.factories import actor_of

ALL_STATES = [s.value for s in TicketStatus]
ROLES = ["inspector", "department", "supervisor", "admin"]

# The expected next state for (state, action, role) where allowed; anything else is refused.
EXPECTED = {
    **{(s, "assign", r): "assigned" for s in ("reported", "assigned", "in_progress", "returned", "reopened")
       for r in ("supervisor", "admin")},
    **{(s, "mark_duplicate", r): "duplicate"
       for s in ("reported", "assigned", "in_progress", "returned", "reopened") for r in ("supervisor", "admin")},
    **{(s, "mark_invalid", r): "invalid"
       for s in ("reported", "assigned", "in_progress", "returned", "reopened") for r in ("supervisor", "admin")},
    ("assigned", "accept", "department"): "in_progress",
    ("reopened", "accept", "department"): "in_progress",
    ("in_progress", "resolve", "department"): "resolved",
    ("assigned", "return", "department"): "returned",
    ("in_progress", "return", "department"): "returned",
    ("reopened", "return", "department"): "returned",
    **{("resolved", "close", r): "closed" for r in ("inspector", "supervisor", "admin")},
    **{("resolved", "reopen", r): "reopened" for r in ("inspector", "supervisor", "admin")},
    ("closed", "reopen", "supervisor"): "reopened",
    ("closed", "reopen", "admin"): "reopened",
}


def _inputs(create_photo) -> dict:
    return {
        "note": "reason given",
        "photos": [create_photo().sha256],
        "department_code": "CGZF",
        "duplicate_of": None,
    }


@pytest.mark.parametrize(("state", "action", "role"), list(itertools.product(ALL_STATES, lifecycle.ACTIONS, ROLES)))
def test_every_state_action_role(ticket_in, create_user, create_photo, report, state, action, role):
    if state == "reported":
        # X14001 is area-scoped; outside every township nobody is responsible → the triage queue.
        ticket = report("X14001", at=(29.86, 119.80)).ticket
        assert ticket.status == TicketStatus.REPORTED
    else:
        ticket = ticket_in(state)
    if role == "department":
        code = ticket.department.code if ticket.department else "CGZF"
        user = create_user("department", code)
    elif role == "inspector":
        from app.models import User
        user = db.session.get(User, ticket.reporter_id)
    else:
        user = create_user(role)
    data = _inputs(create_photo)
    if action == "mark_duplicate":
        other = report("09009", at=(29.99, 119.96)).ticket
        data["duplicate_of"] = other.case_number
    events_before = db.session.query(TicketEvent).filter_by(ticket_id=ticket.id).count()
    expected = EXPECTED.get((state, action, role))
    call = ActionInput(action=action, version=ticket.version, **data)
    if expected:
        result = transition(ticket.id, call, actor_of(user))
        db.session.commit()
        assert result.status.value == expected
        assert db.session.query(TicketEvent).filter_by(ticket_id=ticket.id).count() == events_before + 1
    else:
        with pytest.raises((Forbidden, Conflict, NotFound)):
            transition(ticket.id, call, actor_of(user))
        db.session.rollback()
        db.session.refresh(ticket)
        assert ticket.status.value == state
        assert db.session.query(TicketEvent).filter_by(ticket_id=ticket.id).count() == events_before


@pytest.mark.parametrize("action", ["accept", "return"])
def test_department_cannot_act_on_another_departments_ticket(ticket_in, create_user, action):
    ticket = ticket_in("assigned")  # 09009 → JJDD
    other = create_user("department", "CGZF")
    with pytest.raises(NotFound):
        transition(ticket.id, ActionInput(action=action, version=ticket.version, note="x"), actor_of(other))


def test_inspector_cannot_recheck_someone_elses_report(ticket_in, create_user, create_photo):
    ticket = ticket_in("resolved")
    stranger = create_user("inspector")
    with pytest.raises(NotFound):  # not even visible to another inspector
        transition(ticket.id, ActionInput(action="close", version=ticket.version,
                                          photos=[create_photo().sha256]), actor_of(stranger))


def test_stale_version_is_refused_and_changes_nothing(ticket_in, create_user):
    ticket = ticket_in("assigned")
    dept = create_user("department", ticket.department.code)
    with pytest.raises(Conflict) as refused:
        transition(ticket.id, ActionInput(action="accept", version=ticket.version - 1), actor_of(dept))
    assert refused.value.code == "stale_version"


@pytest.mark.parametrize(("state", "action", "field"), [
    ("in_progress", "resolve", "photos"),
    ("assigned", "return", "note"),
    ("resolved", "reopen", "note"),
])
def test_required_note_or_photo(ticket_in, create_user, state, action, field):
    ticket = ticket_in(state)
    who = create_user("department", ticket.department.code) if action in ("resolve", "return") else \
        create_user("supervisor")
    with pytest.raises(ValidationFailed) as refused:
        transition(ticket.id, ActionInput(action=action, version=ticket.version), actor_of(who))
    assert refused.value.field == field


def test_every_move_is_logged_with_actor_and_states(ticket_in):
    ticket = ticket_in("closed")
    moves = [(e.action, e.from_status, e.to_status) for e in ticket.events]
    assert moves == [
        ("report", None, "reported"), ("assign", "reported", "assigned"), ("accept", "assigned", "in_progress"),
        ("resolve", "in_progress", "resolved"), ("close", "resolved", "closed"),
    ]
    assert ticket.events[0].actor_id == ticket.reporter_id
    assert ticket.events[1].actor_id is None  # routed by the system
    assert all(e.at is not None for e in ticket.events)


def test_reopen_counts_rework_and_restarts_the_deadline(ticket_in):
    ticket = ticket_in("reopened")
    assert ticket.rework_count == 1
    assert ticket.resolved_at is None
    reopened_at = ticket.events[-1].at
    assert ticket.due_at == reopened_at + timedelta(hours=ticket.category.sla_hours)


def test_resolve_records_time_and_punctuality(ticket_in):
    ticket = ticket_in("resolved")
    assert ticket.resolved_at is not None
    assert ticket.resolved_on_time is True


def test_duplicate_points_at_original_and_adds_its_reports(ticket_in):
    ticket = ticket_in("duplicate")
    original = db.session.get(type(ticket), ticket.duplicate_of_id)
    assert original.report_count == 2
