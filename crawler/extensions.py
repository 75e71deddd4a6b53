"""Scrapy extension recording one SourceRun per source and its summary in CrawlRun.stats."""
from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from sqlalchemy import select

from crawler import runtime
from store.models import CrawlRun, Source, SourceRun

log = logging.getLogger("saigawatch.crawler")

PROGRESS_EVERY = 25  # pages between SourceRun updates (so a killed crawl still shows its progress)
SUMMARY_KEYS = ("pages_fetched", "listings_seen", "listings_new", "listings_changed", "listings_unchanged",
                "listings_touched", "listings_removed", "images_stored", "errors")


def _jsonable_stats(stats: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, (int, float, str, bool)) or value is None:
            out[key] = value
        elif hasattr(value, "isoformat"):
            out[key] = value.isoformat()
        else:
            out[key] = str(value)
    return out


def source_summary(stats: dict[str, Any], spider) -> dict[str, Any]:
    """The per-source numbers notifications and health checks read."""
    get = lambda key: int(stats.get(key, 0) or 0)  # noqa: E731
    return {
        "platform": getattr(spider, "platform", None),
        "status": getattr(spider, "status", "ok"),
        "status_detail": getattr(spider, "status_detail", None),
        "pages_fetched": get("pages/fetched"),
        "listings_seen": len(getattr(spider, "seen_ids", ())),
        "listings_new": get("listings/new"),
        "listings_changed": get("listings/changed"),
        "listings_unchanged": get("listings/unchanged"),
        "listings_touched": get("listings/seen_unchanged"),
        "listings_removed": get("listings/removed"),
        "listings_rechecked": get("listings/rechecked"),
        "images_stored": get("images/stored"),
        "errors": int(getattr(spider, "error_count", 0)),
        "markup_zero_items": get("markup/search/zero_items"),
        "fields_missing": {k.split("/")[1]: v for k, v in stats.items()
                           if k.startswith("field/") and k.endswith("/missing")},
    }


class SourceRunRecorder:
    """Creates the SourceRun when a source starts, updates it as pages arrive and closes it with a status."""

    def __init__(self, crawler, rt: runtime.CrawlRuntime):
        self.crawler = crawler
        self.rt = rt
        self.source_run_id: int | None = None
        self.pages = 0

    @classmethod
    def from_crawler(cls, crawler):
        rt = runtime.of_crawler(crawler)
        if rt is None or rt.store is None or rt.crawl_run_id is None:
            raise NotConfigured("no crawl run to record into")
        ext = cls(crawler, rt)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    def spider_opened(self, spider) -> None:
        source = spider.source
        now = self.rt.clock.now()
        with self.rt.store.session() as session:
            row = session.scalars(select(Source).where(Source.name == source.name)).one_or_none()
            if row is None:
                row = Source(name=source.name, created_at=now)
                session.add(row)
            row.platform = source.platform
            row.kind = source.kind
            row.target = ", ".join(source.queries or source.channels)
            row.language = source.language
            row.enabled = source.enabled
            run = SourceRun(crawl_run_id=self.rt.crawl_run_id, source_name=source.name, platform=source.platform,
                            started_at=now, status="running", stats={})
            session.add(run)
            session.flush()
            self.source_run_id = run.id
        self.rt.emit({"event": "source_start", "source": source.name, "platform": source.platform})

    def response_received(self, response, request, spider) -> None:
        self.pages += 1
        if self.pages % PROGRESS_EVERY == 0 and self.source_run_id is not None:
            stats = self.crawler.stats.get_stats()
            with self.rt.store.session() as session:
                run = session.get(SourceRun, self.source_run_id)
                if run is not None:
                    run.pages_fetched = int(stats.get("pages/fetched", 0))
                    run.listings_new = int(stats.get("listings/new", 0))
                    run.listings_changed = int(stats.get("listings/changed", 0))
            self.rt.emit({"event": "progress", "source": spider.source.name, "pages": self.pages})

    def spider_closed(self, spider, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        summary = source_summary(stats, spider)
        status = spider.status
        if status == "ok":
            if reason not in ("finished",):
                status = "interrupted" if reason in ("shutdown", "cancelled") else "error"
                spider.status_detail = spider.status_detail or f"crawl ended: {reason}"
            elif summary["pages_fetched"] == 0 and summary["errors"]:
                status = "error"
                spider.status_detail = spider.status_detail or "no page could be fetched"
        summary["status"] = status
        summary["status_detail"] = spider.status_detail
        now = self.rt.clock.now()
        with self.rt.store.session() as session:
            run = session.get(SourceRun, self.source_run_id) if self.source_run_id else None
            if run is not None:
                run.finished_at = now
                run.status = status
                run.status_detail = spider.status_detail
                run.pages_fetched = summary["pages_fetched"]
                run.listings_seen = summary["listings_seen"]
                run.listings_new = summary["listings_new"]
                run.listings_changed = summary["listings_changed"]
                run.errors_count = summary["errors"]
                run.stats = {"summary": summary, "scrapy": _jsonable_stats(stats), "errors": list(spider.errors),
                             "close_reason": reason}
            crawl = session.get(CrawlRun, self.rt.crawl_run_id)
            if crawl is not None:
                crawl.stats = {**(crawl.stats or {}), spider.source.name: summary}
                if status in ("blocked", "error"):
                    crawl.errors = [*(crawl.errors or []), {"step": "crawl", "source": spider.source.name,
                                                            "status": status, "error": spider.status_detail}]
        self.rt.emit({"event": "source_done", "source": spider.source.name, **summary})
        log.info("source %s: %s, %d pages, %d new, %d changed, %d removed, %d errors", spider.source.name, status,
                 summary["pages_fetched"], summary["listings_new"], summary["listings_changed"],
                 summary["listings_removed"], summary["errors"])
