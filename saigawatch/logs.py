"""Log to a size-rotated file (schedule.log_file) so unattended runs leave a readable, bounded history."""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from config import Settings

FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"
UNATTENDED_ENV = "SAIGAWATCH_UNATTENDED"  # set by the cron line: the terminal copy of the log is reduced to warnings
_HANDLER_NAME = "saigawatch-file"
CRON_OUTPUT = "cron-output.log"  # beside the log file: what the cron job's stdout/stderr append to


class _UTCFormatter(logging.Formatter):
    """ISO timestamps in UTC with a Z, whatever the server's local zone."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        import datetime as dt

        return dt.datetime.fromtimestamp(record.created, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def log_path(settings: Settings) -> Path:
    """The absolute path of the rotating log file."""
    return Path(settings.schedule.log_file).expanduser().resolve()


def setup_file_logging(settings: Settings, level: int = logging.INFO) -> Path:
    """Add (once) a rotating file handler to the root logger and return the log file's path.

    The file rotates at schedule.log_max_bytes and keeps schedule.log_backups old files. When the
    process runs unattended (env SAIGAWATCH_UNATTENDED=1, as the cron line sets) and stderr is not a
    terminal, stderr only gets warnings and errors, so cron's output file stays small while the full
    INFO log goes to the rotating file.
    """
    path = log_path(settings)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "name", None) == _HANDLER_NAME]:
        if getattr(old, "baseFilename", None) == str(path):
            _quiet_stderr(root, old)
            return path
        root.removeHandler(old)  # another config's log file (one process running several commands, tests)
        old.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=settings.schedule.log_max_bytes, backupCount=settings.schedule.log_backups, encoding="utf-8",
        delay=False,
    )
    handler.name = _HANDLER_NAME
    handler.setFormatter(_UTCFormatter(FORMAT))
    handler.setLevel(level)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    _rotate_cron_output(path.parent / CRON_OUTPUT, settings.schedule.log_max_bytes)
    _quiet_stderr(root, handler)
    return path


def _quiet_stderr(root: logging.Logger, ours: logging.Handler) -> None:
    """Unattended and not on a terminal: the stderr copy of the log keeps warnings and errors only."""
    if os.environ.get(UNATTENDED_ENV) != "1" or _isatty(sys.stderr):
        return
    for other in root.handlers:
        if other is not ours and type(other) is logging.StreamHandler \
                and getattr(other, "stream", None) in (sys.stderr, sys.__stderr__):
            other.setLevel(max(other.level, logging.WARNING))


def _rotate_cron_output(path: Path, max_bytes: int) -> None:
    """Keep the cron output file bounded: past max_bytes it becomes <name>.1 (one old copy)."""
    try:
        if path.stat().st_size > max_bytes:
            os.replace(path, path.with_name(path.name + ".1"))
    except OSError:
        pass


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
