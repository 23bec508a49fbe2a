"""operations: the request (or job run) that queued a group-chat robot message (issue 15)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 19:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('webhook_message', schema=None) as batch_op:
        batch_op.drop_column('request_id')
