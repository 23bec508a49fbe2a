"""map cells keyed for viewport reads: grouping before position, rows in key order (decision 0005)

The cells are derived data: the table is made again with the new key and recounted from the tickets.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 01:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _create(key: list[str], **kwargs) -> None:
    op.create_table('map_cell',
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
    sa.PrimaryKeyConstraint(*key, name=op.f('pk_map_cell')),
    **kwargs
    )


def _recount() -> None:
    # Counted once the database reaches the head revision, by the code that keeps the cells from
    # then on (migrations/env.py): this file never imports the app.
    op.get_context().config.attributes.setdefault("xuncha_recount", set()).add("map")


def upgrade():
    op.drop_table('map_cell')
    _create(['level', 'category_id', 'department_id', 'area_id', 'cx', 'cy', 'status'], sqlite_with_rowid=False)
    _recount()


def downgrade():
    op.drop_table('map_cell')
    _create(['level', 'cx', 'cy', 'status', 'category_id', 'department_id', 'area_id'])
    _recount()
