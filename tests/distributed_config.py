"""Helpers of the lean distributed-mode tests: a demo config on SQLite with Redis, and the saigawatch CLI."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from demo_marketplace.command import DEMO_CONFIG

ROOT = Path(__file__).resolve().parent.parent
REDIS_ENV = "SW_TEST_REDIS_URL"


def write_config(tmp: Path, sources: list, crawl: dict | None = None, **distributed) -> Path:
    """A distributed-mode config on a SQLite file (workers on this machine share it), evidence off."""
    path = tmp / "saigawatch.yaml"
    path.write_text(yaml.safe_dump({
        "extends": str(DEMO_CONFIG),
        "storage": {"database_path": str(tmp / "sw.db"), "data_dir": str(tmp / "var")},
        "evidence": {"enabled": False, "liveness_enabled": False,
                     "signing_key_path": str(tmp / "keys" / "signing_key.pem")},
        "schedule": {"lock_file": str(tmp / "run.lock"), "log_file": str(tmp / "log" / "sw.log")},
        "sources": [s.model_dump(mode="json", exclude_none=True) for s in sources],
        "crawl": crawl or {},
        "distributed": {"enabled": True, "redis_url_env": REDIS_ENV, "heartbeat_seconds": 1, **distributed},
    }, allow_unicode=True), encoding="utf-8")
    return path


def saigawatch(config: Path, env: dict, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "saigawatch", "--config", str(config), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def start(config: Path, env: dict, *args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "saigawatch", "--config", str(config), *args], env=env, cwd=ROOT,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)
