"""audit chain: server time vs. user-given time, hash chain, append-only audit log

Revision ID: 0003_audit_chain
Revises: 0002_auctions
"""
from alembic import op
import sqlalchemy as sa

import store.models

revision = '0003_audit_chain'
down_revision = '0002_auctions'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
]
POSTGRES_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
]


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('happened_at', store.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('entry_hash', sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_log_prev_hash'), ['prev_hash'])
    _chain_existing_entries()
    bind = op.get_bind()
    for statement in (POSTGRES_TRIGGERS if bind.dialect.name == "postgresql" else SQLITE_TRIGGERS):
        op.execute(statement)


def _chain_existing_entries() -> None:
    """Entries written before this migration join the chain in id order (their times as stored)."""
    from store.audit_chain import GENESIS, entry_hash
    from store.models import AuditEvent

    bind = op.get_bind()
    table = AuditEvent.__table__
    previous = GENESIS
    rows = bind.execute(sa.select(table.c.id, table.c.at, table.c.actor, table.c.action, table.c.object_type,
                                  table.c.object_id, table.c.details).order_by(table.c.id)).all()
    for row in rows:
        entry = AuditEvent(at=row.at, actor=row.actor, action=row.action, object_type=row.object_type,
                           object_id=row.object_id, details=row.details, happened_at=None)
        digest = entry_hash(entry, previous)
        bind.execute(table.update().where(table.c.id == row.id).values(prev_hash=previous, entry_hash=digest))
        previous = digest


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_log_prev_hash'), type_='unique')
        batch_op.drop_column('entry_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('happened_at')
