"""cases: one row per offer, listings grouped into it, and the index that finds copies

Revision ID: 0002
Revises: 0004_custody_signature
Create Date: 2026-12-06 19:50:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.orm import Session

import store.models

revision = '0005_cases'
down_revision = '0004_custody_signature'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_seen', store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_seen', store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('copies', sa.Integer(), nullable=False),
    sa.Column('platforms', sa.Text(), nullable=False),
    sa.Column('sellers', sa.Integer(), nullable=False),
    sa.Column('best_listing_id', sa.Integer(), nullable=True),
    sa.Column('best_score', sa.Float(), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('flagged_at', store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('decided_at', store.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('intent', sa.String(length=16), nullable=True),
    sa.Column('manual', sa.Boolean(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_queue', ['flagged', 'best_score', 'last_seen', 'id'], unique=False)
        batch_op.create_index('ix_cases_status', ['flagged', 'status'], unique=False)

    op.create_table('grouping_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_grouping_keys_listing_id_listings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grouping_keys'))
    )
    with op.batch_alter_table('grouping_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grouping_keys_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_grouping_keys_listing_id'), ['listing_id'], unique=False)

    op.create_table('listing_fingerprints',
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=80), nullable=False),
    sa.Column('minhash', sa.LargeBinary(), nullable=True),
    sa.Column('grouped_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_listing_fingerprints_listing_id_listings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('listing_id', name=op.f('pk_listing_fingerprints'))
    )
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('case_reason', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_listings_case_id'), ['case_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_listings_case_id_cases'), 'cases', ['case_id'], ['id'], ondelete='SET NULL')

    # group what is already stored: every listing gets a case, reposts and shared contacts/photos together
    from store.cases import group_pending

    session = Session(bind=op.get_bind())
    group_pending(session)
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_listings_case_id_cases'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_listings_case_id'))
        batch_op.drop_column('case_reason')
        batch_op.drop_column('case_id')
    op.drop_table('listing_fingerprints')
    with op.batch_alter_table('grouping_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grouping_keys_listing_id'))
        batch_op.drop_index(batch_op.f('ix_grouping_keys_key'))
    op.drop_table('grouping_keys')
    op.drop_table('cases')
