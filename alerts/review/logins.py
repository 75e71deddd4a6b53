"""Server-side login sessions of review-UI accounts: open one at login, find it per request, end it at once."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.models import User, WebSession, utcnow


def _digest(token: str) -> str:
    # Only the hash is stored: a copy of the database (a backup) holds no usable session.
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, user: User, max_age_s: int, client: str | None = None,
                 now: dt.datetime | None = None) -> str:
    """A new session for `user`; returns the random token the cookie carries. Expired sessions are purged."""
    now = now or utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_digest(token), user_id=user.id, created_at=now,
                           expires_at=now + dt.timedelta(seconds=max_age_s), client=(client or "")[:80] or None))
    session.flush()
    return token


def session_user(session: Session, token: str | None, now: dt.datetime | None = None) -> User | None:
    """The enabled user of a live session token, else None."""
    if not token or not isinstance(token, str):
        return None
    row = session.scalars(select(WebSession).where(WebSession.token_hash == _digest(token))).one_or_none()
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None
    return user


def end_session(session: Session, token: str | None) -> None:
    """Log out: the token stops working at once, in every server process."""
    if token and isinstance(token, str):
        session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


def end_user_sessions(session: Session, user_id: int) -> int:
    """End every session of one account (password changed, account disabled); how many ended."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return result.rowcount or 0

