"""Evidence flags (docs/design.md §5): reasons to doubt a photo on a ticket.

Computed when a photo joins a ticket, shown to supervisors with the reason, never blocking
the inspector or the department.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import imagehash
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models import EvidenceFlag, Photo, PhotoKind, Ticket, TicketPhoto
from app.services.reports import geo
from app.timeutil import iso, to_local

GPS_FAR = "gps_far"
TIME_DRIFT = "time_drift"
AFTER_PREDATES_TICKET = "after_predates_ticket"
REUSED_PHOTO = "reused_photo"
OUTSIDE_COUNTY = "outside_county"
RECHECK_IS_AFTER = "recheck_is_after"  # the re-inspection photo is the department's after photo again


def check_new_photos(ticket: Ticket, photos: list[Photo], kind: PhotoKind, captured_at: datetime, *,
                     new_ticket: bool = False) -> None:
    """Flag photos that just joined `ticket` as `kind`.

    `captured_at` is when the photos should have been taken: the report's capture time for
    before photos, the time of the action for after and re-inspection photos. `new_ticket`: made
    in this transaction, it has no flags and no other photos to compare with yet (nothing to read).
    """
    if not photos:
        return
    existing = [] if new_ticket else flags_for(ticket)
    seen = {(f.photo_sha256, f.kind, f.code) for f in existing}
    ticket_outside_flagged = any(f.code == OUTSIDE_COUNTY and f.details.get("source") == "ticket"
                                 for f in existing)
    for photo in photos:
        for code, details in _findings(ticket, photo, kind, captured_at, compare=not new_ticket):
            if code == OUTSIDE_COUNTY and details["source"] == "ticket":
                if ticket_outside_flagged:
                    continue  # the ticket's own location: one flag per ticket, not one per photo
                ticket_outside_flagged = True
            if (photo.sha256, kind, code) not in seen:
                seen.add((photo.sha256, kind, code))
                db.session.add(EvidenceFlag(ticket_id=ticket.id, photo_sha256=photo.sha256, kind=kind,
                                            code=code, details=details))


def recheck_similar(photo: Photo) -> None:
    """The similarity flags of `photo` once its perceptual hash exists (it is made after the upload
    answered, issue 20): on each ticket that holds it, as if it had just joined as that kind."""
    links = db.session.scalars(sa.select(TicketPhoto).where(TicketPhoto.photo_sha256 == photo.sha256)).all()
    for link in links:
        ticket = db.session.get(Ticket, link.ticket_id)
        seen = {(f.photo_sha256, f.kind, f.code) for f in flags_for(ticket)}
        found = [(REUSED_PHOTO, _reused_with(ticket, photo, link.kind))]
        if link.kind == PhotoKind.RECHECK:
            found.append((RECHECK_IS_AFTER, _similar_to(ticket, photo, [PhotoKind.AFTER])))
        for code, details in found:
            if details is not None and (photo.sha256, link.kind, code) not in seen:
                db.session.add(EvidenceFlag(ticket_id=ticket.id, photo_sha256=photo.sha256, kind=link.kind,
                                            code=code, details=details))


def flags_for(ticket: Ticket) -> list[EvidenceFlag]:
    return list(db.session.scalars(
        sa.select(EvidenceFlag).where(EvidenceFlag.ticket_id == ticket.id).order_by(EvidenceFlag.id)))


def _findings(ticket: Ticket, photo: Photo, kind: PhotoKind, captured_at: datetime, *,
              compare: bool = True) -> Iterator[tuple[str, dict]]:
    config = current_app.config
    if photo.exif_lat is not None and photo.exif_lon is not None:
        distance = geo.distance_m((photo.exif_lat, photo.exif_lon), (ticket.lat, ticket.lon))
        if distance > config["EVIDENCE_MAX_DISTANCE_M"]:
            yield GPS_FAR, {"distance_m": round(distance), "limit_m": config["EVIDENCE_MAX_DISTANCE_M"]}

    if photo.exif_taken_at is not None:
        drift_h = abs((photo.exif_taken_at - captured_at).total_seconds()) / 3600
        if drift_h > config["EVIDENCE_MAX_TIME_DRIFT_H"]:
            yield TIME_DRIFT, {"drift_h": round(drift_h, 1), "limit_h": config["EVIDENCE_MAX_TIME_DRIFT_H"],
                               "taken_at": iso(photo.exif_taken_at), "expected_at": iso(captured_at)}
        if kind != PhotoKind.BEFORE and photo.exif_taken_at < ticket.captured_at:
            yield AFTER_PREDATES_TICKET, {"taken_at": iso(photo.exif_taken_at),
                                          "ticket_captured_at": iso(ticket.captured_at)}

    reused = _reused_with(ticket, photo, kind) if compare else None  # `compare`: the ticket has other photos
    if reused is not None:
        yield REUSED_PHOTO, reused
    if kind == PhotoKind.RECHECK and compare:
        again = _similar_to(ticket, photo, [PhotoKind.AFTER])
        if again is not None:
            yield RECHECK_IS_AFTER, again

    if photo.exif_lat is not None and photo.exif_lon is not None:
        point, source = (photo.exif_lat, photo.exif_lon), "exif"
    else:
        point, source = (ticket.lat, ticket.lon), "ticket"
    if geo.in_county(*point) is False:  # None: no boundary configured, nothing to say
        yield OUTSIDE_COUNTY, {"lat": point[0], "lon": point[1], "source": source}


def _reused_with(ticket: Ticket, photo: Photo, kind: PhotoKind) -> dict | None:
    """The same or a near-identical photo on the other side of before / after (re-inspection counts as after)."""
    other_kinds = [PhotoKind.AFTER, PhotoKind.RECHECK] if kind == PhotoKind.BEFORE else [PhotoKind.BEFORE]
    return _similar_to(ticket, photo, other_kinds)


def _similar_to(ticket: Ticket, photo: Photo, kinds: list[PhotoKind]) -> dict | None:
    """The first of the ticket's photos of `kinds` that is `photo` itself or nearly identical to it."""
    others = db.session.scalars(
        sa.select(Photo).join(TicketPhoto, TicketPhoto.photo_sha256 == Photo.sha256)
        .where(TicketPhoto.ticket_id == ticket.id, TicketPhoto.kind.in_(kinds))).all()
    limit = current_app.config["EVIDENCE_MAX_PHASH_DISTANCE"]
    for other in others:
        if other.sha256 == photo.sha256:
            return {"other_sha256": other.sha256, "phash_distance": 0, "identical": True}
        if photo.phash and other.phash:
            distance = imagehash.hex_to_hash(photo.phash) - imagehash.hex_to_hash(other.phash)
            if distance <= limit:
                return {"other_sha256": other.sha256, "phash_distance": int(distance), "identical": False}
    return None


