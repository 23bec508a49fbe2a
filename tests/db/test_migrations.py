"""The schema comes only from the migrations, and they run from empty on this database."""
from datetime import UTC

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


def test_the_dashboard_rollup_migration_counts_the_tickets_already_there(app):
    """0002 creates the dashboard rollup on a database that already holds tickets and fills it."""
    from datetime import datetime, timedelta

    from app import seed
    from app.models import CLASS_SPANS, KPI_GROUPINGS, KpiDay, KpiResolveClass, Ticket
    from app.services.supervision import kpi_rollup

    directory = str(REPO / "migrations")
    drop_everything()
    try:
        upgrade(directory=directory, revision="0001")
        seed.seed_reference()
        db.session.commit()
        received = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
        category_id = db.session.execute(sa.text("SELECT id FROM category ORDER BY id LIMIT 1")).scalar()
        rows = [{"case_number": f"XC-M-{i}", "status": "resolved", "category_id": category_id, "lat": 29.97,
                 "lon": 119.95, "captured_at": received, "received_at": received + timedelta(days=i),
                 "resolved_at": received + timedelta(days=i, hours=5)} for i in range(3)]
        db.session.execute(sa.insert(Ticket), rows)  # Core: the schema of 0001 has no rollup to keep yet
        db.session.commit()
        upgrade(directory=directory)
        counted = db.session.scalar(sa.select(sa.func.sum(KpiDay.resolved)).where(KpiDay.grouping == "all"))
        assert counted == 3
        assert db.session.scalar(sa.select(sa.func.sum(KpiResolveClass.n))) == 3 * len(KPI_GROUPINGS) * len(CLASS_SPANS)

        def everything():
            return [db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
                    for table in (KpiDay.__table__, KpiResolveClass.__table__)]

        migrated = everything()
        kpi_rollup.rebuild(db.session.connection())
        assert everything() == migrated
    finally:
        db.session.rollback()
        drop_everything()
        upgrade(directory=directory)


def test_the_base_map_migration_moves_an_imported_file_into_the_database_and_back(app, tmp_path, monkeypatch):
    """0021: a county's base map imported before it (a file under MEDIA_ROOT) is kept, both ways."""
    from app.models import BaseMap
    from app.services.supervision import basemap

    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path))
    legacy = tmp_path / "basemap" / "base.geojson"
    legacy.parent.mkdir()
    county = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kind": "river", '
              '"name": "富春江"}, "geometry": {"type": "LineString", "coordinates": [[119.9, 29.9], [120.0, 30.0]]}}]}')
    legacy.write_text(county, encoding="utf-8")
    directory = str(REPO / "migrations")
    try:
        downgrade(directory=directory, revision="0020")
        upgrade(directory=directory)
        row = db.session.get(BaseMap, 1)
        assert (row.geojson, row.features) == (county, 1)
        assert basemap.summary().source == "county"
        db.session.rollback()

        legacy.unlink()
        downgrade(directory=directory, revision="0020")
        assert legacy.read_text(encoding="utf-8") == county  # the older code reads the file again
    finally:
        db.session.rollback()
        upgrade(directory=directory)
