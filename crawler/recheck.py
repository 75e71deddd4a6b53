"""Re-check stored listings through their spiders (the daily liveness check): online, removed, or inconclusive."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from config import Settings
from config.schema import SourceSettings
from crawler.registry import source_problems
from crawler.run import child_job, run_child
from store import Store
from store.models import Capture, Listing

log = logging.getLogger("saigawatch.crawler")


@dataclass
class RecheckOutcome:
    """What one re-check found; online None means inconclusive (blocked, error, no usable answer)."""

    online: bool | None
    status_code: int | None
    detail: str


def _source_for(settings: Settings, listing: Listing) -> SourceSettings | None:
    """The source that stored the listing, else a source of its platform (enabled ones first)."""
    for source in settings.sources:
        if source.name == listing.source_name:
            return source
    same = [s for s in settings.sources if s.platform == listing.platform]
    return next((s for s in same if s.enabled), same[0] if same else None)


def recheck_listings(settings: Settings, store: Store, listing_ids: list[int], now: dt.datetime,
                     scrapy_settings: dict[str, Any] | None = None) -> dict[int, RecheckOutcome]:
    """Re-open each listing's page with its platform's spider in a crawl child process (robots.txt, block
    detection, backoff; the store pipeline writes what changed or marks it removed) and say what was found."""
    outcomes: dict[int, RecheckOutcome] = {}
    plan: dict[str, dict[str, int]] = {}
    sources: dict[str, SourceSettings] = {}
    urls: dict[int, str] = {}
    with store.session() as session:
        for listing in session.scalars(select(Listing).where(Listing.id.in_(listing_ids))):
            source = _source_for(settings, listing)
            if source is None:
                outcomes[listing.id] = RecheckOutcome(None, None, f"inconclusive: no configured source for platform "
                                                                  f"{listing.platform!r}")
                continue
            sources[source.name] = source
            plan.setdefault(source.name, {})[listing.platform_listing_id] = listing.id
            urls[listing.id] = listing.url
    problems = source_problems(list(sources.values()))
    for name, problem in problems.items():
        for listing_id in plan.pop(name).values():
            outcomes[listing_id] = RecheckOutcome(None, None, f"inconclusive: source {name} cannot run: {problem}")
    if not plan:
        return outcomes
    ended: dict[str, dict[str, Any]] = {}

    def on_event(event: dict[str, Any]) -> None:
        if event.get("event") == "recheck_done":
            ended[event["source"]] = event

    job = child_job(settings, store, [sources[n] for n in plan], None, now, rechecks=plan,
                    scrapy_settings=scrapy_settings or {})
    rc = run_child(job, on_event)
    with store.session() as session:
        for name, listings in plan.items():
            end = ended.get(name) or {"status": "error", "status_detail": f"crawl process exited with status {rc}",
                                      "errors": []}
            for listing_id in listings.values():
                outcomes[listing_id] = _outcome(session, listing_id, urls[listing_id], now, end)
    return outcomes


def _outcome(session, listing_id: int, url: str, now: dt.datetime, end: dict[str, Any]) -> RecheckOutcome:
    listing = session.get(Listing, listing_id)
    capture = session.scalars(select(Capture).where(Capture.listing_id == listing_id, Capture.kind != "image",
                                                    Capture.fetched_at >= now)
                              .order_by(Capture.id.desc()).limit(1)).first()
    status = capture.status_code if capture is not None else None
    if listing.removed_at is not None:
        reason = (listing.extra or {}).get("removed_reason") or "removed"
        return RecheckOutcome(False, status, f"removed: {reason}")
    if listing.last_seen >= now:
        return RecheckOutcome(True, status, "online")
    if end.get("status") in ("blocked", "not_configured", "error"):
        return RecheckOutcome(None, status, f"inconclusive: {end['status']} ({end.get('status_detail')})")
    urls = {url} | ({capture.url} if capture is not None else set())
    errors = [e for e in end.get("errors") or [] if e.get("url") in urls or str(e.get("url")).startswith(url)]
    if errors:
        return RecheckOutcome(None, status, f"inconclusive: {errors[0].get('type')}: {errors[0].get('message')}")
    return RecheckOutcome(None, status, "inconclusive: no usable answer")
