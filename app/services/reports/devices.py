"""Loss that cannot hide (issue 18): each phone numbers what it captures; the server notices numbers
that never arrived and tells the inspector and the supervisors, once per number.

A number is lost when it is below the device's highest, never arrived, and is not among the
numbers the phone says it still holds (a GAP: the phone lost it); or when the phone still held it
and then fell SILENT for DEVICE_SILENT_HOURS, or was REPLACED by a new device of the same user
(storage wiped, app reinstalled). A resent item arrives again: idempotent, never a gap. A number
reported lost that arrives after all is marked found. No Flask request here; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import CaptureNumber, Device, User
from app.services.notifications import centre
from app.timeutil import iso

KIND = "capture_lost"  # the notification's kind (centre.describe)
MAX_LISTED = 50  # numbers named in one notification; the count says the rest
# A number this far above the device's highest is not tracked (yet): one bogus huge number must not
# make millions of "lost" numbers. A phone that really holds more catches up over its next syncs.
MAX_JUMP = 5000


@dataclass(frozen=True)
class Seen:
    """What one sync told about a device: the numbers that arrived, and those still on the phone."""

    device_id: str
    user_id: int
    arrived: frozenset[int]
    waiting: frozenset[int] | None  # None: the phone did not say (an older client)


def record_sync(seen: Seen, now: datetime) -> list[int]:
    """Note the sync, mark arrivals (and late finds), report gaps and a replaced device; the lost numbers."""
    device = db.session.scalar(sa.select(Device).where(Device.device_id == seen.device_id))
    if device is None:
        device = Device(device_id=seen.device_id, user_id=seen.user_id, first_seen=now, last_seen=now,
                        highest_seq=0, waiting=[])
        db.session.add(device)
        db.session.flush()
        _replaces(device, now)
    device.user_id, device.last_seen, device.loss_reported_at = seen.user_id, now, None
    limit = device.highest_seq + MAX_JUMP
    arrived = frozenset(n for n in seen.arrived if n <= limit)
    if arrived:
        _arrive(device, arrived, now)
        device.highest_seq = max(device.highest_seq, *arrived)
    if seen.waiting is None:
        return []  # without the phone's list a missing number may only be waiting: nothing to tell yet
    waiting = {n for n in seen.waiting if n <= limit}
    device.highest_seq = max(device.highest_seq, *waiting, 0)
    device.waiting = sorted(waiting - arrived)
    gaps = _unaccounted(device, waiting)
    _report(device, gaps, "gap", now)
    return gaps


def report_silent(now: datetime, silent_hours: int) -> int:
    """Devices not seen for `silent_hours` while they held items: their waiting numbers, once each."""
    quiet = db.session.scalars(sa.select(Device).where(
        Device.last_seen < now - timedelta(hours=silent_hours), Device.loss_reported_at.is_(None))
        .order_by(Device.id)).all()
    reported = 0
    for device in quiet:
        if device.waiting:
            reported += len(_report(device, _not_reported(device, device.waiting), "silent", now))
            device.loss_reported_at = now
    return reported


def _replaces(new: Device, now: datetime) -> None:
    """A new device of a user whose other devices still held items: those items are taken as lost."""
    olds = db.session.scalars(sa.select(Device).where(
        Device.user_id == new.user_id, Device.id != new.id, Device.loss_reported_at.is_(None))).all()
    for old in olds:
        if old.waiting:
            old.replaced_by, old.loss_reported_at = new.device_id, now
            _report(old, _not_reported(old, old.waiting), "replaced", now, new.device_id)


def _arrive(device: Device, seqs: frozenset[int], now: datetime) -> None:
    known = {row.seq: row for row in db.session.scalars(sa.select(CaptureNumber).where(
        CaptureNumber.device_pk == device.id, CaptureNumber.seq.in_(seqs)))}
    for seq in sorted(seqs):
        row = known.get(seq)
        if row is None:
            db.session.add(CaptureNumber(device_pk=device.id, seq=seq, arrived_at=now))
        elif row.arrived_at is None:
            row.arrived_at = now  # reported missing, found after all
    db.session.flush()


def _unaccounted(device: Device, waiting: set[int]) -> list[int]:
    """Numbers 1..highest with no row (never arrived, never reported) that the phone no longer holds."""
    recorded = set(db.session.scalars(sa.select(CaptureNumber.seq).where(CaptureNumber.device_pk == device.id)))
    return [n for n in range(1, device.highest_seq + 1) if n not in recorded and n not in waiting]


def _not_reported(device: Device, seqs) -> list[int]:
    recorded = set(db.session.scalars(sa.select(CaptureNumber.seq).where(
        CaptureNumber.device_pk == device.id, CaptureNumber.seq.in_(list(seqs)))))
    return sorted(n for n in seqs if n not in recorded)


def _report(device: Device, lost: list[int], why: str, now: datetime, new_device: str | None = None) -> list[int]:
    if not lost:
        return lost
    for seq in lost:
        db.session.add(CaptureNumber(device_pk=device.id, seq=seq, missing_reported_at=now))
    username = db.session.scalar(sa.select(User.username).where(User.id == device.user_id))
    centre.send([device.user_id, *centre.supervisors()], KIND, why=why, device=device.device_id[:8],
                new_device=(new_device or "")[:8], user=username, numbers=lost[:MAX_LISTED], count=len(lost),
                last_seen=iso(device.last_seen))
    db.session.flush()
    return lost
