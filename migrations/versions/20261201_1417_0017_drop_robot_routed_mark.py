"""robots: tickets routed at intake notify like any assignment, so no robot keeps a mark of them (issue 16)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 16:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook', schema=None) as batch_op:
        batch_op.drop_column('routed_after_event_id')


def downgrade():
    with op.batch_alter_table('webhook', schema=None) as batch_op:
        batch_op.add_column(sa.Column('routed_after_event_id', sa.Integer(), server_default='0', nullable=False))
