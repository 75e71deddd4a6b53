"""The scheduled job's secrets file (schedule.env_file), read by /bin/sh exactly as the cron line sources it."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from saigawatch.context import UserError

# The cron line runs `set -a && . <file> && set +a`; the same, then the resulting environment, NUL-separated.
_SOURCE = 'set -a && . "$1" >/dev/null 2>&1 </dev/null || { echo "sourcing failed" >&2; exit 3; }; set +a; env -0'


def _sourced(path: str) -> dict[str, str]:
    result = subprocess.run(["/bin/sh", "-c", _SOURCE, "sh", path], capture_output=True,
                            env={"PATH": os.defpath}, timeout=30)
    if result.returncode != 0:
        check = subprocess.run(["/bin/sh", "-n", path], capture_output=True, text=True)
        detail = (check.stderr.strip() or result.stderr.decode("utf-8", "replace").strip()
                  or f"exit status {result.returncode}")
        raise UserError(f"schedule.env_file {path}: /bin/sh cannot load it ({detail})")
    pairs = (entry.split("=", 1) for entry in result.stdout.decode("utf-8", "replace").split("\0") if "=" in entry)
    return {key: value for key, value in pairs}


def read_env_file(env_file: Path) -> dict[str, str]:
    """The variables the file sets, with the shell's rules (quotes, `export`, escapes, $VAR, comments)."""
    baseline = _sourced(os.devnull)
    loaded = _sourced(str(Path(env_file).absolute()))
    return {key: value for key, value in loaded.items() if baseline.get(key) != value}


def load_env_file(env_file: Path | None) -> list[str]:
    """Put the secrets file's variables into this process's environment, as the scheduled job gets them (the
    file's values win, as in the job); returns their names. A missing file loads nothing."""
    if not env_file or not env_file.exists():
        return []
    values = read_env_file(env_file)
    os.environ.update(values)
    return list(values)
