"""Daily re-checks of flagged and confirmed listings until they are gone: online?, changed? (capture again), removed."""
from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, select

from alerts.evidence.browser import BrowserSession
from alerts.evidence.capture import outside_event_loop, run_capture
from crawler.parsers import recheck_url
from store.listings import mark_removed, upsert_listing
from store.models import (
    Capture,
    Classification,
    EvidenceCapture,
    Listing,
    LivenessCheck,
    utcnow,
)
from store.queries import is_confirmed, latest_classification_ids, latest_reviews
from store.warc import WarcWriter

log = logging.getLogger("saigawatch.evidence")

GONE_STATUSES = (404, 410)


@dataclass
class Outcome:
    online: bool | None  # None: inconclusive (blocked, server error, network)
    status_code: int | None
    changed: bool
    detail: str


def _parsers() -> dict[str, Callable]:
    try:
        from crawler.parsers import registry

        return registry()
    except Exception as exc:  # noqa: BLE001 - a broken parser module must not stop re-checks
        log.warning("page parsers unavailable for liveness checks: %s", exc)
        return {}


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


class Checker:
    """Fetches listing pages politely (one client, a pause between two requests to the same host)."""

    def __init__(self, settings, parsers: dict[str, Callable] | None = None):
        self.settings = settings
        self.parsers = _parsers() if parsers is None else parsers
        politeness = settings.crawl.politeness
        self.client = httpx.Client(headers={"User-Agent": politeness.user_agent}, follow_redirects=True,
                                   timeout=settings.evidence.liveness_timeout_s)
        self.max_bytes = politeness.max_page_bytes
        self.last_hit: dict[str, float] = {}
        self.warc = WarcWriter(settings.storage.data_path, settings.storage.warc_max_bytes)

    def close(self) -> None:
        self.client.close()
        self.warc.close()

    def _pause(self, host: str) -> None:
        delay = self.settings.evidence.liveness_delay_s
        last = self.last_hit.get(host)
        if last is not None and delay:
            wait = delay - (time.monotonic() - last)
            if wait > 0:
                time.sleep(wait)
        self.last_hit[host] = time.monotonic()

    def check(self, session, listing: Listing, now: dt.datetime) -> Outcome:
        self._pause(urlsplit(listing.url).netloc)
        address = recheck_url(listing.platform, listing.url)
        try:
            with self.client.stream("GET", address) as response:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        return Outcome(None, response.status_code, False, f"page larger than {self.max_bytes} bytes")
                status, headers, final_url = response.status_code, list(response.headers.items()), str(response.url)
        except httpx.HTTPError as exc:
            return Outcome(None, None, False, f"inconclusive: {type(exc).__name__}: {exc}")
        ref = self.warc.write_response(final_url, status, headers, body, now)
        session.add(Capture(listing_id=listing.id, kind="liveness", url=final_url, status_code=status,
                            content_type=response.headers.get("content-type"), warc_path=ref.path,
                            warc_offset=ref.offset, warc_length=ref.length, warc_record_id=ref.record_id,
                            sha256=ref.sha256, fetched_at=now))
        if status in GONE_STATUSES:
            return Outcome(False, status, False, f"HTTP {status}")
        if status >= 400:
            return Outcome(None, status, False, f"inconclusive: HTTP {status}")
        parse = self.parsers.get(listing.platform)
        if parse is None:
            return Outcome(True, status, False, "online (no parser for this platform: content not compared)")
        try:
            result = parse(body, final_url)
        except Exception as exc:  # noqa: BLE001 - ParseError or a parser bug: the page is there but unreadable
            return Outcome(None, status, False, f"inconclusive: page not understood ({exc})")
        if result.kind == "empty":
            return Outcome(False, status, False, "the platform shows the ad as removed")
        if result.kind == "blocked":
            return Outcome(None, status, False, f"inconclusive: blocked ({result.block_reason})")
        item = next((i for i in result.items if str(i.platform_listing_id) == listing.platform_listing_id), None)
        if result.kind != "listing" or item is None:
            return Outcome(False, status, False, f"the address now shows a {result.kind} page, not the ad")
        fields = item.to_store_fields()
        fields.setdefault("platform", listing.platform)
        upsert = upsert_listing(session, fields, now)
        return Outcome(True, status, upsert.status == "changed",
                       "online, content changed" if upsert.status == "changed" else "online, unchanged")


def liveness_step(ctx) -> dict[str, Any]:
    """Pipeline step: re-check every flagged or confirmed listing once a day until it is gone."""
    settings = ctx.settings
    if not settings.evidence.liveness_enabled:
        return {"checked": 0, "skipped": "evidence.liveness_enabled is false"}
    return outside_event_loop(check_listings, settings, ctx.store, now=ctx.now, operator=ctx.operator)


def check_listings(settings, store, *, now: dt.datetime | None = None, operator: str = "saigawatch",
                   parsers: dict[str, Callable] | None = None) -> dict[str, Any]:
    now = now or utcnow()
    day_start = now.astimezone(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    stats: dict[str, Any] = {"checked": 0, "online": 0, "removed": 0, "changed": 0, "recaptured": 0,
                             "inconclusive": 0, "seen_by_crawl": 0, "errors": [], "removed_listing_ids": []}
    with store.session() as session:
        todo = [x.id for x in listings_to_check(session, settings, day_start)][:settings.evidence.liveness_max_per_run]
    checker = Checker(settings, parsers)
    browser = BrowserSession(settings.browser)
    try:
        for listing_id in todo:
            try:
                recapture = _check_one(settings, store, checker, listing_id, now, day_start, stats)
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
        checker.close()
        browser.close()
    return stats


def _check_one(settings, store, checker: Checker, listing_id: int, now: dt.datetime, day_start: dt.datetime,
               stats: dict[str, Any]) -> bool:
    """Check one listing and record it; True when its content changed since its last capture."""
    with store.session() as session:
        listing = session.get(Listing, listing_id)
        if listing.last_seen >= day_start:
            outcome = Outcome(True, None, False, "seen online by today's crawl")
            stats["seen_by_crawl"] += 1
        else:
            outcome = checker.check(session, listing, now)
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
