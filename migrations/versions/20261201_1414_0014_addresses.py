"""addresses: where each ticket's address came from, and the reverse geocoder's answers (issue 18)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

PENDING = "address = '' AND address_source IS NULL"


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address_source', sa.Enum('inspector', 'geocoder', 'offline',
                                                                 name='addresssource', native_enum=False,
                                                                 length=16), nullable=True))
    # Addresses typed before this revision were the inspectors' own words.
    op.execute("UPDATE ticket SET address_source = 'inspector' WHERE address <> ''")
    op.create_index('ix_ticket_address_pending', 'ticket', ['id'], unique=False,
                    sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))
    op.create_table('geocode_answer',
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('lat_e4', sa.Integer(), nullable=False),
    sa.Column('lon_e4', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('provider', 'lat_e4', 'lon_e4', name=op.f('pk_geocode_answer'))
    )


def downgrade():
    op.drop_table('geocode_answer')
    op.drop_index('ix_ticket_address_pending', table_name='ticket')
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_column('address_source')
