"""The ticket state machine as data (docs/design.md §2): which action moves which state, for whom."""
from __future__ import annotations

from dataclasses import dataclass

from app.models import Role
from app.models import TicketStatus as S

SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
DEPARTMENT = frozenset({Role.DEPARTMENT})
RECHECKERS = frozenset({Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN})

# States a supervisor may still triage (assign, mark duplicate or invalid).
_TRIAGEABLE = (S.REPORTED, S.ASSIGNED, S.IN_PROGRESS, S.RETURNED, S.REOPENED)


@dataclass(frozen=True)
class Move:
    to: S
    roles: frozenset[Role]


ACTIONS = ("assign", "accept", "resolve", "return", "close", "reopen", "mark_duplicate", "mark_invalid")

TRANSITIONS: dict[tuple[S, str], Move] = {
    **{(state, "assign"): Move(S.ASSIGNED, SUPERVISORS) for state in _TRIAGEABLE},
    **{(state, "mark_duplicate"): Move(S.DUPLICATE, SUPERVISORS) for state in _TRIAGEABLE},
    **{(state, "mark_invalid"): Move(S.INVALID, SUPERVISORS) for state in _TRIAGEABLE},
    (S.ASSIGNED, "accept"): Move(S.IN_PROGRESS, DEPARTMENT),
    (S.REOPENED, "accept"): Move(S.IN_PROGRESS, DEPARTMENT),
    (S.IN_PROGRESS, "resolve"): Move(S.RESOLVED, DEPARTMENT),
    (S.ASSIGNED, "return"): Move(S.RETURNED, DEPARTMENT),
    (S.IN_PROGRESS, "return"): Move(S.RETURNED, DEPARTMENT),
    (S.REOPENED, "return"): Move(S.RETURNED, DEPARTMENT),
    (S.RESOLVED, "close"): Move(S.CLOSED, RECHECKERS),
    (S.RESOLVED, "reopen"): Move(S.REOPENED, RECHECKERS),
    # A closed ticket can be reopened only by the campaign office (e.g. the problem came back).
    (S.CLOSED, "reopen"): Move(S.REOPENED, SUPERVISORS),
}

# What each action requires besides the right state and role.
NEEDS_NOTE = frozenset({"return", "reopen", "mark_invalid"})
NEEDS_PHOTO = frozenset({"resolve"})


def move_for(status: S, action: str) -> Move | None:
    """The move `action` makes from `status`, or None if the state does not allow it."""
    return TRANSITIONS.get((S(status), action))


def actions_for_role(status: S, role: Role) -> list[str]:
    """Actions a role may take from `status`, in display order (scope checks come on top)."""
    return [a for a in ACTIONS if (m := move_for(status, a)) is not None and role in m.roles]
