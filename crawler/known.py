"""What the store already knows about a platform's listings, for incremental crawls and removal checks."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Listing
from store.work import PHOTOS, owed_listing_ids


@dataclass(frozen=True)
class KnownListing:
    platform_listing_id: str
    url: str
    card_hash: str | None
    source_name: str | None
    removed: bool
    last_seen: dt.datetime
    last_checked_at: dt.datetime | None
    ended: bool = False  # an auction lot whose bidding is over: its page stays, it is not re-checked for removal
    photos_pending: bool = False  # a crawl stopped before fetching its photos: open the ad page again


class KnownListings(dict[str, KnownListing]):
    """platform_listing_id → KnownListing for one platform (empty when crawling without a store)."""

    @classmethod
    def load(cls, session: Session, platform: str) -> "KnownListings":
        rows = session.execute(
            select(Listing.id, Listing.platform_listing_id, Listing.url, Listing.card_hash, Listing.source_name,
                   Listing.removed_at, Listing.last_seen, Listing.last_checked_at, Listing.ended_at)
            .where(Listing.platform == platform)
        )
        pending = set(owed_listing_ids(session, PHOTOS))
        known = cls()
        for lid, pid, url, card_hash, source_name, removed_at, last_seen, last_checked, ended_at in rows:
            known[pid] = KnownListing(pid, url, card_hash, source_name, removed_at is not None, last_seen, last_checked,
                                      ended_at is not None, lid in pending)
        return known

    def unchanged(self, pid: str, card_hash: str) -> bool:
        """True when this listing is stored live with the same search-card fingerprint."""
        row = self.get(pid)
        return row is not None and not row.removed and row.card_hash == card_hash and not row.photos_pending

    def missing(self, source_name: str, seen: set[str], checked_before: dt.datetime) -> list[KnownListing]:
        """Live listings of this source not seen in this run's results and not re-checked since `checked_before`
        (or still owed their photos)."""
        out = [row for row in self.values()
               if row.source_name == source_name and not row.removed and not row.ended
               and row.platform_listing_id not in seen
               and (row.last_checked_at is None or row.last_checked_at <= checked_before or row.photos_pending)]
        out.sort(key=lambda r: r.last_seen)
        return out
