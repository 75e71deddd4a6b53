"""custody_signing: when this database began signing custody entries

Revision ID: 0007_custody_signing_start
Revises: 0006_hardening
Create Date: 2026-12-06 23:00:00
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa
import store.models


revision = '0007_custody_signing_start'
down_revision = '0006_hardening'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table('custody_signing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('introduced_at', store.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_signing'))
    )
    # Signing began with the first signed entry (0004 onwards never wrote an unsigned one); a database with none
    # yet begins now. Entries written before 0004 are all dated earlier, so they stay readable as unsigned history.
    events = sa.table('custody_events', sa.column('at', store.models.UTCDateTime(timezone=True)),
                      sa.column('signature', sa.Text()))
    first_signed = op.get_bind().execute(
        sa.select(sa.func.min(events.c.at)).where(events.c.signature.isnot(None))).scalar()
    op.bulk_insert(table, [{'id': 1, 'introduced_at': first_signed or dt.datetime.now(dt.timezone.utc)}])


def downgrade() -> None:
    op.drop_table('custody_signing')
