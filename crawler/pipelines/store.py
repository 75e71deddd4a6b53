"""Store every crawled item: listings upserted, unchanged ones touched, vanished ones marked removed."""
from __future__ import annotations

import logging

from scrapy.exceptions import DropItem, NotConfigured
from sqlalchemy import update

from crawler import runtime
from crawler.items import ListingGone, ListingItem, ListingSeen
from crawler.pipelines.batch import StoreBatch
from store.listings import UpsertCache, mark_removed, touch_listing, upsert_listing
from store.models import Capture
from store.work import PHOTOS, owe

log = logging.getLogger("saigawatch.crawler")


def store_runtime(crawler) -> runtime.CrawlRuntime:
    """The crawler's runtime if it has a store; NotConfigured (the component stays off) otherwise."""
    rt = runtime.of_crawler(crawler)
    if rt is None or rt.store is None:
        raise NotConfigured("no store configured for this crawl")
    return rt


class StorePipeline:
    """ListingItem → upsert (new/changed/unchanged); ListingSeen → last_seen; ListingGone → removed_at.

    Items are written in batches (crawler.pipelines.batch): process_item returns once its batch is committed,
    so the pipelines after this one see the listing id.
    """

    def __init__(self, crawler, rt: runtime.CrawlRuntime):
        self.crawler = crawler
        self.rt = rt
        self.batch = StoreBatch.of(crawler, rt.store, self._write)
        # photos are owed in the listing's own transaction, so a crawl killed before fetching them leaves
        # "photos pending" for the next crawl (ImagesPipeline settles it)
        self.photos_wanted = (crawler.settings.getbool("SAIGAWATCH_DOWNLOAD_IMAGES", True)
                              and crawler.settings.getint("SAIGAWATCH_MAX_PHOTOS", 10) > 0)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, store_runtime(crawler))

    async def process_item(self, item, spider=None):
        if not isinstance(item, (ListingItem, ListingSeen, ListingGone)):
            return item
        key = (item.platform, str(item.platform_listing_id))
        seller = getattr(item, "seller_platform_id", None)
        seller_key = (item.platform, str(seller)) if seller else None
        try:
            await self.batch.add_item(item, key, seller_key)
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

    def _write(self, session, item, cache: UpsertCache):
        """Stage one item in the batch's session; returns the hook that runs once the batch is flushed."""
        stats = self.crawler.stats
        now = self.rt.clock.now()
        if isinstance(item, ListingSeen):
            listing = touch_listing(session, item.platform, item.platform_listing_id, now, cache=cache)
            key = "listings/seen_unchanged" if listing is not None else "listings/seen_unknown"
            return lambda: (lambda: stats.inc_value(key))
        if isinstance(item, ListingGone):
            listing = cache.listing(session, item.platform, str(item.platform_listing_id))
            was_live = False
            if listing is not None:
                was_live = listing.removed_at is None
                mark_removed(session, listing, now)
                listing.extra = {**(listing.extra or {}), "removed_reason": item.reason}

            def gone_after_commit() -> None:
                if was_live:
                    stats.inc_value("listings/removed")
                    log.info("listing %s %s is gone (%s): marked removed", item.platform,
                             item.platform_listing_id, item.reason)
            return lambda: gone_after_commit
        fields = item.to_store_fields()
        if item.is_card:
            stored = cache.listing(session, item.platform, str(item.platform_listing_id))
            if stored is not None and stored.text and not fields.get("text"):
                fields["text"] = stored.text  # a card never erases the ad text fetched earlier
        result = upsert_listing(session, fields, now, cache=cache)
        capture = item.__dict__.get("_sw_capture")
        link = capture is not None and item.__dict__.get("_sw_kind") in ("listing", "recheck")

        def after_flush():
            listing_id = result.listing.id
            if link and capture.id is not None:
                if capture in session:
                    if capture.listing_id is None:
                        capture.listing_id = listing_id
                else:
                    session.execute(update(Capture).where(Capture.id == capture.id, Capture.listing_id.is_(None))
                                    .values(listing_id=listing_id))
            item.__dict__["_sw_capture_id"] = capture.id if capture is not None else None
            if item.photo_urls and self.photos_wanted:
                owe(session, PHOTOS, listing_id)  # in the listing's own commit: "photos pending"

            def after_commit() -> None:
                item.__dict__["_sw_listing_id"] = listing_id
                item.__dict__["_sw_store_status"] = result.status
                stats.inc_value(f"listings/{result.status}")
                stats.inc_value("listings/stored")
            return after_commit
        return after_flush
