"""Apply a parsed batch: every report through the one intake, every assessment visit (whole or not at
all, its failed items through the same intake), every queued action once.

Each item runs in its own SAVEPOINT here, so that whatever one item does wrong, even a failure
the database alone notices, undoes only that item: it is answered `rejected` and the batch's
other items are stored (docs/sync-protocol.md). The rules and idempotency are the services'.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from app.extensions import db
from app.services.actor import Actor
from app.services.assessment import visits as assessment_visits
from app.services.reports import devices, intake
from app.services.tickets import offline_actions
from sync.protocol import ActionIn, Batch, FieldError, Invalid, ReportIn, Status, VisitIn

log = logging.getLogger(__name__)

Result = intake.IntakeResult


@dataclass
class Applied:
    reports: list[Result] = field(default_factory=list)
    actions: list[Result] = field(default_factory=list)
    visits: list[assessment_visits.VisitOutcome] = field(default_factory=list)


def apply_batch(batch: Batch, actor: Actor, now: datetime) -> Applied:
    """Ingest every report, then every visit, then apply every action; the caller commits once."""
    provenance = intake.Provenance(device_id=batch.device_id, clock_skew_s=batch.clock_skew_s)
    applied = Applied()
    for item in batch.reports:
        applied.reports.append(_one(item, lambda r: intake.receive(r, actor, now, provenance)))
    # After the reports: a visit's failed item may be a repeat of a report in the same batch.
    for item in batch.visits:
        applied.visits.append(_one(item, lambda v: assessment_visits.receive(v, actor, now, provenance),
                                   _refused_visit))
    for item in batch.actions:
        applied.actions.append(_one(item, lambda a: offline_actions.apply_queued(a, actor, now)))
    return applied


ARRIVED = (Status.CREATED, Status.ALREADY_SYNCED, Status.LINKED)  # the phone forgets these


def note_device(batch: Batch, applied: Applied, actor: Actor, now: datetime) -> None:
    """The device's capture numbers (app/services/reports/devices.py): what arrived, what it still holds."""
    if batch.device_id is None or actor.user_id is None:
        return
    arrived = frozenset(batch.capture_seqs[r.client_id] for r in (*applied.reports, *applied.visits)
                        if r.status in ARRIVED and r.client_id in batch.capture_seqs)
    seen = devices.Seen(batch.device_id, actor.user_id, arrived, batch.waiting)
    for attempt in (1, 2):  # a concurrent sync of the same device may insert the same rows first
        try:
            with db.session.begin_nested():
                devices.record_sync(seen, now)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _refused_report(client_id: str | None, errors: tuple[FieldError, ...]) -> Result:
    return Result(client_id, Status.REJECTED, errors=errors)


def _refused_visit(client_id: str | None, errors: tuple[FieldError, ...]) -> assessment_visits.VisitOutcome:
    return assessment_visits.VisitOutcome(client_id, Status.REJECTED, errors=errors)


def _one(item: ReportIn | ActionIn | VisitIn | Invalid, apply, refused=_refused_report):
    if isinstance(item, Invalid):
        return refused(item.client_id, item.errors)
    try:
        with db.session.begin_nested():
            return apply(item)
    except (DataError, StatementError) as exc:
        if isinstance(exc, DBAPIError) and not isinstance(exc, DataError):
            raise  # a lock, a lost connection, a race: the batch fails whole and is retried, nothing is lost
        # A value the database refused that no rule foresaw: this item only is refused.
        log.warning("sync item %s refused by the database: %s", item.client_id, type(exc).__name__)
        kind = "visit" if refused is _refused_visit else "report"
        return refused(item.client_id, (FieldError(kind, "not_storable"),))
