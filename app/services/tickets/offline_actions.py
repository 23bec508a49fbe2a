"""Re-inspection actions a phone queued offline (close, reopen): each applied once, like a report.

OfflineAction has a unique (user, client_id) key. The transition runs in a SAVEPOINT; if it
fails because a concurrent copy of the same action won (which also makes our version stale),
the answer is read back from the winner's row, not reported as a refusal.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.errors import DomainError
from app.extensions import db
from app.models import OfflineAction
from app.services.actor import Actor
from app.services.photos.attach import missing_photos
from app.services.reports.intake import FieldError, IntakeResult, Status
from app.services.tickets.transitions import ActionInput, transition

OFFLINE_ACTIONS = ("close", "reopen")  # what a phone may queue offline: re-inspection


@dataclass(frozen=True)
class QueuedAction:
    client_id: str
    ticket_id: int
    action: str
    version: int
    note: str = ""
    photos: tuple[str, ...] = ()

    def fingerprint(self) -> str:
        content = asdict(self)
        del content["client_id"]
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def apply_queued(item: QueuedAction, actor: Actor, now: datetime) -> IntakeResult:
    """Apply one queued action, or answer as before if it was applied already. The caller commits."""
    known = _known(item, actor)
    if known is not None:
        return known
    missing = missing_photos(item.photos, actor)
    if missing:
        return IntakeResult(item.client_id, Status.MISSING_PHOTOS, missing=tuple(missing))
    data = ActionInput(action=item.action, version=item.version, note=item.note, photos=list(item.photos))
    try:
        with db.session.begin_nested():
            ticket = transition(item.ticket_id, data, actor, now=now)
            db.session.add(OfflineAction(user_id=actor.user_id, client_id=item.client_id, ticket_id=ticket.id,
                                         action=item.action, fingerprint=item.fingerprint(), received_at=now))
            db.session.flush()
    except (IntegrityError, StaleDataError, DomainError) as exc:
        known = _known(item, actor)
        if known is not None:
            return known
        if isinstance(exc, IntegrityError):
            raise
        return IntakeResult(item.client_id, Status.REJECTED, errors=(_field_error(exc),))
    return IntakeResult(item.client_id, Status.CREATED, ticket.id, ticket.case_number)


def _known(item: QueuedAction, actor: Actor) -> IntakeResult | None:
    row = db.session.execute(
        sa.select(OfflineAction.ticket_id, OfflineAction.fingerprint)
        .where(OfflineAction.user_id == actor.user_id, OfflineAction.client_id == item.client_id)
    ).first()
    if row is None:
        return None
    same = row.fingerprint == item.fingerprint()
    return IntakeResult(item.client_id, Status.ALREADY_SYNCED if same else Status.CONFLICT, row.ticket_id)


def _field_error(exc: DomainError | StaleDataError) -> FieldError:
    if isinstance(exc, StaleDataError):
        return FieldError("version", "stale_version")
    return FieldError(exc.field or "action", exc.code, exc.message)
