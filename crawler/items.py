"""Typed items the spiders and parsers yield: one ListingItem per ad or post."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class ListingItem:
    """An ad or post as extracted from a page; field names follow store.models.Listing."""

    platform: str
    platform_listing_id: str
    url: str
    title: str = ""
    text: str = ""
    price: float | None = None
    currency: str | None = None
    price_text: str | None = None
    location: str | None = None
    seller_platform_id: str | None = None
    seller_name: str | None = None
    seller_url: str | None = None
    phones: list[str] = field(default_factory=list)  # E.164
    handles: list[str] = field(default_factory=list)  # @name
    posted_at: dt.datetime | None = None  # timezone-aware UTC
    refreshed_at: dt.datetime | None = None
    photo_urls: list[str] = field(default_factory=list)
    language: str | None = None  # the site's language label, not detection
    source_name: str | None = None  # set by the spider
    search_url: str | None = None  # the search or channel page that surfaced it
    is_card: bool = False  # True when built from a search card, not the full ad page
    card_hash: str | None = None  # card_fingerprint() of the search card that led to this ad (set by the spider)
    extra: dict[str, Any] = field(default_factory=dict)  # views, edited, forwarded_from, links, documents...
    # auction lots (the `site` platform): when bidding ends, how many bids, and whether the site shows it ended
    ends_at: dt.datetime | None = None
    bids_count: int | None = None
    ended: bool | None = None

    def card_fingerprint(self) -> str:
        """What a search card tells about the ad (title, price, refresh time): unchanged means no refetch."""
        from store.listings import sha256_of

        refreshed = self.refreshed_at.isoformat() if self.refreshed_at else ""
        bids = f"\x1f{self.bids_count}" if self.bids_count is not None else ""  # auction cards: a new bid...
        bids += "\x1fended" if self.ended else ""  # ... or the end of bidding
        return sha256_of(f"{self.title}\x1f{self.price_text or self.price}\x1f{refreshed}{bids}".encode("utf-8"))

    def to_store_fields(self) -> dict[str, Any]:
        """Column values for store.listings.upsert_listing (photo URLs go to Image rows separately)."""
        # Shallow copies, not asdict(): its deep copy of `extra` was a third of the store pipeline's time.
        data = {name: getattr(self, name) for name in _STORE_FIELDS}
        data.update(phones=list(self.phones), handles=list(self.handles), extra=dict(self.extra))
        return data

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO 8601) for `saigawatch parse`."""
        data = asdict(self)
        for key in ("posted_at", "refreshed_at", "ends_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return data


_STORE_FIELDS = tuple(f.name for f in fields(ListingItem) if f.name not in ("photo_urls", "is_card"))


@dataclass
class ListingSeen:
    """A stored listing showed up again with an unchanged search card: only last_seen moves, no refetch."""

    platform: str
    platform_listing_id: str
    source_name: str | None = None


@dataclass
class ListingGone:
    """A listing's page is gone (404/410 or the platform's "ad removed" page): mark it removed."""

    platform: str
    platform_listing_id: str
    url: str
    reason: str
