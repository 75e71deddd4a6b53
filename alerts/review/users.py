"""Review-UI accounts: argon2 password hashing, roles, and audited account changes."""
from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.review.audit import record_event
from alerts.review.logins import end_user_sessions
from store.models import User

ROLES = ("analyst", "admin", "viewer")
LANGUAGES = ("ru", "en", "kk")
MIN_PASSWORD_LENGTH = 8
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,79}$")

_hasher = PasswordHasher()
# A hash to verify against when the user does not exist, so timing does not reveal valid usernames.
_DUMMY_HASH = _hasher.hash("saigawatch-no-such-user")


class UserError(ValueError):
    """An account operation that cannot be done (unknown user, weak password, bad role...)."""


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if the password matches the stored argon2 hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")


def get_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def require_user(session: Session, username: str) -> User:
    user = get_user(session, username)
    if user is None:
        raise UserError(f"no user named {username!r}")
    return user


def create_user(session: Session, username: str, password: str, role: str = "analyst",
                language: str = "ru", actor: str = "system") -> User:
    """Create an account (role analyst|admin|viewer) with an argon2-hashed password."""
    if not USERNAME_RE.match(username or ""):
        raise UserError(f"invalid username {username!r}: 2-80 letters, digits, '_', '.', '@' or '-'")
    if role not in ROLES:
        raise UserError(f"invalid role {role!r}: expected one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise UserError(f"invalid language {language!r}: expected one of {', '.join(LANGUAGES)}")
    check_password_strength(password)
    if get_user(session, username) is not None:
        raise UserError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role, language=language,
                disabled=False)
    session.add(user)
    session.flush()
    record_event(session, actor, "user.create", "user", username, {"role": role, "language": language})
    return user


def set_password(session: Session, username: str, password: str, actor: str = "system") -> User:
    """Replace a user's password (this also ends the user's open sessions)."""
    check_password_strength(password)
    user = require_user(session, username)
    user.password_hash = hash_password(password)
    ended = end_user_sessions(session, user.id)
    record_event(session, actor, "user.password", "user", username, {"sessions_ended": ended})
    return user


def set_disabled(session: Session, username: str, disabled: bool = True, actor: str = "system") -> User:
    """Disable (or re-enable) an account; a disabled user cannot log in and open sessions stop working."""
    user = require_user(session, username)
    user.disabled = disabled
    ended = end_user_sessions(session, user.id) if disabled else 0
    record_event(session, actor, "user.disable" if disabled else "user.enable", "user", username,
                 {"sessions_ended": ended} if disabled else {})
    return user


def set_role(session: Session, username: str, role: str, actor: str = "system") -> User:
    if role not in ROLES:
        raise UserError(f"invalid role {role!r}: expected one of {', '.join(ROLES)}")
    user = require_user(session, username)
    old, user.role = user.role, role
    record_event(session, actor, "user.role", "user", username, {"from": old, "to": role})
    return user


def set_language(session: Session, user: User, language: str, actor: str | None = None) -> None:
    if language not in LANGUAGES:
        raise UserError(f"invalid language {language!r}: expected one of {', '.join(LANGUAGES)}")
    user.language = language
    record_event(session, actor or user.username, "user.language", "user", user.username, {"language": language})


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work whether or not the user exists)."""
    user = get_user(session, username)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user
