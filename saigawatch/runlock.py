"""A lock that keeps two run-daily processes from overlapping; the kernel drops it when a run dies."""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class RunLocked(Exception):
    """Another run holds the lock."""


@contextlib.contextmanager
def run_lock(lock_file: str | Path) -> Iterator[Path]:
    """Hold an exclusive flock on `lock_file` for the duration; raise RunLocked if another process has it.

    flock(2) locks belong to the open file, so a run killed with SIGKILL releases its lock at once:
    a stale lock file left on disk never blocks the next run.
    """
    path = Path(lock_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = Path(path).read_text(encoding="utf-8", errors="replace").strip() or "unknown process"
            raise RunLocked(f"another run-daily is already running ({holder}); lock file {path}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} since {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}".encode())
        yield path
    finally:
        os.close(fd)
