"""Back up and restore the database and the media files together, with a manifest to check both.

A backup folder holds `db.sqlite3` (SQLite's online backup API) or `db.dump` (pg_dump, custom
format), `media/` (every stored file, layout unchanged, temp files skipped) and `manifest.json`
(schema revision, row counts per table, SHA-256 of the dump and of every media file). With
MEDIA_BACKEND=s3 the photos are copied out of the bucket into `media/` too, by the same keys, so
a backup restores on either backend; a restore puts photos back into the configured backend.

Safe while phones keep syncing: the row counts come from the same snapshot as the dump. On
PostgreSQL one REPEATABLE READ transaction exports its snapshot, `pg_dump --snapshot` dumps exactly
that, and the counts are read inside the same transaction; on SQLite the counts are read from the
copy the backup API made. The database password reaches pg_dump and pg_restore through the
environment (PGPASSWORD) or the operator's password file (~/.pgpass, PGPASSFILE), never the command
line, where every user of the machine could read it.

Restore never destroys before it has something checked to put in place: the backup is loaded into
a new database (PostgreSQL) or file (SQLite), its counts and revision compared with the manifest,
and only then does it replace the current one (PostgreSQL: two renames in one transaction; SQLite:
the backup API's single-transaction copy). A restore that fails at any step leaves the old data as
it was. Stop the web workers and the scheduler while restoring (their connections are ended).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.storage import TEMP_SUFFIX, VARIANTS, media_store, parse_key
from app.timeutil import now_utc

log = logging.getLogger(__name__)
PG_DUMP, PG_RESTORE = "pg_dump", "pg_restore"  # names on PATH (Debian: postgresql-client)
MAINTENANCE_DB = "postgres"  # where CREATE/ALTER/DROP DATABASE are issued from during a restore
OTHERS_WAIT_S = 5.0  # how long a restore waits for other connections to leave before ending them


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why."""


@dataclass(frozen=True)
class Summary:
    tables: dict[str, int]
    media_files: int
    revision: str | None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _table_names() -> list[str]:
    return [t.name for t in db.metadata.sorted_tables]


def _counts_on(conn) -> dict[str, int]:
    """Rows per table through one connection (SQLAlchemy or sqlite3): one snapshot, one answer."""
    counts = {}
    for name in _table_names():
        query = f'SELECT count(*) FROM "{name}"'
        row = conn.exec_driver_sql(query).scalar_one() if hasattr(conn, "exec_driver_sql") else \
            conn.execute(query).fetchone()[0]
        counts[name] = row
    return counts


def _revision_on(conn) -> str | None:
    query = "SELECT version_num FROM alembic_version"
    try:
        if hasattr(conn, "exec_driver_sql"):
            with conn.begin_nested():
                return conn.exec_driver_sql(query).scalar()
        row = conn.execute(query).fetchone()
        return row[0] if row else None
    except (sa.exc.DatabaseError, sqlite3.DatabaseError):
        return None


def table_counts() -> dict[str, int]:
    """Rows per table in the live database: what a restore must give back."""
    return {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables}


# --- PostgreSQL connection details, for the client programs ---------------------------------------