def describe(flag: EvidenceFlag) -> str:
    """The reason, in the reader's language, with the numbers behind it."""
    d = flag.details
    if flag.code == GPS_FAR:
        return _("The photo's GPS position is %(distance)s from the ticket's location (limit %(limit)s).",
                 distance=distance_words(d["distance_m"]), limit=distance_words(d["limit_m"]))
    if flag.code == TIME_DRIFT:
        return _("The photo was taken %(drift)s away from the time given with it (limit %(limit)s).",
                 drift=duration_words(d["drift_h"]), limit=duration_words(d["limit_h"]))
    if flag.code == RECHECK_IS_AFTER:
        if d.get("identical"):
            return _("The re-inspection photo is the department's after photo again, not a new one taken on site.")
        return _("The re-inspection photo is nearly identical to the department's after photo "
                 "(perceptual hash distance %(d)s).", d=d["phash_distance"])
    if flag.code == AFTER_PREDATES_TICKET:
        return _("This photo was taken at %(taken)s, before the problem was reported (%(reported)s).",
                 taken=_local(d["taken_at"]), reported=_local(d["ticket_captured_at"]))
    if flag.code == REUSED_PHOTO:
        if d.get("identical"):
            return _("The same photo is used both before and after rectification.")
        return _("This photo is nearly identical to one on the other side of before/after "
                 "(perceptual hash distance %(d)s).", d=d["phash_distance"])
    if flag.code == OUTSIDE_COUNTY:
        if d.get("source") == "exif":
            return _("The photo's GPS position is outside the county boundary.")
        return _("The ticket's location is outside the county boundary.")
    return flag.code


def distance_words(metres: float) -> str:
    """As a person says it: metres up to 1 km, then kilometres (11583028 m → "11,583 km")."""
    if metres < 1000:
        return _("%(n)s m", n=round(metres))
    km = metres / 1000
    return _("%(n)s km", n=f"{km:,.1f}" if km < 100 else f"{km:,.0f}")


def duration_words(hours: float) -> str:
    """Hours up to 48 h, then days (164046.2 h → "6,835 days")."""
    if hours <= 48:
        return _("%(n)s hours", n=f"{hours:g}" if hours == int(hours) else f"{hours:.1f}")
    days = hours / 24
    return _("%(n)s days", n=f"{days:,.1f}" if days < 100 else f"{days:,.0f}")


def _local(text: str) -> str:
    return to_local(datetime.fromisoformat(text)).strftime("%Y-%m-%d %H:%M")
