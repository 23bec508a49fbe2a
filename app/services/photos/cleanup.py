"""Media files against photo rows: orphaned files removed after a grace period, lost files reported.
The same on every backend (app/storage.py): objects are listed with their last-modified time."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Photo
from app.services.photos.store import MISSING, READY
from app.storage import VARIANTS, MediaStore, StoredObject, media_store

HEX_PREFIXES = [f"{i:02x}" for i in range(256)]


@dataclass
class MediaScan:
    orphans: list[StoredObject] = field(default_factory=list)  # files no row names, temp files included
    missing_originals: list[str] = field(default_factory=list)  # rows whose original is gone
    missing_derivatives: list[str] = field(default_factory=list)  # ready rows lacking a web image or thumbnail
    pending: list[str] = field(default_factory=list)  # derivatives not made yet (a task is on its way)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (sha256, reason): the task gave up
    rows: int = 0


@dataclass
class SweepReport:
    removed: list[StoredObject]
    missing: list[str]


def scan_media(store: MediaStore | None = None) -> MediaScan:
    """Compare rows and files, one hash prefix at a time so memory stays small with many photos."""
    store = store or media_store()
    scan = MediaScan()
    listings = {variant: _by_prefix(store, variant) for variant in VARIANTS}
    for prefix in HEX_PREFIXES:
        # Rows first, then files: a row committed meanwhile had its files written before it.
        states = dict(db.session.execute(sa.select(Photo.sha256, Photo.derivatives).where(
            Photo.sha256 >= prefix, Photo.sha256 < prefix + "g")).all())
        rows = set(states)
        made = {sha for sha, state in states.items() if state == "ready"}
        scan.rows += len(rows)
        present = {}
        for variant in VARIANTS:
            present[variant] = set()
            _prefix, batch = next(listings[variant])
            for stored in batch:
                if stored.sha256 in rows:
                    present[variant].add(stored.sha256)
                else:
                    scan.orphans.append(stored)
        # Looked at once more: a listing read ahead (S3, a page at a time) may predate a file written
        # since, whose row committed before the rows above were read.
        scan.missing_originals += sorted(sha for sha in rows - present["original"] if not store.exists("original", sha))
        scan.missing_derivatives += sorted(
            sha for sha in (made - present["web"]) | (made - present["thumb"])
            if not (store.exists("web", sha) and store.exists("thumb", sha)))
        scan.pending += sorted(sha for sha, state in states.items() if state == "pending")
    scan.failed = [tuple(row) for row in db.session.execute(
        sa.select(Photo.sha256, Photo.derivative_error).where(Photo.derivatives == "failed").order_by(Photo.sha256))]
    return scan


def _by_prefix(store: MediaStore, variant: str):
    """(prefix, objects) for each of HEX_PREFIXES in turn: one folder at a time on the filesystem;
    from one listing in key order where the backend lists so (S3: one request per 1,000 objects,
    not 256 a variant)."""
    if not store.sorted_listing:
        for prefix in HEX_PREFIXES:
            yield prefix, list(store.objects(variant, prefix))
        return
    stream = store.objects(variant)
    pending = next(stream, None)
    for prefix in HEX_PREFIXES:
        batch = []
        while pending is not None and pending.key.split("/")[1] <= prefix:
            if pending.key.split("/")[1] == prefix:
                batch.append(pending)
            pending = next(stream, None)
        yield prefix, batch


def sweep_orphan_media(now: datetime, grace: timedelta | None = None,
                       store: MediaStore | None = None) -> SweepReport:
    """Delete orphaned files older than `grace` (an upload writes its files before its row commits)
    and mark rows whose original is lost as missing. The caller commits."""
    if grace is None:
        grace = timedelta(hours=current_app.config["MEDIA_ORPHAN_GRACE_H"])
    store = store or media_store()
    scan = scan_media(store)
    cutoff = (now - grace).timestamp()
    removed = []
    for orphan in scan.orphans:
        if orphan.modified < cutoff and store.delete_key(orphan.key):  # False: renamed or removed meanwhile
            removed.append(orphan)
    missing = set(scan.missing_originals)
    for photo in db.session.scalars(sa.select(Photo).where(
            sa.or_(Photo.sha256.in_(missing), Photo.status == MISSING))):
        photo.status = MISSING if photo.sha256 in missing else READY
    db.session.flush()
    return SweepReport(removed=removed, missing=scan.missing_originals)
