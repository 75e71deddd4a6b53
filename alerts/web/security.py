"""Web security: the cookie secret, CSRF tokens, login throttling, client addresses and protective response headers."""
from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
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
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
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


LOCK_WINDOW_S = 60  # failed logins for one account in this window lock it (login_attempts_per_minute)
SLOW_WINDOW_S = 600  # failed logins from one address in this window slow that address down
SLOW_FREE_FAILURES = 5  # an address may fail this often before it is slowed down


def _failures(db: Session, since: dt.datetime):
    return select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login.failed",
                                                              AuditEvent.at >= since)


def account_locked(db: Session, username: str, limit: int) -> bool:
    """True after `limit` failed logins for this username within LOCK_WINDOW_S, from any address.

    The lock is per account: failures for other names (or random ones) never lock this one. Failures are
    AuditEvent rows, so the lock holds across several server processes.
    """
    since = utcnow() - dt.timedelta(seconds=LOCK_WINDOW_S)
    return (db.scalar(_failures(db, since).where(AuditEvent.object_id == username)) or 0) >= limit


def address_delay(db: Session, client_ip: str, max_delay_s: float) -> float:
    """Seconds to wait before checking a password from this address: 0 at first, doubling with each recent
    failure past SLOW_FREE_FAILURES, never above `max_delay_s`. A slowdown, never a refusal: a correct password
    for an existing account still logs in after the wait."""
    since = utcnow() - dt.timedelta(seconds=SLOW_WINDOW_S)
    failures = db.scalar(_failures(db, since).where(AuditEvent.actor == ip_actor(client_ip))) or 0
    if failures < SLOW_FREE_FAILURES or max_delay_s <= 0:
        return 0.0
    return min(max_delay_s, 0.25 * 2 ** min(failures - SLOW_FREE_FAILURES, 16))


def ip_actor(client_ip: str) -> str:
    return f"ip:{client_ip}"


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: list[str]) -> str:
    """The client's address: the socket peer, unless the peer is a configured trusted proxy; then the nearest
    address in X-Forwarded-For that is not itself a trusted proxy (anything further left could be forged)."""
    peer = peer or "unknown"
    if not trusted_proxies or not forwarded_for or not _trusted(peer, trusted_proxies):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted_proxies):
            return _valid_ip(hop) or peer
    return _valid_ip(hops[0]) if hops and _valid_ip(hops[0]) else peer


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _trusted(address: str, trusted_proxies: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in trusted_proxies)


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
