"""Apply a parsed batch: each report and action once, whatever the network did (DESIGN §3, STYLE rule 7).

Idempotency is the database's job: Report has a unique (reporter, client_id) key and
OfflineAction a unique (user, client_id) key. Each item runs in its own SAVEPOINT, so an
IntegrityError from a concurrent copy undoes only that item, and the answer is then read back
from the row that won: `already_synced` (same fingerprint) or `conflict`. A look-up first makes
plain retries cheap and answers them even if the report would no longer validate today.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.errors import DomainError
from app.extensions import db
from app.models import Category, LocationSource, OfflineAction, Photo, Report
from app.services import geo, tickets
from app.services.actor import Actor
from sync.protocol import ActionIn, Batch, FieldError, Invalid, PhotoExif, ReportIn, Status


@dataclass(frozen=True)
class Result:
    client_id: str | None
    status: Status
    ticket_id: int | None = None
    errors: tuple[FieldError, ...] = ()
    missing: tuple[str, ...] = ()


@dataclass
class Applied:
    reports: list[Result] = field(default_factory=list)
    actions: list[Result] = field(default_factory=list)


def apply_batch(batch: Batch, actor: Actor, now: datetime) -> Applied:
    """Ingest every report, then apply every action; the caller commits once."""
    applied = Applied()
    for item in batch.reports:
        applied.reports.append(apply_report(item, actor, now, batch))
    for item in batch.actions:
        applied.actions.append(apply_action(item, actor, now))
    return applied


def apply_report(item: ReportIn | Invalid, actor: Actor, now: datetime, batch: Batch) -> Result:
    if isinstance(item, Invalid):
        return Result(item.client_id, Status.REJECTED, errors=item.errors)
    known = _known_report(item, actor)
    if known is not None:
        return known
    category = db.session.scalar(sa.select(Category).where(Category.code == item.category_code, Category.active))
    errors = _domain_errors(item, category)
    if errors:
        return Result(item.client_id, Status.REJECTED, errors=errors)
    missing = _missing_photos(item.photos)
    if missing:
        return Result(item.client_id, Status.MISSING_PHOTOS, missing=missing)
    new = tickets.NewReport(
        category=category, lat=item.lat, lon=item.lon, captured_at=item.captured_at, client_id=item.client_id,
        description=item.description, address=item.address, accuracy_m=item.accuracy_m,
        location_source=LocationSource(item.location_source), photos=list(item.photos),
        fingerprint=item.fingerprint(), device_id=batch.device_id, clock_skew_s=batch.clock_skew_s,
    )
    try:
        with db.session.begin_nested():
            _remember_client_exif(item.photo_exif)
            ingested = tickets.ingest_report(new, actor, now=now)
    except IntegrityError:
        # A concurrent copy committed first: answer with the ticket it made.
        return _known_report(item, actor)
    except DomainError as exc:
        return _known_report(item, actor) or Result(item.client_id, Status.REJECTED, errors=(_as_field_error(exc),))
    status = Status.LINKED if ingested.linked else Status.CREATED
    return Result(item.client_id, status, ingested.ticket.id)


def apply_action(item: ActionIn | Invalid, actor: Actor, now: datetime) -> Result:
    if isinstance(item, Invalid):
        return Result(item.client_id, Status.REJECTED, errors=item.errors)
    known = _known_action(item, actor)
    if known is not None:
        return known
    missing = _missing_photos(item.photos)
    if missing:
        return Result(item.client_id, Status.MISSING_PHOTOS, missing=missing)
    data = tickets.ActionInput(action=item.action, version=item.version, note=item.note, photos=list(item.photos))
    try:
        with db.session.begin_nested():
            ticket = tickets.transition(item.ticket_id, data, actor, now=now)
            db.session.add(OfflineAction(user_id=actor.user_id, client_id=item.client_id, ticket_id=ticket.id,
                                         action=item.action, fingerprint=item.fingerprint(), received_at=now))
            db.session.flush()
    except (IntegrityError, StaleDataError, DomainError) as exc:
        # A concurrent copy may have won (it then made our version stale): that is not a refusal.
        known = _known_action(item, actor)
        if known is not None:
            return known
        if isinstance(exc, IntegrityError):
            raise
        return Result(item.client_id, Status.REJECTED, errors=(_as_field_error(exc),))
    return Result(item.client_id, Status.CREATED, ticket.id)


def _known_report(item: ReportIn, actor: Actor) -> Result | None:
    row = db.session.execute(
        sa.select(Report.ticket_id, Report.fingerprint)
        .where(Report.reporter_id == actor.user_id, Report.client_id == item.client_id)
    ).first()
    if row is None:
        return None
    same = row.fingerprint == item.fingerprint()
    return Result(item.client_id, Status.ALREADY_SYNCED if same else Status.CONFLICT, row.ticket_id)


def _known_action(item: ActionIn, actor: Actor) -> Result | None:
    row = db.session.execute(
        sa.select(OfflineAction.ticket_id, OfflineAction.fingerprint)
        .where(OfflineAction.user_id == actor.user_id, OfflineAction.client_id == item.client_id)
    ).first()
    if row is None:
        return None
    same = row.fingerprint == item.fingerprint()
    return Result(item.client_id, Status.ALREADY_SYNCED if same else Status.CONFLICT, row.ticket_id)


def _domain_errors(item: ReportIn, category: Category | None) -> tuple[FieldError, ...]:
    """What only the server can check: the category exists, the place is in the county."""
    errors = []
    if category is None:
        errors.append(FieldError("category_code", "unknown_category"))
    if current_app.config["SYNC_OUTSIDE_COUNTY"] == "reject" and geo.in_county(item.lat, item.lon) is False:
        errors.append(FieldError("lat", "outside_county"))
    return tuple(errors)


def _missing_photos(hashes: tuple[str, ...]) -> tuple[str, ...]:
    if not hashes:
        return ()
    known = set(db.session.scalars(sa.select(Photo.sha256).where(Photo.sha256.in_(hashes))))
    return tuple(h for h in hashes if h not in known)


def _remember_client_exif(summaries: dict[str, PhotoExif]) -> None:
    """Keep the original photo's EXIF place and time the phone read before resizing it away.

    The uploaded copy is resized in the browser and carries no EXIF, so without this the
    evidence checks (DESIGN §5) would have nothing to compare. EXIF read by the server wins.
    """
    for sha, exif in summaries.items():
        photo = db.session.get(Photo, sha)
        if photo is None or photo.exif_lat is not None or photo.exif_taken_at is not None:
            continue
        photo.exif_lat, photo.exif_lon, photo.exif_taken_at = exif.lat, exif.lon, exif.taken_at
        photo.exif = {**(photo.exif or {}), "lat": exif.lat, "lon": exif.lon,
                      "taken_at": exif.taken_at.isoformat() if exif.taken_at else None, "read_by": "client"}


def _as_field_error(exc: DomainError | StaleDataError) -> FieldError:
    if isinstance(exc, StaleDataError):
        return FieldError("version", "stale_version")
    return FieldError(exc.field or "action", exc.code, exc.message)
