"""Media files against photo rows: orphaned files removed after a grace period, lost files reported."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Photo
from app.services.photos.store import MISSING, READY
from app.storage import VARIANTS, MediaStore

HEX_PREFIXES = [f"{i:02x}" for i in range(256)]


@dataclass
class MediaScan:
    orphans: list[Path] = field(default_factory=list)  # files no row names, temp files included
    missing_originals: list[str] = field(default_factory=list)  # rows whose original is gone
    missing_derivatives: list[str] = field(default_factory=list)  # rows lacking a web image or thumbnail
    rows: int = 0


@dataclass
class SweepReport:
    removed: list[Path]
    missing: list[str]


def scan_media(store: MediaStore | None = None) -> MediaScan:
    """Compare rows and files, one hash prefix at a time so memory stays small with many photos."""
    store = store or MediaStore.from_config()
    scan = MediaScan()
    for prefix in HEX_PREFIXES:
        # Rows first, then files: a row committed meanwhile had its files written before it.
        rows = set(db.session.scalars(
            sa.select(Photo.sha256).where(Photo.sha256 >= prefix, Photo.sha256 < prefix + "g")))
        scan.rows += len(rows)
        present = {}
        for variant in VARIANTS:
            present[variant] = set()
            for path in store.files(variant, prefix):
                sha = store.sha_of(path)
                if sha in rows:
                    present[variant].add(sha)
                else:
                    scan.orphans.append(path)
        scan.missing_originals += sorted(rows - present["original"])
        scan.missing_derivatives += sorted((rows - present["web"]) | (rows - present["thumb"]))
    return scan


def sweep_orphan_media(now: datetime, grace: timedelta | None = None) -> SweepReport:
    """Delete orphaned files older than `grace` (an upload writes its files before its row commits)
    and mark rows whose original is lost as missing. The caller commits."""
    if grace is None:
        grace = timedelta(hours=current_app.config["MEDIA_ORPHAN_GRACE_H"])
    scan = scan_media()
    cutoff = (now - grace).timestamp()
    removed = []
    for path in scan.orphans:
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:
            continue  # renamed or removed meanwhile
    missing = set(scan.missing_originals)
    for photo in db.session.scalars(sa.select(Photo).where(
            sa.or_(Photo.sha256.in_(missing), Photo.status == MISSING))):
        photo.status = MISSING if photo.sha256 in missing else READY
    db.session.flush()
    return SweepReport(removed=removed, missing=scan.missing_originals)
