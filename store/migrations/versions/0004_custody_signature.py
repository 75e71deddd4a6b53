"""custody entries carry the organisation's signature (signed when written)

Revision ID: 0004_custody_signature
Revises: 0003_audit_chain
Create Date: 2026-12-06 21:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_custody_signature'
down_revision = '0003_audit_chain'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Entries written before this revision have none: they are reported as unsigned history (see 0007); every later entry is signed when written.
    with op.batch_alter_table('custody_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('custody_events', schema=None) as batch_op:
        batch_op.drop_column('signature')
