"""Shared set-up of the Avito and Xianyu end-to-end crawl tests: settings for the demo server, one crawl run."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from config import Settings, load_config
from crawler.run import run_crawl
from store import Store
from store.models import CrawlRun


def demo_settings(tmp_path: Path, sources: list[dict[str, Any]], recheck_after_days: int = 1) -> Settings:
    """The shipped config with storage in tmp_path, no politeness delays (loopback), and only `sources`.

    The demo's simulated days pass in seconds, so tests of removal set `recheck_after_days=0`.
    """
    return load_config(overrides={
        "storage": {"database_path": str(tmp_path / "sw.db"), "data_dir": str(tmp_path / "var")},
        "crawl": {"politeness": {"download_delay": 0, "obey_robots_txt": False, "retry_backoff_base": 0.05},
                  "recheck_missing_after_days": recheck_after_days},
        "sources": sources,
    })


def new_store(settings: Settings) -> Store:
    store = Store(settings.storage.database_url())
    store.init()
    return store


def crawl(settings: Settings, store: Store, *names: str) -> dict[str, Any]:
    """One crawl run of the named sources (in the crawl child process, as in production)."""
    with store.session() as session:
        run = CrawlRun(trigger="test")
        session.add(run)
        session.flush()
        run_id = run.id
    summary = run_crawl(settings, store, run_id, list(names) or None)
    summary["crawl_run_id"] = run_id
    return summary


def fake_xianyu_session(path: Path, host: str = "127.0.0.1", token_expiry_ms: int = 9_999_999_999_999) -> Path:
    """A Playwright storage-state file with the cookies a logged-in goofish.com session has (for the demo only)."""
    cookies = [{"name": name, "value": value, "domain": host, "path": "/", "expires": -1, "httpOnly": False,
                "secure": False, "sameSite": "Lax"}
               for name, value in (("_m_h5_tk", f"0a1b2c3d4e5f_{token_expiry_ms}"), ("cookie2", "demo-session"),
                                   ("unb", "2200000000001"))]
    path.write_text(json.dumps({"cookies": cookies, "origins": []}), encoding="utf-8")
    return path
