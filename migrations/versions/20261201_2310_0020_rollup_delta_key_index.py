"""rollup deltas: an index on each delta table's rollup key, for readers when deltas pile up (issue 21)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 23:10:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

KEYS = {
    'map_cell_delta': ['level', 'category_id', 'department_id', 'area_id', 'cx', 'cy', 'status'],
    'kpi_day_delta': ['grouping', 'day', 'group_id'],
    'kpi_resolve_class_delta': ['grouping', 'span', 'day', 'group_id', 'resolve_class'],
}


def upgrade():
    for table, columns in KEYS.items():
        op.create_index(f'ix_{table}_key', table, columns, unique=False)


def downgrade():
    for table in KEYS:
        op.drop_index(f'ix_{table}_key', table_name=table)
