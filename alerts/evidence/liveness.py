"""Daily re-checks of flagged and confirmed listings until they are gone: online?, changed? (capture again), removed."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from alerts.evidence.browser import BrowserSession
from alerts.evidence.capture import outside_event_loop, run_capture
from crawler.recheck import recheck_listings
from store.listings import mark_removed
from store.models import (
    Classification,
    EvidenceCapture,
    Listing,
    LivenessCheck,
    utcnow,
)
from store.queries import is_confirmed, latest_classification_ids, latest_reviews

log = logging.getLogger("saigawatch.evidence")

@dataclass
class Outcome:
    online: bool | None  # None: inconclusive (blocked, server error, network)
    status_code: int | None
    changed: bool
    detail: str


def listings_to_check(session, settings, day_start: dt.datetime) -> list[Listing]:
    """Not removed; confirmed by an analyst (latest review sale/buy), or flagged and not yet older than the
    configured limit without confirmation; not already checked since `day_start`."""
    ev = settings.evidence
    newest_cls = latest_classification_ids()
    flagged = dict(session.execute(
        select(Classification.listing_id, Classification.created_at).join(newest_cls, newest_cls.c.max_id == Classification.id)
        .where(Classification.flagged.is_(True))).all())
    decisions = {lid: r.decision for lid, r in latest_reviews(session).items()}
    checked_today = set(session.scalars(select(LivenessCheck.listing_id).where(LivenessCheck.checked_at >= day_start)))
    first_flag = dict(session.execute(select(Classification.listing_id, func.min(Classification.created_at))
                                      .where(Classification.flagged.is_(True)).group_by(Classification.listing_id)).all())
    wanted = []
    limit = dt.timedelta(days=ev.liveness_confirmed_only_after_days)
    for lid in set(flagged) | {k for k, v in decisions.items() if is_confirmed(v)}:
        decision = decisions.get(lid)
        if decision == "not_trade" or lid in checked_today:
            continue
        if not is_confirmed(decision):
            since = first_flag.get(lid)
            if since is not None and day_start - since > limit:
                continue
        wanted.append(lid)
    if not wanted:
        return []
    return list(session.scalars(select(Listing).where(Listing.id.in_(wanted), Listing.removed_at.is_(None))
                                .order_by(Listing.id)))


def liveness_step(ctx) -> dict[str, Any]:
    """Pipeline step: re-check every flagged or confirmed listing once a day until it is gone."""
    settings = ctx.settings
    if not settings.evidence.liveness_enabled:
        return {"checked": 0, "skipped": "evidence.liveness_enabled is false"}
    return outside_event_loop(check_listings, settings, ctx.store, now=ctx.now, operator=ctx.operator)


def check_listings(settings, store, *, now: dt.datetime | None = None, operator: str = "saigawatch") -> dict[str, Any]:
    """Re-check the listings due today through the crawler's spiders (crawler.recheck), record each answer and
    capture again what changed since its last capture."""
    now = now or utcnow()
    day_start = now.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    stats: dict[str, Any] = {"checked": 0, "online": 0, "removed": 0, "changed": 0, "recaptured": 0,
                             "inconclusive": 0, "seen_by_crawl": 0, "errors": [], "removed_listing_ids": []}
    with store.session() as session:
        due = listings_to_check(session, settings, day_start)[:settings.evidence.liveness_max_per_run]
        todo = [x.id for x in due]
        fetch = [x.id for x in due if x.last_seen < day_start]  # the rest were seen online by today's crawl
    outcomes = _recheck(settings, store, fetch, now, stats) if fetch else {}
    browser = BrowserSession(settings.browser)
    try:
        for listing_id in todo:
            try:
                recapture = _check_one(store, outcomes.get(listing_id), listing_id, now, day_start, stats)
                if recapture:
                    capture = run_capture(settings, store, listing_id, operator=operator, reason="changed",
                                          browser=browser)
                    stats["recaptured"] += 1
                    failed = [k for k, v in capture.steps.items() if v.get("status") == "error"]
                    if failed:
                        stats["errors"].append({"listing_id": listing_id, "error": f"recapture steps failed: {failed}"})
            except Exception as exc:  # noqa: BLE001 - one listing must not stop the others
                log.error("liveness check of listing %s failed: %s", listing_id, exc)
                stats["errors"].append({"listing_id": listing_id, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        browser.close()
    return stats


def _recheck(settings, store, listing_ids: list[int], now: dt.datetime, stats: dict[str, Any]) -> dict[int, Outcome]:
    """One crawl child process re-checks them all (robots.txt, block detection, backoff, WARC, store pipeline)."""
    ev = settings.evidence
    try:
        found = recheck_listings(settings, store, listing_ids, now, scrapy_settings={
            "DOWNLOAD_TIMEOUT": ev.liveness_timeout_s, "SAIGAWATCH_MIN_DELAY": ev.liveness_delay_s})
    except Exception as exc:  # noqa: BLE001 - the check is recorded as inconclusive, never lost
        log.error("liveness re-check failed: %s", exc)
        stats["errors"].append({"listing_id": None, "error": f"{type(exc).__name__}: {exc}"})
        return {}
    return {lid: Outcome(o.online, o.status_code, False, o.detail) for lid, o in found.items()}


def _check_one(store, outcome: Outcome | None, listing_id: int, now: dt.datetime, day_start: dt.datetime,
               stats: dict[str, Any]) -> bool:
    """Check one listing and record it; True when its content changed since its last capture."""
    with store.session() as session:
        listing = session.get(Listing, listing_id)
        if outcome is None and listing.last_seen >= day_start:
            outcome = Outcome(True, None, False, "seen online by today's crawl")
            stats["seen_by_crawl"] += 1
        elif outcome is None:
            outcome = Outcome(None, None, False, "inconclusive: not re-checked")
        stats["checked"] += 1
        online = outcome.online
        if online is None:
            stats["inconclusive"] += 1
        elif online:
            stats["online"] += 1
            listing.last_checked_at = now
            listing.last_seen = max(listing.last_seen, now)
        else:
            mark_removed(session, listing, now)
            stats["removed"] += 1
            stats["removed_listing_ids"].append(listing.id)
        last_capture = session.scalars(select(EvidenceCapture).where(EvidenceCapture.listing_id == listing.id)
                                       .order_by(EvidenceCapture.id.desc()).limit(1)).first()
        changed = bool(online) and last_capture is not None and last_capture.content_hash != listing.content_hash
        if changed:
            stats["changed"] += 1
        session.add(LivenessCheck(listing_id=listing.id, checked_at=now, online=online is not False,
                                  status_code=outcome.status_code, content_changed=changed,
                                  detail=outcome.detail))
        return changed
