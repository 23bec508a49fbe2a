"""slip document numbers per year (创城交〔YYYY〕第 N 号, issue 17)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 14:12:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_counter',
    sa.Column('series', sa.String(length=32), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series', name=op.f('pk_document_counter'))
    )
    op.create_table('slip_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], name=op.f('fk_slip_number_ticket_id_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slip_number')),
    sa.UniqueConstraint('ticket_id', 'year', name=op.f('uq_slip_number_ticket_id_year')),
    sa.UniqueConstraint('year', 'number', name=op.f('uq_slip_number_year_number'))
    )


def downgrade():
    op.drop_table('slip_number')
    op.drop_table('document_counter')
