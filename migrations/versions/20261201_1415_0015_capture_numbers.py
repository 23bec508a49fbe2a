"""capture numbers: each phone's numbering of what it captured, to notice what never arrived (issue 18)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('highest_seq', sa.Integer(), nullable=False),
    sa.Column('waiting', sa.JSON(), nullable=False),
    sa.Column('loss_reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replaced_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_device_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device')),
    sa.UniqueConstraint('device_id', name=op.f('uq_device_device_id'))
    )
    op.create_index(op.f('ix_device_user_id'), 'device', ['user_id'], unique=False)
    op.create_table('capture_number',
    sa.Column('device_pk', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('missing_reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['device_pk'], ['device.id'], name=op.f('fk_capture_number_device_pk_device')),
    sa.PrimaryKeyConstraint('device_pk', 'seq', name=op.f('pk_capture_number'))
    )


def downgrade():
    op.drop_table('capture_number')
    op.drop_index(op.f('ix_device_user_id'), table_name='device')
    op.drop_table('device')
