"""The audit log: who did what, when (decisions, bulk actions, exports, account changes, logins)."""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from store.models import AuditEvent, utcnow


def record_event(session: Session, actor: str, action: str, object_type: str | None = None,
                 object_id: str | int | None = None, details: dict[str, Any] | None = None) -> AuditEvent:
    """Append one AuditEvent (committed with the caller's session)."""
    event = AuditEvent(at=utcnow(), actor=actor, action=action, object_type=object_type,
                       object_id=None if object_id is None else str(object_id), details=details or {})
    session.add(event)
    return event
