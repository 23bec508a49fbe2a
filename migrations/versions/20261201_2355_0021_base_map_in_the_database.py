"""the county's base map in the database, not a file under MEDIA_ROOT, so every web machine serves it (issue 21)

An imported base map found at MEDIA_ROOT/basemap/base.geojson is copied into the new table; the
file is left where it was (nothing reads it any more).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 23:55:00.000000

"""
import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('base_map',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('geojson', sa.Text(), nullable=False),
    sa.Column('features', sa.Integer(), nullable=False),
    sa.Column('stored_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_base_map_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_base_map'))
    )
    legacy = _legacy_file()
    if legacy is not None:
        text = legacy.read_text(encoding='utf-8')
        op.bulk_insert(table, [{'id': 1, 'geojson': text, 'features': len(json.loads(text)['features']),
                                'stored_at': datetime.fromtimestamp(legacy.stat().st_mtime, UTC)}])


def _legacy_path():
    try:
        from flask import current_app
        root = current_app.config.get('MEDIA_ROOT')
    except RuntimeError:  # not run by `flask db upgrade`
        return None
    return Path(root) / 'basemap' / 'base.geojson' if root else None


def _legacy_file():
    path = _legacy_path()
    return path if path is not None and path.is_file() else None


def downgrade():
    # The older code reads the file: put the county's map back there before the table goes.
    row = op.get_bind().execute(sa.text('SELECT geojson FROM base_map')).first()
    path = _legacy_path()
    if row is not None and path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_suffix('.part').write_text(row[0], encoding='utf-8')
        path.with_suffix('.part').replace(path)
    op.drop_table('base_map')
