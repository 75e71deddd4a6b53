"""What the maintenance commands (backup, retention) share: set-up under the run-daily lock, sizes in MB."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from config.schema import Settings
from saigawatch.context import UserError, get_context
from saigawatch.logs import setup_file_logging
from saigawatch.runlock import RunLocked, run_lock
from store import Store


@contextlib.contextmanager
def under_run_lock(wait_lock: int) -> Iterator[tuple[Settings, Store]]:
    """Settings and store, with file logging on, while holding the run-daily lock (waiting up to `wait_lock` s).

    A lock still held after the wait becomes a UserError.
    """
    ctx = get_context()
    settings = ctx.settings
    setup_file_logging(settings)
    store = ctx.store()
    try:
        with run_lock(settings.schedule.lock_file, wait_s=wait_lock):
            yield settings, store
    except RunLocked as exc:
        raise UserError(str(exc)) from None


def megabytes(n: int) -> str:
    """A byte count as decimal megabytes with one decimal, e.g. "12.3 MB"."""
    return f"{n / 1_000_000:.1f} MB"
