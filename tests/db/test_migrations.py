"""The schema comes only from the migrations, and they run from empty on this database."""
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.extensions import db
from tests.conftest import REPO, drop_everything


def test_migrations_build_exactly_the_models_schema(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), db.metadata)
    assert diff == []


def test_upgrade_from_empty_and_back(app):
    directory = str(REPO / "migrations")
    drop_everything()
    try:
        upgrade(directory=directory)
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"ticket", "ticket_event", "users", "report", "photo", "case_counter"} <= tables
        downgrade(directory=directory, revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    finally:
        drop_everything()
        upgrade(directory=directory)