def _libpq(url: sa.engine.URL, database: str | None = None) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that carries it."""
    def quote(value) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    parts = {"host": url.host, "port": url.port, "user": url.username, "dbname": database or url.database}
    parts.update({k: v for k, v in url.query.items() if isinstance(v, str)})  # sslmode, sslrootcert, …
    conninfo = " ".join(f"{k}={quote(v)}" for k, v in parts.items() if v not in (None, ""))
    env = {**os.environ, "PGAPPNAME": "xuncha-backup"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from None
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{Path(command[0]).name} failed: {exc.stderr.strip()[:500]}") from None


# --- media: the only code here that reads or writes the stored photos ------------------------------
# The backup folder always holds `media/<layout key>` files, whatever the backend; these two functions
# are where a backend other than the MEDIA_ROOT folder plugs in.

def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(TEMP_SUFFIX))


def backup_media(folder: Path) -> dict[str, str]:
    """Copy every stored photo file (temp files skipped) into `folder`, layout unchanged; return the
    SHA-256 of each copy by its relative name, for the manifest."""
    media_root = Path(current_app.config["MEDIA_ROOT"])
    files = {}
    for path in _media_files(media_root):
        rel = path.relative_to(media_root)
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        files[str(rel)] = _sha256(target)
    store = media_store()
    if store.name != "filesystem":  # the photos are in the bucket: copied out by their keys
        for variant in VARIANTS:
            for stored in store.objects(variant):
                if stored.sha256 is None:
                    continue
                target = folder / stored.key
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    target.write_bytes(store.read(variant, stored.sha256))
                except FileNotFoundError:
                    continue  # removed by the orphan sweep meanwhile
                files[stored.key] = _sha256(target)
    return files


def restore_media(folder: Path, files: dict[str, str]) -> None:
    """Put the backup's files (relative name -> SHA-256, already verified) back into the store. Files
    are named by their content, so adding the backup's never harms the current ones."""
    media_root = Path(current_app.config["MEDIA_ROOT"])
    store = media_store()
    for rel, digest in files.items():
        photo = parse_key(rel) if store.name != "filesystem" else None
        if photo is not None:  # a photo file, and photos live in the bucket
            source = folder / rel
            if store.size(*photo) != source.stat().st_size:  # named by content: same size, same bytes
                store.write(*photo, source.read_bytes())
            continue
        target = media_root / rel
        if target.is_file() and _sha256(target) == digest:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.restore{TEMP_SUFFIX}")
        shutil.copy2(folder / rel, temp)
        os.replace(temp, target)


# --- create ---------------------------------------------------------------------------------------

def _backup_sqlite(target_path: Path) -> tuple[dict[str, int], str | None]:
    raw = db.engine.raw_connection()
    try:
        target = sqlite3.connect(target_path)
        try:
            raw.driver_connection.backup(target)  # one step: a consistent copy while others keep writing
            return _counts_on(target), _revision_on(target)  # counted from the copy, not the live file
        finally:
            target.close()
    finally:
        raw.close()


def _backup_postgresql(target_path: Path) -> tuple[dict[str, int], str | None]:
    conninfo, env = _libpq(db.engine.url)
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ",
                                               postgresql_readonly=True) as conn, conn.begin():
        snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        # pg_dump reads exactly this transaction's snapshot, which stays valid while it is open.
        _run([PG_DUMP, "--format=custom", "--no-owner", f"--snapshot={snapshot}", "--file", str(target_path),
              "--dbname", conninfo], env)
        return _counts_on(conn), _revision_on(conn)


