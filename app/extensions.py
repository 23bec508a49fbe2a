"""Flask extensions, created unbound here and bound in create_app()."""
from contextvars import ContextVar

import sqlalchemy as sa
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

# Stable constraint names so Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=sa.MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


# True while serving a read-only request (GET/HEAD): SQLite then begins a deferred transaction.
sqlite_read_only: ContextVar[bool] = ContextVar("sqlite_read_only", default=False)


def configure_sqlite(engine: sa.engine.Engine) -> None:
    """Make SQLite safe for concurrent writers: WAL, foreign keys, BEGIN IMMEDIATE.

    pysqlite's own transaction handling issues a deferred BEGIN, which fails with
    "database is locked" when two writers upgrade their locks (docs/design.md §10). This is
    SQLAlchemy's documented recipe: turn pysqlite's handling off and emit BEGIN ourselves.
    Writers take the write lock up front (IMMEDIATE); read-only requests begin deferred, so
    in WAL mode a long read never holds writers back.
    """
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN" if sqlite_read_only.get() else "BEGIN IMMEDIATE")
