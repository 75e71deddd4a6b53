"""The audit log's hash chain: every new entry carries the hash of the one before; `verify_chain` checks it."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, object_session

from store.models import AuditEvent, utcnow

GENESIS = "sha256:" + "0" * 64  # prev_hash of the first entry
_TAIL = "saigawatch_audit_tail"  # session.info key: the newest hash within one flush
_LOCK_KEY = 0x5A1A_A0D1  # PostgreSQL advisory lock: one audit append at a time per database


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(entry: AuditEvent, prev_hash: str) -> str:
    """sha256 over the canonical JSON of an entry's fields and the previous entry's hash."""
    details = json.loads(json.dumps(entry.details or {}, default=str))
    body = {"prev": prev_hash, "at": _iso(entry.at), "actor": entry.actor, "action": entry.action,
            "object_type": entry.object_type, "object_id": entry.object_id, "details": details,
            "happened_at": _iso(entry.happened_at)}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@event.listens_for(AuditEvent, "before_insert")
def _chain(mapper, connection, entry: AuditEvent) -> None:
    """Link a new entry to the newest one (serialised on PostgreSQL; the unique prev_hash catches any race)."""
    if entry.at is None:
        entry.at = utcnow()
    session = object_session(entry)
    cache = session.info if session is not None else {}
    tail = cache.get(_TAIL)
    if tail is None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        tail = connection.execute(select(AuditEvent.entry_hash).where(AuditEvent.entry_hash.is_not(None))
                                  .order_by(AuditEvent.id.desc()).limit(1)).scalar() or GENESIS
    entry.prev_hash = tail
    entry.entry_hash = entry_hash(entry, tail)
    cache[_TAIL] = entry.entry_hash


@event.listens_for(Session, "after_flush")
def _forget_tail(session: Session, flush_context) -> None:
    """The tail cache lives for one flush only: later flushes read the table (and see other writers)."""
    session.info.pop(_TAIL, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_tail_after_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(_TAIL, None)


@dataclass
class ChainReport:
    """What `verify_chain` found: entries checked, the newest hash, and every break (id, problem)."""

    entries: int = 0
    unchained: int = 0  # entries written before the chain existed (migration 0005), listed first
    head: str = GENESIS
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(session: Session, batch: int = 2000) -> ChainReport:
    """Walk the log in id order: each entry's hash must match its content and the entry before's hash."""
    report = ChainReport()
    previous: str | None = None
    last_id = 0
    while True:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.id > last_id)
                                    .order_by(AuditEvent.id).limit(batch)))
        if not rows:
            break
        for entry in rows:
            last_id = entry.id
            report.entries += 1
            if entry.entry_hash is None:
                if previous is None:
                    report.unchained += 1  # older than the chain
                else:
                    report.problems.append((entry.id, "entry without a hash after the chain began"))
                continue
            expected_prev = previous or GENESIS
            if entry.prev_hash != expected_prev:
                report.problems.append((entry.id, "does not follow the entry before it (an entry was removed, "
                                                  "inserted or reordered)"))
            if entry_hash(entry, entry.prev_hash or "") != entry.entry_hash:
                report.problems.append((entry.id, "its content does not match its hash (the entry was changed)"))
            previous = entry.entry_hash
        session.expunge_all()
    report.head = previous or GENESIS
    return report
