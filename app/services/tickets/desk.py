"""The department desk: its queue's defaults and accepting many tickets at once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm.exc import StaleDataError

from app.errors import DomainError
from app.extensions import db
from app.models import DEPARTMENT_STATUSES
from app.services.actor import Actor
from app.services.tickets.transitions import ActionInput, transition

# What a department works on; the desk shows these unless another status is chosen.
QUEUE_STATUSES = [s.value for s in DEPARTMENT_STATUSES]


@dataclass(frozen=True)
class BulkResult:
    ticket_id: int
    outcome: str  # "accepted", or the refusal's code (stale_version, transition_not_allowed, not_found…)
    version: int | None = None


def accept_many(items: list[tuple[int, int]], actor: Actor, now: datetime) -> list[BulkResult]:
    """Accept each (ticket id, version) on its own savepoint: one refusal never undoes the others."""
    results = []
    for ticket_id, version in items:
        try:
            with db.session.begin_nested():
                ticket = transition(ticket_id, ActionInput(action="accept", version=version), actor, now=now)
            results.append(BulkResult(ticket_id, "accepted", ticket.version))
        except DomainError as exc:
            results.append(BulkResult(ticket_id, exc.code))
        except StaleDataError:  # changed between our read and our write
            results.append(BulkResult(ticket_id, "stale_version"))
    return results
