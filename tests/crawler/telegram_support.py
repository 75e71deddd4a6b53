"""Shared set-up of the social-platform end-to-end crawl tests (Telegram, VK, Weibo, Tieba) on the demo marketplace."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select

from config import Settings, load_config
from crawler.run import run_crawl
from store import Store
from store.models import CrawlRun, Listing, SourceRun


def demo_settings(tmp_path: Path, sources: list[dict[str, Any]], **crawl: Any) -> Settings:
    """The shipped config with storage in tmp_path, no politeness delays (loopback), and only `sources`."""
    return load_config(overrides={
        "storage": {"database_path": str(tmp_path / "sw.db"), "data_dir": str(tmp_path / "var")},
        "crawl": {"politeness": {"download_delay": 0, "obey_robots_txt": False, "retry_backoff_base": 0.05,
                                 "retry_backoff_max": 0.2, "retry_times": 1},
                  "recheck_missing_after_days": 0, **crawl},
        "sources": sources,
    })


def new_store(settings: Settings) -> Store:
    store = Store(settings.storage.database_url())
    store.init()
    return store


def crawl(settings: Settings, store: Store, *names: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """One crawl run of the named sources (in the crawl child process, as in production); `now` fixes its clock."""
    with store.session() as session:
        run = CrawlRun(trigger="test")
        session.add(run)
        session.flush()
        run_id = run.id
    summary = run_crawl(settings, store, run_id, list(names) or None, now=now)
    summary["crawl_run_id"] = run_id
    return summary


def stored(store: Store, platform: str) -> dict[str, Listing]:
    with store.session() as session:
        rows = session.scalars(select(Listing).where(Listing.platform == platform)).all()
        for row in rows:
            _ = row.seller, row.images
        session.expunge_all()
    return {row.platform_listing_id: row for row in rows}


def source_run(store: Store, run_id: int) -> SourceRun:
    with store.session() as session:
        row = session.scalars(select(SourceRun).where(SourceRun.crawl_run_id == run_id)).one()
        session.expunge(row)
    return row
