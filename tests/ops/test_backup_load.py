"""Backups that are safe under load: taken while phones sync they restore and verify (the counts
come from the dump's own snapshot); a restore that fails half way leaves the old database as it was;
the database password never shows in the process list while pg_dump runs. Both databases."""
from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import backup, create_app
from app.backup import BackupError, create_backup, restore_backup, table_counts
from app.config import TestConfig
from app.extensions import db
from app.models import Report, Ticket
from app.services.accounts.users import issue_device_token
from tests.factories import SEAT
from tests.sync.conftest import report_json


@pytest.fixture(autouse=True)
def _own_media_root(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))


def _postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


class SyncBurst:
    """Phones syncing in threads, each batch its own request and commit, until stopped."""

    def __init__(self, app, tokens: list[str]):
        self.app, self.tokens = app, tokens
        self.stop = threading.Event()
        self.batches = 0
        self.lock = threading.Lock()
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._phone, args=(i, t)) for i, t in enumerate(tokens)]

    def _phone(self, index: int, token: str) -> None:
        client = self.app.test_client()
        batch = 0
        while not self.stop.is_set():
            reports = [report_json(lat=SEAT[0] + 0.002 * index + 0.0001 * k, lon=SEAT[1] + 0.001 * batch)
                       for k in range(5)]
            resp = client.post("/api/v1/sync", json={"device_id": f"phone-{index}", "reports": reports},
                               headers={"Authorization": f"Bearer {token}"})
            if resp.status_code != 200:
                self.errors.append(resp.text[:300])
                return
            batch += 1
            with self.lock:
                self.batches += 1

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def wait_for(self, batches: int) -> None:
        for _ in range(6000):
            if self.batches >= batches or self.errors:
                return
            self.stop.wait(0.01)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)


def test_a_backup_taken_during_a_sync_burst_restores_and_verifies(app, create_user, tmp_path):
    inspectors = [create_user("inspector") for _ in range(3)]
    tokens = [issue_device_token(user, "burst") for user in inspectors]
    db.session.commit()
    burst = SyncBurst(app, tokens)
    burst.start()
    try:
        burst.wait_for(3)
        summary = create_backup(tmp_path / "backup")
        taken_at = burst.batches
        burst.wait_for(taken_at + 3)  # and the phones keep syncing after it
    finally:
        burst.finish()
    assert not burst.errors, burst.errors
    db.session.remove()
    after_burst = table_counts()
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["tables"] == summary.tables
    assert 0 < manifest["tables"]["report"] < after_burst["report"]  # taken in the middle of the burst
    assert manifest["tables"]["report"] % 5 == 0  # whole batches only: each is one transaction

    restored = restore_backup(tmp_path / "backup")  # checks a copy against the manifest before switching
    assert restored.tables == manifest["tables"] == table_counts()
    assert db.session.scalar(sa.select(sa.func.count(Report.id))) == manifest["tables"]["report"]
    tickets = db.session.scalar(sa.select(sa.func.count(Ticket.id)))
    assert tickets == manifest["tables"]["ticket"] > 0
    assert _leftover_databases() == []  # the new copy took the name, the old one is gone


def _old_state() -> tuple[dict[str, int], list[str]]:
    db.session.remove()
    return table_counts(), sorted(db.session.scalars(sa.select(Ticket.case_number)))


def _leftover_databases() -> list[str]:
    if not _postgres():
        return sorted(p.name for p in Path(db.engine.url.database).parent.glob("*.restore-candidate"))
    current = db.engine.url.database
    with db.engine.connect() as conn:
        return list(conn.scalars(sa.text("SELECT datname FROM pg_database WHERE datname LIKE :a OR datname LIKE :b"),
                                 {"a": f"{current}\\_restore\\_%", "b": f"{current}\\_previous\\_%"}))


@pytest.fixture
def backed_up_then_changed(ticket_in, tmp_path):
    """A backup of two tickets, then a third ticket: the old database a restore must not lose."""
    ticket_in("assigned")
    ticket_in("closed")
    db.session.commit()
    folder = tmp_path / "backup"
    create_backup(folder)
    ticket_in("returned")
    db.session.commit()
    return folder


