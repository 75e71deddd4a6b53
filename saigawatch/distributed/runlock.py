"""The run lock of distributed mode in Redis: one run at a time over all machines, held until its workers finish it."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import uuid
from typing import Any

from redis import Redis

from saigawatch.runlock import RunLocked
from store.models import CrawlRun
from store.work import pid_alive

log = logging.getLogger("saigawatch.distributed")

KEY = "saigawatch:run-lock"


def _ttl(settings) -> int:
    dist = settings.distributed
    return dist.job_timeout * (dist.retries + 1) * 3


def holder(conn: Redis) -> dict[str, Any]:
    """Who holds the lock: token, crawl_run_id (once the run is open), host, pid, since; {} when free."""
    raw = conn.get(KEY)
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}


def _stale(store, held: dict[str, Any]) -> bool:
    run_id = held.get("crawl_run_id")
    if run_id is not None:
        with store.session() as session:
            run = session.get(CrawlRun, run_id)
            return run is None or run.status != "running"
    if held.get("host") == socket.gethostname() and isinstance(held.get("pid"), int):
        return not pid_alive(held["pid"])
    return False


def acquire(conn: Redis, settings, store) -> str:
    """Take the lock (a token for attach/release); RunLocked naming the holder when a live run holds it.

    `run-daily --no-wait` returns while the workers still work on its run and its file lock is gone, so this
    key (naming the run) keeps the next run-daily out until the run's final job releases it. A lock whose run
    is no longer 'running' in the store, or whose run-daily died on this host before it opened a run, is stale
    and taken over; the key also expires (distributed.job_timeout × (retries + 1) × 3).
    """
    token = uuid.uuid4().hex
    value = json.dumps({"token": token, "crawl_run_id": None, "host": socket.gethostname(), "pid": os.getpid(),
                        "since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    for _ in range(2):
        if conn.set(KEY, value, nx=True, ex=_ttl(settings)):
            return token
        held = holder(conn)
        if not _stale(store, held):
            what = (f"run {held['crawl_run_id']}, still being finished by the workers" if held.get("crawl_run_id")
                    else f"pid {held.get('pid', '?')} on {held.get('host', '?')}")
            raise RunLocked(f"another run is already running ({what}, since {held.get('since', '?')}); "
                            f"Redis key {KEY}. This run exits without doing anything.")
        log.warning("taking over the stale distributed run lock of %s", held or "an unreadable holder")
        conn.delete(KEY)
    raise RunLocked(f"could not take the distributed run lock {KEY}: another run took it at the same moment")


def attach(conn: Redis, token: str, crawl_run_id: int) -> None:
    """Record the run the lock now belongs to (its final job releases it)."""
    held = holder(conn)
    if held.get("token") == token:
        held["crawl_run_id"] = crawl_run_id
        conn.set(KEY, json.dumps(held), keepttl=True)


def release(conn: Redis, *, token: str | None = None, crawl_run_id: int | None = None) -> bool:
    """Drop the lock if it is still ours (same token, or held for that run)."""
    held = holder(conn)
    mine = (token is not None and held.get("token") == token) or (
        crawl_run_id is not None and held.get("crawl_run_id") == crawl_run_id)
    if mine:
        conn.delete(KEY)
    return mine
