"""The jobs workers run: one crawl part, the classification of a run, the evidence capture of one listing.

Every job is safe to run again (RQ retries a job whose worker died): crawl parts share the Redis frontier and
upsert by listing id, classification only takes listings without a verdict for their current content, and
a capture is skipped when the listing's current content is already captured. Settings come from the
worker's own config file (SAIGAWATCH_CONFIG, set by `saigawatch worker --config`), secrets from its environment.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from config import Settings, load_config
from store import Store

log = logging.getLogger("saigawatch.distributed")


def _settings() -> Settings:
    return load_config()


def _store(settings: Settings) -> Store:
    return Store.from_settings(settings)


def crawl_part(crawl_run_id: int, part: int, parts: int, sources: list[str] | None, now: str | None) -> dict[str, Any]:
    """One part of a distributed crawl: the run's sources, fetching from the frontier shared with the other parts."""
    from crawler.distributed import redis_settings
    from crawler.run import run_crawl
    from saigawatch.distributed.queues import redis_url

    settings = _settings()
    if part > 0:  # removal re-checks run once per source, in part 0 (which sees every part's cards)
        settings = settings.model_copy(update={"sources": [s.model_copy(update={"max_rechecks": 0})
                                                           for s in settings.sources]})
    store = _store(settings)
    try:
        summary = run_crawl(settings, store, crawl_run_id, sources, now=dt.datetime.fromisoformat(now) if now else None,
                            scrapy_settings=redis_settings(redis_url(settings), crawl_run_id, part))
    finally:
        store.dispose()
    if summary.get("process_error"):
        raise RuntimeError(f"crawl part {part + 1}/{parts}: {summary['process_error']}")
    return {"part": part, "pages_fetched": summary["pages_fetched"]}


def classify_run(crawl_run_id: int, run_day: str, now: str, operator: str) -> dict[str, Any]:
    """The classify step of a run (every listing without a verdict for its current content and model)."""
    from saigawatch.pipeline import STEPS, PipelineContext, load_step

    settings = _settings()
    store = _store(settings)
    try:
        ctx = PipelineContext(settings=settings, store=store, crawl_run_id=crawl_run_id, run_day=run_day,
                              now=dt.datetime.fromisoformat(now), operator=operator)
        return load_step(dict(STEPS)["classify"])(ctx)
    finally:
        store.dispose()


def capture_listings(crawl_run_id: int, listing_ids: list[int], operator: str) -> list[dict[str, Any]]:
    """Capture flagged listings as evidence with one browser, skipping those whose current content is captured.

    Run again after a kill, it skips what the killed attempt finished (each capture commits on its own).
    """
    from alerts.evidence.browser import BrowserSession
    from alerts.evidence.capture import outside_event_loop

    settings = _settings()
    store = _store(settings)
    try:
        def run() -> list[dict[str, Any]]:
            with BrowserSession(settings.browser) as browser:
                return [_capture_one(settings, store, lid, operator, browser) for lid in listing_ids]
        return outside_event_loop(run)
    finally:
        store.dispose()


def _capture_one(settings, store, listing_id: int, operator: str, browser) -> dict[str, Any]:
    from sqlalchemy import select

    from alerts.evidence.capture import run_capture
    from store.models import EvidenceCapture, Listing

    with store.session() as session:
        listing = session.get(Listing, listing_id)
        if listing is None or listing.removed_at is not None:
            return {"listing_id": listing_id, "skipped": "gone"}
        done = session.scalars(select(EvidenceCapture.id).where(
            EvidenceCapture.listing_id == listing_id,
            EvidenceCapture.content_hash == listing.content_hash)).first()
    if done is not None:
        return {"listing_id": listing_id, "capture_id": done, "already_captured": True}
    try:
        capture = run_capture(settings, store, listing_id, operator=operator, reason="flagged", browser=browser)
    except Exception as exc:  # noqa: BLE001 - one bad listing must not stop the others
        log.error("capture of listing %s failed: %s", listing_id, exc)
        return {"listing_id": listing_id, "error": f"{type(exc).__name__}: {exc}"}
    return {"listing_id": listing_id, "capture_id": capture.id,
            "steps": {name: {"status": step.get("status"), "error": step.get("error")}
                      for name, step in capture.steps.items()}}
