"""Write crawled listings and sellers without duplicates, keeping a version per content change."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Listing, ListingVersion, Seller, utcnow

CONTENT_FIELDS = ("title", "text", "price", "currency", "location")


def sha256_of(data: bytes) -> str:
    """The project's hash notation: 'sha256:<hex>'."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def content_hash(fields: dict[str, Any]) -> str:
    """Hash of the fields whose change makes a new ListingVersion (an auction lot's bid count too)."""
    payload = {k: fields.get(k) for k in CONTENT_FIELDS}
    if fields.get("bids_count") is not None:  # only lots carry it, so other listings keep their hashes
        payload["bids_count"] = fields["bids_count"]
    return sha256_of(json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8"))


def _load_into(session: Session, into: dict, model, id_column, keys: list[tuple[str, str]]) -> None:
    """Fill `into` {(platform, platform id): row} with the stored rows of `model` among `keys`, 500 ids a query."""
    for platform in {p for p, _ in keys}:
        ids = sorted({pid for p, pid in keys if p == platform})
        for start in range(0, len(ids), 500):
            for row in session.scalars(select(model).where(model.platform == platform,
                                                           id_column.in_(ids[start:start + 500]))):
                into[(platform, getattr(row, id_column.key))] = row


@dataclass
class UpsertCache:
    """The stored sellers and listings a batch of items touches, loaded in a few queries.

    Given to upsert_listing/upsert_seller/touch_listing, it replaces their per-item lookups and flushes:
    the caller flushes once for the whole batch (new rows get their ids then).
    """

    sellers: dict[tuple[str, str], Seller]
    listings: dict[tuple[str, str], Listing]

    @classmethod
    def load(cls, session: Session, listing_keys: list[tuple[str, str]],
             seller_keys: list[tuple[str, str]]) -> "UpsertCache":
        cache = cls(dict.fromkeys(seller_keys), dict.fromkeys(listing_keys))  # None: not stored yet
        _load_into(session, cache.listings, Listing, Listing.platform_listing_id, listing_keys)
        _load_into(session, cache.sellers, Seller, Seller.platform_seller_id, seller_keys)
        return cache

    def listing(self, session: Session, platform: str, pid: str) -> Listing | None:
        if (platform, pid) not in self.listings:  # not announced to load(): look it up once
            self.listings[(platform, pid)] = session.scalars(select(Listing).where(
                Listing.platform == platform, Listing.platform_listing_id == pid)).one_or_none()
        return self.listings[(platform, pid)]

    def seller(self, session: Session, platform: str, seller_id: str) -> Seller | None:
        if (platform, seller_id) not in self.sellers:
            self.sellers[(platform, seller_id)] = session.scalars(select(Seller).where(
                Seller.platform == platform, Seller.platform_seller_id == seller_id)).one_or_none()
        return self.sellers[(platform, seller_id)]


@dataclass
class UpsertResult:
    listing: Listing
    status: Literal["new", "changed", "unchanged"]


def upsert_seller(session: Session, platform: str, seller_id: str, name: str | None = None,
                  url: str | None = None, phones: list[str] | None = None,
                  handles: list[str] | None = None, now: dt.datetime | None = None,
                  cache: UpsertCache | None = None) -> Seller:
    """Find or create a seller by (platform, id); merge name, phones and handles."""
    now = now or utcnow()
    if cache is not None:
        seller = cache.seller(session, platform, seller_id)
    else:
        seller = session.scalars(
            select(Seller).where(Seller.platform == platform, Seller.platform_seller_id == seller_id)
        ).one_or_none()
    if seller is None:
        seller = Seller(platform=platform, platform_seller_id=seller_id, first_seen=now, last_seen=now,
                        phones=[], handles=[])
        session.add(seller)
        if cache is not None:
            cache.sellers[(platform, seller_id)] = seller
    if name:
        seller.name = name
    if url:
        seller.url = url
    if phones:
        seller.phones = sorted(set(seller.phones or []) | set(phones))
    if handles:
        seller.handles = sorted(set(seller.handles or []) | set(handles))
    seller.last_seen = max(seller.last_seen, now)
    return seller


def upsert_listing(session: Session, fields: dict[str, Any], now: dt.datetime | None = None,
                   cache: UpsertCache | None = None) -> UpsertResult:
    """Insert or update a listing by (platform, platform_listing_id).

    `fields` holds Listing column names (plus optional seller_* keys). A new listing or a content
    change adds a ListingVersion; an unchanged one only moves last_seen. A listing seen again after
    being marked removed is live again (removed_at cleared). With a `cache` (a batch of items) nothing
    is flushed: the caller flushes once, and only then do new rows have ids.
    """
    now = now or utcnow()
    fields = dict(fields)
    ended = fields.pop("ended", None)
    seller_key = fields.pop("seller_platform_id", None)
    seller_name = fields.pop("seller_name", None)
    seller_url = fields.pop("seller_url", None)
    platform, pid = fields["platform"], str(fields["platform_listing_id"])
    fields["platform_listing_id"] = pid
    chash = content_hash(fields)
    seller = None
    if seller_key:
        seller = upsert_seller(session, platform, str(seller_key), seller_name, seller_url,
                               fields.get("phones"), fields.get("handles"), now, cache=cache)
        if cache is None:
            session.flush()
            fields["seller_id"] = seller.id
    if cache is not None:
        listing = cache.listing(session, platform, pid)
    else:
        listing = session.scalars(
            select(Listing).where(Listing.platform == platform, Listing.platform_listing_id == pid)
        ).one_or_none()
    if listing is None:
        listing = Listing(**fields, content_hash=chash, first_seen=now, last_seen=now, last_checked_at=now,
                          ended_at=now if ended else None)
        if seller is not None and cache is not None:
            listing.seller = seller
        session.add(listing)
        listing.versions.append(_version(fields, chash, now))
        if cache is not None:
            cache.listings[(platform, pid)] = listing
        else:
            session.flush()
        return UpsertResult(listing, "new")
    for key, value in fields.items():
        if key in ("first_seen",):
            continue
        if value is None and key not in CONTENT_FIELDS:
            continue  # a card without seller or date does not erase what the ad page gave
        if key == "extra":
            value = {**(listing.extra or {}), **value}
        setattr(listing, key, value)
    if seller is not None and cache is not None:
        listing.seller = seller
    listing.last_seen = max(listing.last_seen, now)
    listing.last_checked_at = now
    listing.removed_at = None
    if ended and listing.ended_at is None:
        listing.ended_at = now  # the lot's bidding is over; its page is still there (not removed)
    status: Literal["changed", "unchanged"] = "unchanged"
    if chash != listing.content_hash:
        listing.content_hash = chash
        listing.versions.append(_version(fields, chash, now))
        status = "changed"
    if cache is None:
        session.flush()
    return UpsertResult(listing, status)


def touch_listing(session: Session, platform: str, pid: str, now: dt.datetime | None = None,
                  cache: UpsertCache | None = None) -> Listing | None:
    """Mark a listing as seen again (its search card did not change) without refetching it."""
    now = now or utcnow()
    if cache is not None:
        listing = cache.listing(session, platform, str(pid))
    else:
        listing = session.scalars(
            select(Listing).where(Listing.platform == platform, Listing.platform_listing_id == str(pid))
        ).one_or_none()
    if listing is not None:
        listing.last_seen = max(listing.last_seen, now)
        listing.removed_at = None
    return listing


def mark_removed(session: Session, listing: Listing, now: dt.datetime | None = None) -> None:
    """Record that a listing's page is gone."""
    now = now or utcnow()
    listing.last_checked_at = now
    if listing.removed_at is None:
        listing.removed_at = now


def _version(fields: dict[str, Any], chash: str, now: dt.datetime) -> ListingVersion:
    return ListingVersion(
        seen_at=now,
        content_hash=chash,
        title=fields.get("title") or "",
        text=fields.get("text") or "",
        price=fields.get("price"),
        currency=fields.get("currency"),
        location=fields.get("location"),
        bids_count=fields.get("bids_count"),
    )
