"""Fixtures: one migrated database per run (SQLite file, or PostgreSQL from TEST_DATABASE_URL),
emptied after every test; an app, clients, and factories for the domain."""
from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.services.reports.geo import invalidate_area_cache

REPO = Path(__file__).resolve().parent.parent
TESTDATA = REPO / "tests" / "data"  # test files live in the repository (tests/data/README.md)


# pytest-xdist hands out whole files (--dist loadfile) in collection order (the Makefile turns its own
# reordering, by number of tests, off: it put the few-test browser and server files last). Longest
# first, so that the run does not end on one long file running alone: a file's time is guessed from
# its number of tests and what its tests start (pytest's --durations, on SQLite and PostgreSQL),
# and these files, a few long tests each, go before all others.
LONGEST_FIRST = ("tests/repo/test_readme_commands.py", "tests/security/test_hostile_inputs.py",
                 "tests/browser/test_accessibility.py", "tests/reliability/test_sync_under_faults.py",
                 "tests/repo/test_standalone.py", "tests/services/test_lifecycle.py",
                 "tests/security/test_authorization_matrix.py", "tests/api/test_api_fuzzing.py",
                 "tests/api/test_schemathesis_conformance.py")
SECONDS_A_TEST = {"browser": 6.0, "repo": 10.0, "reliability": 30.0, "ops": 2.5, "cli": 0.6, "photos": 0.35}
SECONDS_A_TEST_ELSEWHERE = 0.2


def pytest_collection_modifyitems(session, config, items) -> None:
    rank = {path: index for index, path in enumerate(LONGEST_FIRST)}
    per_file = Counter(item.nodeid.split("::", 1)[0] for item in items)

    def guess_s(path: str) -> float:
        folder = path.split("/")[1] if path.count("/") > 1 else ""
        return per_file[path] * SECONDS_A_TEST.get(folder, SECONDS_A_TEST_ELSEWHERE)

    def order(item):
        path = item.nodeid.split("::", 1)[0]
        return rank.get(path, len(rank)), -guess_s(path), path

    items.sort(key=order)  # stable: each file keeps its tests' order


def _database_url(tmp_root: Path, worker: str) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return _worker_database(url, worker)
    return f"sqlite:///{tmp_root / 'test.sqlite3'}"


def _worker_database(url: str, worker: str) -> str:
    """Each pytest-xdist worker gets its own PostgreSQL database beside the given one (`test_gw0`, …),
    made on first use; a run without workers uses the given database itself."""
    if worker == "master":
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _tmp_root():
    with tempfile.TemporaryDirectory(prefix="xuncha-test-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def database_url(_tmp_root, worker_id) -> str:
    return _database_url(_tmp_root, worker_id)


@pytest.fixture(scope="session")
def app(database_url, _tmp_root):
    """The app, on a database built from the migrations (never from create_all)."""
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        MEDIA_ROOT = str(_tmp_root / "media")
        WTF_CSRF_ENABLED = True

    application = create_app(Config)
    application.config["MIGRATIONS_DIR"] = str(REPO / "migrations")
    with application.app_context():
        drop_everything()
        from flask_migrate import upgrade

        upgrade(directory=str(REPO / "migrations"))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def drop_everything() -> None:
    """Remove every table, so the migrations start from an empty database."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    else:
        meta = sa.MetaData()
        meta.reflect(db.engine)
        meta.drop_all(db.engine)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        _truncate(tables)
        return
    with db.engine.begin() as conn:
        for name in tables:
            conn.exec_driver_sql(f'DELETE FROM "{name}"')
        conn.exec_driver_sql("DELETE FROM sqlite_sequence") if _has_sqlite_sequence(conn) else None


_OWNED_SEQUENCES: list[str] | None = None  # the sequences of identity and serial columns, found once


def _owned_sequences(conn) -> list[str]:
    global _OWNED_SEQUENCES
    if _OWNED_SEQUENCES is None:
        _OWNED_SEQUENCES = [row[0] for row in conn.exec_driver_sql(
            "SELECT s.oid::regclass::text FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
            "AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
            "WHERE s.relkind = 'S' AND d.deptype IN ('a', 'i')")]
    return _OWNED_SEQUENCES


def _truncate(tables: list[str], attempts: int = 5) -> None:
    """Empty every table and restart the id sequences, as TRUNCATE … RESTART IDENTITY would.

    DELETE, children first, in one transaction: on tables of a few rows it takes about 1 ms where a
    TRUNCATE of every table takes about 70 ms (new files for each table, synced at commit), which over
    the suite's two thousand tests was minutes. A browser test's live server may still be answering
    the page's last requests (a PWA refreshes its caches after each sync). So the transaction first
    locks every table, as TRUNCATE did: it waits for those requests, and none can insert a row between
    two DELETEs (a row whose parent is then deleted breaks a foreign key). PostgreSQL may pick this
    transaction as a deadlock's victim; it is then simply tried again once those requests are done."""
    names = ", ".join(f'"{t}"' for t in tables)
    for attempt in range(attempts):
        try:
            with db.engine.begin() as conn:
                restarts = [f"setval('{name}', 1, false)" for name in _owned_sequences(conn)]
                conn.exec_driver_sql("; ".join(["SET LOCAL lock_timeout = '30s'",  # a held lock fails, never hangs
                                                f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE",
                                                *(f'DELETE FROM "{t}"' for t in tables),
                                                f"SELECT {', '.join(restarts)}" if restarts else "SELECT 1"]))
            return
        except (sa.exc.OperationalError, sa.exc.IntegrityError) as error:
            message = str(error).lower()
            retryable = "deadlock" in message or "lock timeout" in message or isinstance(error, sa.exc.IntegrityError)
            if not retryable or attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


def _has_sqlite_sequence(conn) -> bool:
    return conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'").first() is not None


@pytest.fixture(autouse=True)
def _clean_db(app):
    """Each test starts with empty tables and leaves none of its rows behind."""
    with app.app_context():
        yield
        db.session.remove()
        empty_tables()
        invalidate_area_cache()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


pytest_plugins = ["tests.factories"]
