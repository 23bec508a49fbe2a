"""An address on every ticket (issue 18): filled in after intake, off the request path, by a job.

A report that carries an address keeps it (`address_source = inspector`, set by the intake) and
nothing here ever replaces it. For the others, the job (app/jobs/addresses.py) runs three steps,
so that no database transaction is open while a geocoder is asked (a SQLite writer holds the
lock from BEGIN):

1. `plan`: the oldest tickets still without an address, and the answers already cached for their
   positions rounded to 4 decimals (~10 m, GeocodeAnswer), so two tickets at one spot cost one call;
2. `ask`: the configured geocoder (geocoders.py: rate-limited, short timeouts) for the other
   positions; after a failure the rest of the run does not ask (the service is down or slow);
3. `apply`: each ticket gets the geocoder's text (`geocoder`), or, with no geocoder, a failure or
   no answer, the offline place name from the county's own data (`offline`, places.py); new
   answers are cached. A plain UPDATE guarded by "still empty": the version stays, so nobody's
   open form goes stale, and a ticket that got an address meanwhile is left alone. The phones
   that follow the ticket learn its address through the change feed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import AddressSource, GeocodeAnswer, Ticket
from app.services import change_log
from app.services.reports import places
from app.services.reports.geocoders import GeocodingFailed, ReverseGeocoder

log = logging.getLogger(__name__)

Key = tuple[int, int]  # (lat, lon) x 10^4, rounded


def position_key(lat: float, lon: float) -> Key:
    return round(lat * 10_000), round(lon * 10_000)


def still_without_address() -> sa.ColumnElement[bool]:
    """The job's queue: the condition of the partial index ix_ticket_address_pending, written as a
    literal so that PostgreSQL's generic plans (no parameter value to look at) still match it."""
    return sa.and_(Ticket.address == sa.literal_column("''"), Ticket.address_source.is_(None))


@dataclass(frozen=True)
class Pending:
    ticket_id: int
    lat: float
    lon: float

    @property
    def key(self) -> Key:
        return position_key(self.lat, self.lon)


@dataclass
class Plan:
    provider: str | None
    pending: list[Pending]
    cached: dict[Key, str] = field(default_factory=dict)

    def to_ask(self) -> list[Key]:
        """Positions no cached answer covers, each once, oldest ticket first."""
        return list(dict.fromkeys(p.key for p in self.pending if p.key not in self.cached))


def plan(limit: int, provider: str | None) -> Plan:
    rows = db.session.execute(sa.select(Ticket.id, Ticket.lat, Ticket.lon).where(still_without_address())
                              .order_by(Ticket.id).limit(limit)).all()
    pending = [Pending(r.id, r.lat, r.lon) for r in rows]
    cached: dict[Key, str] = {}
    keys = {p.key for p in pending}
    if provider and keys:
        lats = {k[0] for k in keys}
        found = db.session.execute(sa.select(GeocodeAnswer.lat_e4, GeocodeAnswer.lon_e4, GeocodeAnswer.address)
                                   .where(GeocodeAnswer.provider == provider, GeocodeAnswer.lat_e4.in_(lats)))
        cached = {(r.lat_e4, r.lon_e4): r.address for r in found if (r.lat_e4, r.lon_e4) in keys}
    return Plan(provider, pending, cached)


def ask(work: Plan, geocoder: ReverseGeocoder | None) -> dict[Key, str]:
    """The geocoder's answers ("" for none) for the positions to ask; no database access here."""
    answers: dict[Key, str] = {}
    if geocoder is None:
        return answers
    for key in work.to_ask():
        try:
            answers[key] = geocoder.address_at(key[0] / 10_000, key[1] / 10_000)
        except GeocodingFailed as exc:
            log.warning("reverse geocoding failed, offline names for this run: %s", exc,
                        extra={"provider": geocoder.provider})
            break
    return answers


def apply(work: Plan, answers: dict[Key, str], now: datetime, radius_m: float) -> int:
    """Write each pending ticket's address; the count of tickets that got one."""
    known = {**work.cached, **answers}
    done = []
    for item in work.pending:
        text = known.get(item.key) or ""
        source = AddressSource.GEOCODER
        if not text:
            text, source = _offline_name(item, radius_m), AddressSource.OFFLINE
        written = db.session.execute(
            sa.update(Ticket).where(Ticket.id == item.ticket_id, still_without_address())
            .values(address=text, address_source=source).execution_options(synchronize_session=False))
        if written.rowcount == 1:
            done.append(item.ticket_id)
    _remember(work.provider, answers, now)
    if done:
        for ticket in db.session.scalars(sa.select(Ticket).where(Ticket.id.in_(done))
                                         .execution_options(populate_existing=True)):
            change_log.ticket_changed(ticket)
    db.session.flush()
    return len(done)


def place_name(ticket: Ticket, radius_m: float | None = None) -> str:
    """What a page or a document shows as the ticket's place: its address, or, in the minute before
    the job names it, the offline place name computed now (shown, not stored: the job decides)."""
    if ticket.address:
        return ticket.address
    if radius_m is None:
        radius_m = current_app.config["OFFLINE_PLACE_RADIUS_M"]
    return _offline_name(Pending(ticket.id, ticket.lat, ticket.lon), radius_m)


def _offline_name(item: Pending, radius_m: float) -> str:
    try:
        return places.offline_name(item.lat, item.lon, radius_m)
    except Exception:  # noqa: BLE001 - one bad outline must not hold up the queue behind this ticket
        log.exception("no offline place name for ticket %s", item.ticket_id)
        return f"{item.lat:.5f}, {item.lon:.5f}"


def _remember(provider: str | None, answers: dict[Key, str], now: datetime) -> None:
    if not provider or not answers:
        return
    rows = [{"provider": provider, "lat_e4": k[0], "lon_e4": k[1], "address": text, "answered_at": now}
            for k, text in answers.items()]
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # A second scheduler by mistake (or a retry) may have cached the same spot: the first answer stays.
    db.session.execute(insert(GeocodeAnswer).values(rows).on_conflict_do_nothing())
