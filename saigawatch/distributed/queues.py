"""The Redis connection and the RQ queues of distributed mode: one queue per worker role."""
from __future__ import annotations

from redis import Redis
from rq import Queue

from config import Settings

ROLES = ("crawl", "classify", "capture")
PREFIX = "saigawatch"


class DistributedError(Exception):
    """Distributed mode is misconfigured or Redis cannot be reached (the message says which)."""


def redis_url(settings: Settings) -> str:
    try:
        return settings.distributed.redis_url()
    except ValueError as exc:
        raise DistributedError(str(exc)) from None


def connect(settings: Settings) -> Redis:
    """A Redis connection from distributed.redis_url_env, checked with PING."""
    url = redis_url(settings)
    conn = Redis.from_url(url)
    try:
        conn.ping()
    except Exception as exc:  # noqa: BLE001 - any connection problem is one clear message
        raise DistributedError(f"cannot reach Redis at {_redact(url)}: {exc}") from None
    return conn


def queue(conn: Redis, role: str) -> Queue:
    if role not in ROLES:
        raise DistributedError(f"unknown worker role {role!r}; roles: {', '.join(ROLES)}")
    return Queue(f"{PREFIX}-{role}", connection=conn)


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
