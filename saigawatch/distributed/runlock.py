"""The run lock of distributed mode in Redis: one run at a time over all machines, held until its workers finish it.

`run-daily --no-wait` returns while the workers still work on its run; the file lock of the coordinator is
then gone, so this lock (a Redis key naming the run) keeps the next run-daily out until the run's final job
releases it. A lock whose run is no longer 'running' in the store, or whose coordinator died on this host
before it opened a run, is stale and taken over; the key also expires (distributed.job_timeout × (retries+1) × 3).
"""
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

log = logging.getLogger("saigawatch.distributed")

KEY = "saigawatch:run-lock"


def _ttl(settings) -> int:
    dist = settings.distributed
    return dist.job_timeout * (dist.retries + 1) * 3


def _holder(conn: Redis) -> dict[str, Any]:
    raw = conn.get(KEY)
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}


def _stale(store, holder: dict[str, Any]) -> bool:
    run_id = holder.get("crawl_run_id")
    if run_id is not None:
        with store.session() as session:
            run = session.get(CrawlRun, run_id)
            return run is None or run.status != "running"
    if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
        try:
            os.kill(holder["pid"], 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return False


def acquire(conn: Redis, settings, store) -> str:
    """Take the lock (a token for attach/release); RunLocked naming the holder when a live run holds it."""
    token = uuid.uuid4().hex
    value = json.dumps({"token": token, "crawl_run_id": None, "host": socket.gethostname(), "pid": os.getpid(),
                        "since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    for _ in range(2):
        if conn.set(KEY, value, nx=True, ex=_ttl(settings)):
            return token
        holder = _holder(conn)
        if not _stale(store, holder):
            what = (f"run {holder['crawl_run_id']}, still being finished by the workers" if holder.get("crawl_run_id")
                    else f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}")
            raise RunLocked(f"another run is already running ({what}, since {holder.get('since', '?')}); "
                            f"Redis key {KEY}. This run exits without doing anything.")
        log.warning("taking over the stale distributed run lock of %s", holder or "an unreadable holder")
        conn.delete(KEY)
    raise RunLocked(f"could not take the distributed run lock {KEY}: another run took it at the same moment")


def attach(conn: Redis, token: str, crawl_run_id: int) -> None:
    """Record the run the lock now belongs to (its final job releases it)."""
    holder = _holder(conn)
    if holder.get("token") == token:
        holder["crawl_run_id"] = crawl_run_id
        conn.set(KEY, json.dumps(holder), keepttl=True)


def release(conn: Redis, *, token: str | None = None, crawl_run_id: int | None = None) -> bool:
    """Drop the lock if it is still ours (same token, or held for that run)."""
    holder = _holder(conn)
    mine = (token is not None and holder.get("token") == token) or (
        crawl_run_id is not None and holder.get("crawl_run_id") == crawl_run_id)
    if mine:
        conn.delete(KEY)
    return mine