def test_a_restore_whose_check_fails_leaves_the_old_database(backed_up_then_changed):
    folder = backed_up_then_changed
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["tables"]["ticket"] += 1  # the loaded copy will not match: refused after loading it
    (folder / "manifest.json").write_text(json.dumps(manifest))
    before = _old_state()
    with pytest.raises(BackupError, match="row counts"):
        restore_backup(folder)
    assert _old_state() == before
    assert _leftover_databases() == []


def test_a_load_that_dies_half_way_leaves_the_old_database(backed_up_then_changed, tmp_path, monkeypatch):
    folder = backed_up_then_changed
    before = _old_state()
    if _postgres():
        # pg_restore that creates the schema, loads part of it, then dies.
        fake = tmp_path / "pg_restore"
        fake.write_text('#!/bin/sh\npg_restore --section=pre-data "$@" && echo "killed" >&2 && exit 1\n')
        fake.chmod(0o755)
        monkeypatch.setattr(backup, "PG_RESTORE", str(fake))
        expected = "killed"
    else:
        # A database file damaged inside but whose checksum was forged to match: found by the check.
        # Every page after the first gets an invalid b-tree page type, so the damage is certain to be
        # read (random bytes could land on a free page and go unnoticed).
        dump = folder / "db.sqlite3"
        data = bytearray(dump.read_bytes())
        page_size = int.from_bytes(data[16:18], "big") or 65536  # 1 in the header means 65536
        for offset in range(page_size, len(data), page_size):
            data[offset] = 0xFF
        dump.write_bytes(bytes(data))
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["database_sha256"] = hashlib.sha256(bytes(data)).hexdigest()
        (folder / "manifest.json").write_text(json.dumps(manifest))
        expected = "damaged|cannot be read|row counts"
    with pytest.raises(BackupError, match=expected):
        restore_backup(folder)
    assert _old_state() == before
    assert _leftover_databases() == []


def test_a_damaged_dump_is_refused_before_anything_is_touched(backed_up_then_changed):
    folder = backed_up_then_changed
    dump = next(p for p in folder.iterdir() if p.name.startswith("db."))
    dump.write_bytes(dump.read_bytes()[:-100])
    before = _old_state()
    with pytest.raises(BackupError, match="damaged"):
        restore_backup(folder)
    assert _old_state() == before


def _cmdlines() -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):  # the process ended meanwhile
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    return found


def test_the_password_never_shows_in_the_process_list(database_url, ticket_in, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no password: this is about pg_dump's command line")
    ticket_in("assigned")
    db.session.commit()
    role, password = f"xc_ops_backup_{secrets.token_hex(3)}", "pw-" + secrets.token_hex(12)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        conn.exec_driver_sql(f"GRANT pg_read_all_data TO {role}")
    url = sa.make_url(database_url).set(username=role, password=password)

    class AsRole(TestConfig):
        SQLALCHEMY_DATABASE_URI = url.render_as_string(hide_password=False)
        MEDIA_ROOT = str(tmp_path / "media")

    as_role = create_app(AsRole)
    seen, done, result = [], threading.Event(), {}

    def run():
        with as_role.app_context():
            try:
                result["summary"] = create_backup(tmp_path / "backup")
            finally:
                db.session.remove()
                db.engine.dispose()
                done.set()

    worker = threading.Thread(target=run)
    worker.start()
    leaked = []
    while not done.is_set():
        for line in _cmdlines():
            if "pg_dump" in line:
                seen.append(line)
            if password in line:
                leaked.append(line)
    worker.join()
    try:
        assert not leaked
        assert seen, "pg_dump ran too briefly to be seen"  # the check looked while it ran
        assert any(role in line for line in seen) and all(password not in line for line in seen)
        assert result["summary"].tables["ticket"] == 1
    finally:
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"REVOKE pg_read_all_data FROM {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
