"""Fixtures for the fault-injection tests: the real server (gunicorn) on the test database, a seed,
inspectors' phones with queued reports, and the checks of what the server kept."""
from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Photo, Report, Ticket, TicketPhoto
from app.services.accounts.users import issue_device_token
from app.services.photos.cleanup import scan_media
from app.storage import TEMP_SUFFIX, VARIANTS, FilesystemStore
from tests.reliability.gunicorn_server import GunicornServer, server_env, task_queue_path
from tests.reliability.phone_replay import Phone, grid_point, report_body, small_jpeg


@pytest.fixture
def seed(capsys) -> int:
    """RELIABILITY_SEED replays a run; otherwise a new seed, printed even when output is captured."""
    value = int(os.environ.get("RELIABILITY_SEED") or random.SystemRandom().randrange(1 << 30))
    with capsys.disabled():
        print(f"\n[reliability] seed={value} (RELIABILITY_SEED={value} replays the plan)")
    return value


@pytest.fixture
def media_root(app, tmp_path) -> Path:
    """The server's media folder, also this process's while the test runs (for the checks and the sweep)."""
    previous = app.config["MEDIA_ROOT"]
    app.config["MEDIA_ROOT"] = str(tmp_path / "media")
    yield tmp_path / "media"
    app.config["MEDIA_ROOT"] = previous


@pytest.fixture
def gunicorn(database_url, media_root, tmp_path):
    """A stopped GunicornServer on the test database; started by the test, stopped afterwards.

    The test must commit its rows before starting it (SQLite: our open transaction would hold the
    write lock; PostgreSQL: the server would not see them).
    """
    # Every report gets its own ticket even if a grid point came within the repeat radius of another.
    env = server_env(database_url, media_root, REPEAT_LINKING="0")
    server = GunicornServer(env, tmp_path / "gunicorn.log", workers=3)
    yield server
    server.stop()


@pytest.fixture
def fleet(create_user):
    """fleet(base_url, phones=4, reports=50, seed=…) → phones with queued reports, and what each queued.

    Every report has one photo, every fifth a second one; all photos are distinct small JPEGs,
    all places about 50 m apart. The inspectors and their device tokens are committed.
    """

    def make(base_url: str, *, phones: int, reports: int, seed: int) -> tuple[list[Phone], dict[str, list[str]]]:
        tokens = [issue_device_token(create_user("inspector"), "reliability") for _ in range(phones)]
        db.session.commit()
        out, expected, index = [], {}, 0
        for number, token in enumerate(tokens):
            phone = Phone(base_url, token, device_id=f"phone-{number}", seed=seed + number)
            for _ in range(reports):
                count = 2 if index % 5 == 0 else 1
                photos = [small_jpeg(seed * 1000 + index * 2 + k, (320, 240)) for k in range(count)]
                body = report_body(*grid_point(index), description=f"reliability report {index}")
                phone.capture(body, photos)
                expected[body["client_id"]] = [hashlib.sha256(p).hexdigest() for p in photos]
                index += 1
            out.append(phone)
        return out, expected

    return make


def sync_all(phones: list[Phone], timeout_s: float) -> None:
    """Every phone syncs in its own thread until its outbox is empty; re-raise the first failure."""
    deadline = time.monotonic() + timeout_s
    failures: list[BaseException] = []

    def run(phone: Phone) -> None:
        try:
            phone.sync_until_done(deadline)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(p,), name=p.device_id) for p in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def temp_files(media_root: Path) -> list[Path]:
    """Half-written files: what a crash between open() and rename() leaves in the media folders."""
    folders = [media_root / folder for folder, _suffix in VARIANTS.values()]
    return [p for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.name.endswith(TEMP_SUFFIX)]


def finish_photo_tasks(media_root: Path) -> None:
    """Make the derivatives the stopped server had not made yet, as the scheduler would (issue 20):
    a SIGKILL loses the task a process was running (the photo stays pending), others stay queued."""
    from flask import current_app

    from app.services.photos import derivatives
    from app.tasks import photos as photo_tasks
    from app.tasks import queue as task_queue

    db.session.remove()
    tasks = task_queue.build(current_app, immediate=False, backend="embedded", url=str(task_queue_path(media_root)))
    for sha in db.session.scalars(sa.select(Photo.sha256).where(Photo.derivatives == derivatives.PENDING)):
        tasks.enqueue(photo_tasks.KIND, sha)
    db.session.remove()  # no transaction of ours while the tasks write (SQLite's one writer)
    tasks.drain()


def assert_every_report_exactly_once(phones: list[Phone], expected: dict[str, list[str]], media_root: Path) -> None:
    """The phones' ledgers against the database and the media folder (call with the server stopped)."""
    finish_photo_tasks(media_root)
    db.session.remove()  # read what the server committed, not a snapshot of ours
    for phone in phones:
        server_errors = {code: n for code, n in phone.errors.items() if code.isdigit()}
        assert server_errors == {}, f"{phone.device_id}: the server answered {server_errors}"
        assert phone.attention == {}, f"{phone.device_id}: refused {phone.attention}"
        assert phone.waiting() == [], f"{phone.device_id}: still queued"
    acknowledged = {cid: ack for phone in phones for cid, ack in phone.acknowledged.items()}
    assert set(acknowledged) == set(expected)
    assert {status for status, _ticket in acknowledged.values()} <= {"created", "already_synced"}

    reports = db.session.execute(sa.select(Report.client_id, Report.ticket_id)).all()
    copies = Counter(cid for cid, _ticket in reports)
    assert [cid for cid, n in copies.items() if n > 1] == [], "a report was stored twice"
    assert set(copies) == set(expected), "a report was lost (or one nobody sent appeared)"
    assert len(reports) == len(expected)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == len(expected)
    assert {cid: ticket for cid, ticket in reports} == {cid: t for cid, (_s, t) in acknowledged.items()}, \
        "the phone was told another ticket than the one its report is on"

    on_tickets: dict[int, set[str]] = {}
    for ticket_id, sha in db.session.execute(sa.select(TicketPhoto.ticket_id, TicketPhoto.photo_sha256)):
        on_tickets.setdefault(ticket_id, set()).add(sha)
    assert {cid: on_tickets.get(ticket, set()) for cid, ticket in reports} == \
        {cid: set(hashes) for cid, hashes in expected.items()}, "a ticket lacks a photo, or has another's"

    store = FilesystemStore(media_root)
    rows = set(db.session.scalars(sa.select(Photo.sha256)))
    assert rows == {sha for hashes in expected.values() for sha in hashes}
    for sha in rows:
        assert hashlib.sha256(store.read("original", sha)).hexdigest() == sha, \
            f"stored original {sha} does not have the hash it is named by"
        for variant in ("web", "thumb"):
            assert store.size(variant, sha), f"{variant} of {sha} is empty"
    scan = scan_media(store)
    db.session.rollback()
    assert (scan.missing_originals, scan.missing_derivatives) == ([], []), "a row points at a missing file"
    assert (scan.pending, scan.failed) == ([], []), "a photo's derivatives were never made"
    assert scan.orphans == [], "files that no row names are left"
    assert temp_files(media_root) == []
