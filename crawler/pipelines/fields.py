"""Check every full item for the fields its platform must have; count gaps in stats, never drop silently."""
from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.items import ListingItem

MAX_FIELD_ERRORS_KEPT = 20


class FieldCheckPipeline:
    """`field/<name>/missing` for each required field absent on an ad page (a markup-change signal)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.kept = 0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item, spider=None):
        spider = spider or self.crawler.spider
        if not isinstance(item, ListingItem):
            return item
        stats = self.crawler.stats
        if not item.platform_listing_id or not item.url:
            stats.inc_value("field/id/missing")
            raise DropItem(f"item without platform id or url from {item.search_url or '?'}: cannot be stored")
        if item.is_card:
            return item
        missing = [name for name in getattr(spider, "required_fields", ("title",)) if _missing(item, name)]
        for name in missing:
            stats.inc_value(f"field/{name}/missing")
        if missing:
            stats.inc_value("field/items_with_missing")
            if self.kept < MAX_FIELD_ERRORS_KEPT and hasattr(spider, "record_error"):
                self.kept += 1
                spider.record_error("field_missing", item.url, f"missing {', '.join(missing)} (markup change?)")
        return item


def _missing(item: ListingItem, name: str) -> bool:
    """A price shown as words («Договорная», «Бесплатно») is present; only an absent price is missing."""
    if name == "price":
        return item.price is None and not item.price_text
    return getattr(item, name, None) in (None, "", [])
