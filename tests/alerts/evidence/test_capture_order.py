"""Auction lots are captured before they end: flagged lots that end soonest come first in a run's captures."""
from __future__ import annotations

import datetime as dt

from alerts.evidence.capture import _listings_to_capture
from store.listings import upsert_listing
from store.models import Classification

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)


def test_lots_ending_soonest_are_captured_first(sqlite_store, settings):
    ids = {}
    with sqlite_store.session() as session:
        for pid, ends in (("plain", None), ("late", NOW + dt.timedelta(days=5)), ("soon", NOW + dt.timedelta(hours=3))):
            listing = upsert_listing(session, {"platform": "violity", "platform_listing_id": pid, "url": f"https://v/{pid}",
                                               "title": f"рог сайгака {pid}", "ends_at": ends, "bids_count": 1}, NOW).listing
            session.add(Classification(listing_id=listing.id, content_hash=listing.content_hash, model_version="t",
                                       score=0.9, flagged=True, language="ru", intent="sell", category="horn",
                                       matched_terms=[], explanation={}))
            ids[pid] = listing.id
    todo, skipped = _listings_to_capture(settings, sqlite_store, [ids["plain"], ids["late"], ids["soon"]])
    assert todo == [ids["soon"], ids["late"], ids["plain"]] and skipped == 0


def test_ended_is_not_removed_and_bids_make_versions(sqlite_store):
    with sqlite_store.session() as session:
        base = {"platform": "meshok", "platform_listing_id": "1", "url": "https://m/1", "title": "рог", "price": 100.0,
                "bids_count": 1}
        assert upsert_listing(session, base, NOW).status == "new"
        assert upsert_listing(session, {**base, "bids_count": 2}, NOW).status == "changed"
        result = upsert_listing(session, {**base, "bids_count": 2, "ended": True}, NOW + dt.timedelta(days=1))
        assert result.status == "unchanged" and result.listing.ended_at is not None
        assert result.listing.removed_at is None and [v.bids_count for v in result.listing.versions] == [1, 2]
        plain = upsert_listing(session, {"platform": "olx", "platform_listing_id": "9", "url": "u", "title": "t"}, NOW)
        assert plain.listing.ended_at is None and plain.listing.bids_count is None
