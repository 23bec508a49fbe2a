"""indexes the simulated score reads (issue 14): the open tickets by category and position and the
tickets by last change (both read from the index alone), the latest visit of each point, the failed
items of visits

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_status_category_lat_lon',
                              ['status', 'category_id', 'lat', 'lon', 'department_id', 'received_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_ticket_updated_at',
                              ['updated_at', 'received_at', 'category_id', 'lat', 'lon', 'department_id', 'id'],
                              unique=False)
        batch_op.create_index('ix_ticket_id_department', ['id', 'department_id'], unique=False)
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index('ix_visit_point_latest',
                              ['point_id', 'started_at', 'id', 'voided_at', 'checklist_version_id'], unique=False)
    with op.batch_alter_table('visit_result', schema=None) as batch_op:
        batch_op.create_index('ix_visit_result_visit_outcome', ['visit_id', 'outcome', 'item_code', 'ticket_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('visit_result', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_result_visit_outcome')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_point_latest')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_id_department')
        batch_op.drop_index('ix_ticket_updated_at')
        batch_op.drop_index('ix_ticket_status_category_lat_lon')
