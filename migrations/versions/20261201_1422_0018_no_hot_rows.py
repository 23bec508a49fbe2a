"""no hot rows: case numbers from a sequence and a per-day base; rollup deltas appended, folded by a job (decision 0019)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 19:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table('case_day',
    sa.Column('day', sa.String(length=8), nullable=False),
    sa.Column('base', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_case_day'))
    )
    op.create_table('map_cell_delta',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('cx', sa.Integer(), nullable=False),
    sa.Column('cy', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('sx', sa.BigInteger(), nullable=False),
    sa.Column('sy', sa.BigInteger(), nullable=False),
    sa.Column('sid', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_map_cell_delta'))
    )
    op.create_table('kpi_day_delta',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('grouping', sa.String(length=10), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('new', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('resolve_seconds', sa.BigInteger(), nullable=False),
    sa.Column('due', sa.Integer(), nullable=False),
    sa.Column('closed_on_time', sa.Integer(), nullable=False),
    sa.Column('reopenings', sa.Integer(), nullable=False),
    sa.Column('resolutions', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('in_hand', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_day_delta'))
    )
    op.create_table('kpi_resolve_class_delta',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('grouping', sa.String(length=10), nullable=False),
    sa.Column('span', sa.SmallInteger(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('resolve_class', sa.SmallInteger(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_resolve_class_delta'))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE case_number_seq")
        # The days numbered so far go on after their last number: base = (a value below every later
        # nextval) - last.
        op.execute("INSERT INTO case_day (day, base) SELECT day, s.v - last FROM case_counter, "
                   "(SELECT nextval('case_number_seq') AS v) s")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        # The per-day counters go on after the highest number a ticket holds.
        op.execute("INSERT INTO case_counter (day, last) SELECT substr(case_number, 4, 8), "
                   "max(CAST(substr(case_number, 13) AS INTEGER)) FROM ticket "
                   "WHERE case_number LIKE 'XC-________-%' GROUP BY 1 "
                   "ON CONFLICT (day) DO UPDATE SET last = greatest(case_counter.last, excluded.last)")
        op.execute("DROP SEQUENCE case_number_seq")
    op.drop_table('kpi_resolve_class_delta')
    op.drop_table('kpi_day_delta')
    op.drop_table('map_cell_delta')
    op.drop_table('case_day')
