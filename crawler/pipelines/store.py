"""Store every item at once, one transaction per item, so a killed crawl keeps all it has stored."""
from __future__ import annotations

import logging

from scrapy.exceptions import DropItem, NotConfigured
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from crawler import runtime
from crawler.items import ListingGone, ListingItem, ListingSeen
from store.listings import mark_removed, touch_listing, upsert_listing
from store.models import Capture, Listing
from store.work import PHOTOS, owe

log = logging.getLogger("saigawatch.crawler")


def store_runtime(crawler) -> runtime.CrawlRuntime:
    """The crawler's runtime if it has a store; NotConfigured (the component stays off) otherwise."""
    rt = runtime.of_crawler(crawler)
    if rt is None or rt.store is None:
        raise NotConfigured("no store configured for this crawl")
    return rt


class StorePipeline:
    """ListingItem → upsert (new/changed/unchanged); ListingSeen → last_seen; ListingGone → removed_at."""

    def __init__(self, crawler, rt: runtime.CrawlRuntime):
        self.crawler = crawler
        self.rt = rt
        # photos are owed in the listing's own transaction, so a crawl killed before fetching them leaves
        # "photos pending" for the next crawl (ImagesPipeline settles it)
        self.photos_wanted = (crawler.settings.getbool("SAIGAWATCH_DOWNLOAD_IMAGES", True)
                              and crawler.settings.getint("SAIGAWATCH_MAX_PHOTOS", 10) > 0)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, store_runtime(crawler))

    def process_item(self, item, spider=None):
        for attempt in range(3):
            try:
                return self._store(item)
            except (IntegrityError, OperationalError) as exc:  # a concurrent writer or a busy database
                if attempt == 2:
                    return self._fail(item, exc)
                log.info("store retry after %s", type(exc).__name__)
            except Exception as exc:  # noqa: BLE001 - one bad item must not stop the crawl
                return self._fail(item, exc)
        return item

    def _fail(self, item, exc: Exception):
        self.crawler.stats.inc_value("errors/store")
        spider = self.crawler.spider
        url = getattr(item, "url", "") or getattr(item, "platform_listing_id", "?")
        if hasattr(spider, "record_error"):
            spider.record_error("store", url, f"{type(exc).__name__}: {exc}")
        raise DropItem(f"could not store {url}: {exc}")

    def _store(self, item):
        stats = self.crawler.stats
        now = self.rt.clock.now()
        if isinstance(item, ListingSeen):
            with self.rt.store.session() as session:
                listing = touch_listing(session, item.platform, item.platform_listing_id, now)
            stats.inc_value("listings/seen_unchanged" if listing is not None else "listings/seen_unknown")
            return item
        if isinstance(item, ListingGone):
            with self.rt.store.session() as session:
                listing = session.scalars(select(Listing).where(
                    Listing.platform == item.platform, Listing.platform_listing_id == item.platform_listing_id)
                ).one_or_none()
                if listing is not None:
                    was_live = listing.removed_at is None
                    mark_removed(session, listing, now)
                    listing.extra = {**(listing.extra or {}), "removed_reason": item.reason}
                    if was_live:
                        stats.inc_value("listings/removed")
                        log.info("listing %s %s is gone (%s): marked removed", item.platform,
                                 item.platform_listing_id, item.reason)
            return item
        if not isinstance(item, ListingItem):
            return item
        fields = item.to_store_fields()
        with self.rt.store.session() as session:
            if item.is_card:
                stored = session.scalars(select(Listing).where(
                    Listing.platform == item.platform, Listing.platform_listing_id == item.platform_listing_id)
                ).one_or_none()
                if stored is not None and stored.text and not fields.get("text"):
                    fields["text"] = stored.text  # a card never erases the ad text fetched earlier
            result = upsert_listing(session, fields, now)
            capture_id = item.__dict__.get("_sw_capture_id")
            if capture_id and item.__dict__.get("_sw_kind") in ("listing", "recheck"):
                capture = session.get(Capture, capture_id)
                if capture is not None and capture.listing_id is None:
                    capture.listing_id = result.listing.id
            if item.photo_urls and self.photos_wanted:
                owe(session, PHOTOS, result.listing.id)
            item.__dict__["_sw_listing_id"] = result.listing.id
            item.__dict__["_sw_store_status"] = result.status
        stats.inc_value(f"listings/{result.status}")
        stats.inc_value("listings/stored")
        return item
