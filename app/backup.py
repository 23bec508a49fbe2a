"""Back up and restore the database and the media files together, with a manifest to check both.

A backup folder holds `db.sqlite3` (SQLite's online backup API) or `db.dump` (pg_dump, custom
format), `media/` (every stored file, layout unchanged, temp files skipped) and `manifest.json`
(schema revision, row counts per table, SHA-256 of every media file). Restore checks the
manifest first and refuses a damaged backup before touching anything. Stop the web workers and the
scheduler while restoring.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.storage import TEMP_SUFFIX
from app.timeutil import now_utc


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why."""


@dataclass(frozen=True)
class Summary:
    tables: dict[str, int]
    media_files: int
    revision: str | None


def _libpq_url() -> str:
    """The SQLAlchemy URL as pg_dump understands it (no +driver, password kept)."""
    url = db.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(TEMP_SUFFIX))


def table_counts() -> dict[str, int]:
    """Rows per table: what a restore must give back."""
    return {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}


def _revision() -> str | None:
    try:
        with db.session.begin_nested():
            return db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.DatabaseError:
        return None


def create_backup(dest: Path) -> Summary:
    """Write a consistent backup of the database and media into the empty folder `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty")
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        raw = db.engine.raw_connection()
        try:
            target = sqlite3.connect(dest / "db.sqlite3")
            raw.driver_connection.backup(target)  # a consistent snapshot while others keep writing
            target.close()
        finally:
            raw.close()
    elif dialect == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(dest / "db.dump"), _libpq_url()])
    else:
        raise BackupError(f"no backup method for {dialect}")
    media_root = Path(current_app.config["MEDIA_ROOT"])
    files = {}
    for path in _media_files(media_root):
        rel = path.relative_to(media_root)
        target = dest / "media" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        files[str(rel)] = _sha256(target)
    summary = Summary(table_counts(), len(files), _revision())
    manifest = {"created_at": now_utc().isoformat(), "dialect": dialect, "revision": summary.revision,
                "tables": summary.tables, "media": files}
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return summary


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from None
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} failed: {exc.stderr.strip()[:500]}") from None


def verify_backup(src: Path) -> dict:
    """Read the manifest and check every media file against it; return the manifest."""
    try:
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"no readable manifest in {src}: {exc}") from None
    dump = src / ("db.sqlite3" if manifest["dialect"] == "sqlite" else "db.dump")
    if not dump.is_file():
        raise BackupError(f"{dump.name} is missing")
    for rel, digest in manifest["media"].items():
        path = src / "media" / rel
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"media file {rel} is missing or damaged in the backup")
    return manifest


def restore_backup(src: Path) -> Summary:
    """Replace the database and media with the backup in `src`, then check the result."""
    manifest = verify_backup(src)
    dialect = db.engine.dialect.name
    if manifest["dialect"] != dialect:
        raise BackupError(f"the backup is of {manifest['dialect']}, this database is {dialect}")
    db.session.remove()
    db.engine.dispose()
    if dialect == "sqlite":
        source = sqlite3.connect(src / "db.sqlite3")
        target = sqlite3.connect(db.engine.url.database)
        try:
            source.backup(target)  # page by page into the live file, WAL included
        finally:
            source.close()
            target.close()
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        _run(["pg_restore", "--no-owner", "--exit-on-error", "--dbname", _libpq_url(), str(src / "db.dump")])
    media_root = Path(current_app.config["MEDIA_ROOT"])
    for rel in manifest["media"]:
        target = media_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.restore{TEMP_SUFFIX}")
        shutil.copy2(src / "media" / rel, temp)
        os.replace(temp, target)
    restored = Summary(table_counts(), len(manifest["media"]), _revision())
    if restored.tables != manifest["tables"]:
        raise BackupError("row counts after the restore differ from the backup's")
    return restored
