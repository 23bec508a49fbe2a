"""photo derivatives: made by a task after the upload answered, so a photo says whether they are ready (issue 20)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    # Every photo stored before this revision had its derivatives made by the upload itself: ready.
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.add_column(sa.Column('derivatives', sa.String(length=16), server_default='ready', nullable=False))
        batch_op.add_column(sa.Column('derivative_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('derivative_error', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('derivatives_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_photo_derivatives'), ['derivatives'], unique=False)


def downgrade():
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_derivatives'))
        batch_op.drop_column('derivatives_at')
        batch_op.drop_column('derivative_error')
        batch_op.drop_column('derivative_attempts')
        batch_op.drop_column('derivatives')
