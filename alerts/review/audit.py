"""The audit log: who did what, when (decisions, bulk actions, exports, account changes, logins); hash-chained."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from store.models import AuditEvent, utcnow


def record_event(session: Session, actor: str, action: str, object_type: str | None = None,
                 object_id: str | int | None = None, details: dict[str, Any] | None = None,
                 happened_at: dt.datetime | None = None) -> AuditEvent:
    """Append one AuditEvent (committed with the caller's session).

    `at` is always the server's clock; a time the user gives ("when it happened") goes to `happened_at`.
    The store links the entry into the hash chain when it is written (store/audit_chain.py).
    """
    event = AuditEvent(at=utcnow(), actor=actor, action=action, object_type=object_type,
                       object_id=None if object_id is None else str(object_id), details=details or {},
                       happened_at=happened_at)
    session.add(event)
    return event
