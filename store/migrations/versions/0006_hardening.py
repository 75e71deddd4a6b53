"""hardening: server-side web sessions and work owed after a crash

Revision ID: 0006_hardening
Revises: 0005_cases
Create Date: 2026-12-06 20:00:00
"""
from alembic import op
import sqlalchemy as sa
import store.models


revision = '0006_hardening'
down_revision = '0005_cases'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=80), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('client', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_web_sessions_token_hash'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('work_owed',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('detail', sa.String(length=400), nullable=False),
    sa.Column('owner', sa.String(length=120), nullable=True),
    sa.Column('created_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_work_owed_listing_id_listings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_owed')),
    sa.UniqueConstraint('kind', 'listing_id', 'detail', name='uq_work_owed_kind_listing_detail')
    )
    with op.batch_alter_table('work_owed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_owed_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_owed_listing_id'), ['listing_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('work_owed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_owed_listing_id'))
        batch_op.drop_index(batch_op.f('ix_work_owed_kind'))
    op.drop_table('work_owed')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_web_sessions_expires_at'))
    op.drop_table('web_sessions')