def create_backup(dest: Path) -> Summary:
    """Write a consistent backup of the database and media into the empty folder `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty")
    dialect = db.engine.dialect.name
    dump = dest / _dump_name(dialect)
    if dialect == "sqlite":
        counts, revision = _backup_sqlite(dump)
    elif dialect == "postgresql":
        counts, revision = _backup_postgresql(dump)
    else:
        raise BackupError(f"no backup method for {dialect}")
    files = backup_media(dest / "media")
    manifest = {"created_at": now_utc().isoformat(), "dialect": dialect, "revision": revision,
                "tables": counts, "database_sha256": _sha256(dump), "media": files}
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    log.info("backup written to %s: %d rows, %d media files", dest, sum(counts.values()), len(files))
    return Summary(counts, len(files), revision)


def _dump_name(dialect: str) -> str:
    return "db.sqlite3" if dialect == "sqlite" else "db.dump"


# --- verify and restore ---------------------------------------------------------------------------

def verify_backup(src: Path) -> dict:
    """Read the manifest and check the dump and every media file against it; return the manifest."""
    try:
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"no readable manifest in {src}: {exc}") from None
    dump = src / _dump_name(manifest["dialect"])
    if not dump.is_file():
        raise BackupError(f"{dump.name} is missing")
    if manifest.get("database_sha256") and _sha256(dump) != manifest["database_sha256"]:
        raise BackupError(f"{dump.name} is damaged (its SHA-256 differs from the manifest's)")
    for rel, digest in manifest["media"].items():
        path = src / "media" / rel
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"media file {rel} is missing or damaged in the backup")
    return manifest


def _check(counts: dict[str, int], revision: str | None, manifest: dict) -> None:
    if revision != manifest["revision"]:
        raise BackupError(f"the restored schema is at {revision}, the backup's at {manifest['revision']}")
    expected = manifest["tables"]
    differ = sorted(name for name in set(expected) | set(counts) if counts.get(name) != expected.get(name))
    if differ:
        raise BackupError("row counts of the restored copy differ from the backup's: " + ", ".join(differ[:10]))


def _restore_sqlite(src: Path, manifest: dict) -> None:
    live = Path(db.engine.url.database)
    candidate = live.with_name(live.name + ".restore-candidate")
    candidate.unlink(missing_ok=True)
    try:
        shutil.copyfile(src / "db.sqlite3", candidate)
        checked = sqlite3.connect(candidate)
        try:
            verdict = checked.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupError(f"the backup's database is damaged: {verdict[:200]}")
            _check(_counts_on(checked), _revision_on(checked), manifest)
            target = sqlite3.connect(live, timeout=60)
            try:
                checked.backup(target)  # one step, one write transaction: all of it or none of it
            finally:
                target.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"the backup's database cannot be read: {exc}") from None
        finally:
            checked.close()
    finally:
        candidate.unlink(missing_ok=True)


def _maintenance_engine() -> sa.engine.Engine:
    url = db.engine.url.set(database=MAINTENANCE_DB)
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _end_other_connections(conn, database: str) -> None:
    others = sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()")
    deadline = time.monotonic() + OTHERS_WAIT_S
    while conn.execute(others, {"d": database}).first() is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    ended = conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": database}).all()
    if ended:
        log.warning("restore ended %d connection(s) still open on %s", len(ended), database)


def _restore_postgresql(src: Path, manifest: dict) -> None:
    current = db.engine.url.database
    stamp = now_utc().strftime("%Y%m%d%H%M%S")
    fresh, previous = f"{current}_restore_{stamp}"[:63], f"{current}_previous_{stamp}"[:63]
    maintenance = _maintenance_engine()
    try:
        with maintenance.connect() as conn:
            encoding, collate, ctype = conn.execute(sa.text(
                "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = :d"),
                {"d": current}).one()
            conn.exec_driver_sql(f"CREATE DATABASE {_quote(fresh)} TEMPLATE template0 ENCODING '{encoding}' "
                                 f"LC_COLLATE '{collate}' LC_CTYPE '{ctype}'")
        try:
            conninfo, env = _libpq(db.engine.url, fresh)
            _run([PG_RESTORE, "--no-owner", "--exit-on-error", "--single-transaction", "--dbname", conninfo,
                  str(src / "db.dump")], env)
            checker = sa.create_engine(db.engine.url.set(database=fresh), poolclass=sa.pool.NullPool)
            try:
                with checker.connect() as conn, conn.begin():
                    _check(_counts_on(conn), _revision_on(conn), manifest)
            finally:
                checker.dispose()
            db.session.remove()
            db.engine.dispose()
            with maintenance.connect() as conn:
                _end_other_connections(conn, current)
            with maintenance.connect().execution_options(isolation_level="READ COMMITTED") as conn, conn.begin():
                # One transaction: both renames or neither.
                conn.exec_driver_sql(f"ALTER DATABASE {_quote(current)} RENAME TO {_quote(previous)}")
                conn.exec_driver_sql(f"ALTER DATABASE {_quote(fresh)} RENAME TO {_quote(current)}")
        except BaseException:
            with maintenance.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quote(fresh)} WITH (FORCE)")
            raise
        with maintenance.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quote(previous)} WITH (FORCE)")
    except sa.exc.DBAPIError as exc:
        raise BackupError(f"restore failed, the current database is unchanged: {str(exc.orig).strip()[:300]}") \
            from None
    finally:
        maintenance.dispose()


def restore_backup(src: Path) -> Summary:
    """Replace the database and media with the backup in `src`, once a copy of it has been checked."""
    manifest = verify_backup(src)
    dialect = db.engine.dialect.name
    if manifest["dialect"] != dialect:
        raise BackupError(f"the backup is of {manifest['dialect']}, this database is {dialect}")
    restore_media(src / "media", manifest["media"])
    db.session.remove()
    if dialect == "sqlite":
        _restore_sqlite(src, manifest)
    else:
        _restore_postgresql(src, manifest)
    db.engine.dispose()
    restored = Summary(table_counts(), len(manifest["media"]), manifest["revision"])
    if restored.tables != manifest["tables"]:
        raise BackupError("row counts after the restore differ from the backup's")
    log.info("restored %s: %d rows, %d media files", src, sum(restored.tables.values()), restored.media_files)
    return restored
