"""assessment draws and their assignments (issue 14 §4)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assessment_draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('per_type', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due', sa.Date(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_assessment_draw_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_draw'))
    )
    op.create_table('assessment_draw_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_assessment_draw_point_assignee_id_users')),
    sa.ForeignKeyConstraint(['draw_id'], ['assessment_draw.id'], name=op.f('fk_assessment_draw_point_draw_id_assessment_draw')),
    sa.ForeignKeyConstraint(['point_id'], ['inspection_point.id'], name=op.f('fk_assessment_draw_point_point_id_inspection_point')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_draw_point')),
    sa.UniqueConstraint('draw_id', 'point_id', name=op.f('uq_assessment_draw_point_draw_id_point_id'))
    )
    with op.batch_alter_table('assessment_draw_point', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_draw_point_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_draw_point_point_id'), ['point_id'], unique=False)


def downgrade():
    with op.batch_alter_table('assessment_draw_point', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_draw_point_point_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_draw_point_assignee_id'))

    op.drop_table('assessment_draw_point')
    op.drop_table('assessment_draw')
