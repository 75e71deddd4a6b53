"""auction lots: end time, bid count, ended status

Revision ID: 0002_auctions
Revises: 0001
Create Date: 2026-12-06 19:50:00
"""
from alembic import op
import sqlalchemy as sa
import store.models


revision = '0002_auctions'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ends_at', store.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('bids_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ended_at', store.models.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('listing_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bids_count', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('listing_versions', schema=None) as batch_op:
        batch_op.drop_column('bids_count')
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_column('ended_at')
        batch_op.drop_column('bids_count')
        batch_op.drop_column('ends_at')
