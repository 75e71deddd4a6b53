"""Web security: the session secret, CSRF tokens, login rate limiting and protective response headers."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from store.models import AuditEvent, utcnow

SECRET_KEY_FILE = "web-secret-key"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Stored captures are hostile pages: no scripts, no subresources, an opaque origin.
CAPTURE_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


class SecretKeyError(RuntimeError):
    """The session secret cannot be read or created."""


def load_secret_key(settings) -> str:
    """The session-signing secret: from the env var named in config, else a key generated once in data_dir (0600)."""
    from_env = os.environ.get(settings.web.secret_key_env, "").strip()
    if from_env:
        if len(from_env) < 32:
            raise SecretKeyError(f"{settings.web.secret_key_env} is too short: use at least 32 random characters")
        return from_env
    data_dir = Path(settings.storage.data_dir).expanduser()
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise SecretKeyError(f"{path}: the stored secret key is too short; delete the file to make a new one")
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def password_stamp(secret: str, password_hash: str) -> str:
    """A short keyed digest of the password hash: a changed password ends old sessions."""
    return hmac.new(secret.encode(), password_hash.encode(), hashlib.sha256).hexdigest()[:24]


def csrf_token(session: dict) -> str:
    """The session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_valid(session: dict, submitted: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and submitted and hmac.compare_digest(expected, submitted))


IP_LIMIT_FACTOR = 4  # one address may fail for several accounts (an office behind one NAT), but not endlessly


def login_blocked(db: Session, username: str, client_ip: str, limit: int, window_s: int = 60) -> bool:
    """True after `limit` failed logins for this username, or IP_LIMIT_FACTOR × limit from this address,
    within the window.

    Failures are AuditEvent rows, so the limit holds across several server processes.
    """
    since = utcnow() - dt.timedelta(seconds=window_s)
    recent = select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "login.failed", AuditEvent.at >= since)
    by_name = db.scalar(recent.where(AuditEvent.object_id == username)) or 0
    if by_name >= limit:
        return True
    by_ip = db.scalar(recent.where(AuditEvent.actor == ip_actor(client_ip))) or 0
    return by_ip >= limit * IP_LIMIT_FACTOR


def ip_actor(client_ip: str) -> str:
    return f"ip:{client_ip}"


class SecurityHeadersMiddleware:
    """Adds CSP and other protective headers to every response, plus a Server-Timing figure."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"x-frame-options": b"DENY",
                    b"referrer-policy": b"no-referrer",
                    b"cross-origin-opener-policy": b"same-origin",
                    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
                }
                for name, value in extra.items():
                    if name not in names:
                        headers.append((name, value))
                if b"cache-control" not in names and not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                elapsed_ms = (time.perf_counter() - started) * 1000
                headers.append((b"server-timing", f"app;dur={elapsed_ms:.1f}".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
