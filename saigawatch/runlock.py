"""A lock that keeps two run-daily processes from overlapping; the kernel drops it when a run dies."""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger("saigawatch.runlock")


class RunLocked(Exception):
    """Another run holds the lock."""


def _lock_path(lock_file: Any) -> Path:
    """Accept a path or a Settings object (its schedule.lock_file)."""
    schedule = getattr(lock_file, "schedule", None)
    if schedule is not None:
        lock_file = schedule.lock_file
    return Path(lock_file).expanduser()


def read_holder(path: Path) -> dict[str, Any]:
    """What the lock file says about its holder: pid, host, since (empty if unreadable)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return {}
    if not text:
        return {}
    try:
        data = json.loads(text)
        return data if isinstance(data, dict) else {}
    except ValueError:  # the first version wrote "pid N since T"
        parts = text.split()
        if len(parts) >= 2 and parts[0] == "pid" and parts[1].isdigit():
            return {"pid": int(parts[1]), "since": parts[3] if len(parts) > 3 else None}
        return {}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _describe(holder: dict[str, Any]) -> str:
    if not holder:
        return "unknown process"
    parts = [f"pid {holder.get('pid', '?')}"]
    if holder.get("host"):
        parts.append(f"on {holder['host']}")
    if holder.get("since"):
        parts.append(f"since {holder['since']}")
    return " ".join(parts)


def _try_lock(path: Path) -> int | None:
    """Open and flock the file; the fd on success, None when another open file holds the lock."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    # The path may have been replaced (a broken orphan lock) between open and flock: lock what is there now.
    try:
        same = os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        same = False
    if not same:
        os.close(fd)
        return _try_lock(path)
    return fd


def _orphaned(holder: dict[str, Any]) -> bool:
    """The recorded holder is dead on this host, yet the lock is held: a child it forked kept the file open."""
    pid = holder.get("pid")
    return bool(isinstance(pid, int) and holder.get("host") == socket.gethostname() and not _pid_alive(pid))


@contextlib.contextmanager
def run_lock(lock_file: Any, wait_s: float = 0, poll_s: float = 2.0) -> Iterator[Path]:
    """Hold an exclusive flock on `lock_file` (a path or Settings) for the duration; raise RunLocked if busy.

    With `wait_s`, a busy lock is retried every `poll_s` seconds until it is free or the time is up.
    flock(2) locks belong to the open file, so a run killed with SIGKILL releases its lock at once:
    a stale lock file left on disk never blocks the next run. One case remains where a dead run could
    still block: a process it forked inherited the open file and lives on (a hung crawler child). The
    lock file records the holder's pid and host; when that pid is gone, the lock is broken by replacing
    the file (new inode), with a warning in the log.
    """
    path = _lock_path(lock_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    waited = False
    while True:
        fd = _try_lock(path)
        if fd is None:
            holder = read_holder(path)
            if _orphaned(holder):
                log.warning("breaking the run lock %s: its holder (%s) is gone but a leftover child process still "
                            "has the file open", path, _describe(holder))
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                fd = _try_lock(path)
        if fd is not None:
            break
        if time.monotonic() >= deadline:
            how_long = f" after waiting {wait_s:g} s" if wait_s else ""
            raise RunLocked(f"another run is already running ({_describe(read_holder(path))}); "
                            f"lock file {path}. This run exits without doing anything{how_long}.")
        if not waited:
            log.info("waiting up to %.0f s for the run lock %s (held by %s)", wait_s, path, _describe(read_holder(path)))
            waited = True
        time.sleep(min(poll_s, max(0.05, deadline - time.monotonic())))
    try:
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)
