"""The store on SQLite and PostgreSQL: migrations, no duplicates, versions, sellers."""
import datetime as dt

from sqlalchemy import func, select

from store.listings import upsert_listing
from store.models import Listing, ListingVersion, Seller

T0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.timezone.utc)


def _ad(**over):
    base = dict(platform="olx", platform_listing_id="123", url="https://www.olx.kz/d/obyavlenie/x-ID123.html",
                title="Рога сайги", text="Продам рога", price=50000.0, currency="KZT", location="Атырау",
                seller_platform_id="u1", seller_name="Ерлан", phones=["+77011234567"])
    base.update(over)
    return base


def test_same_listing_twice_is_one_row(store):
    with store.session() as s:
        assert upsert_listing(s, _ad(), now=T0).status == "new"
    with store.session() as s:
        r = upsert_listing(s, _ad(), now=T0 + dt.timedelta(days=1))
        assert r.status == "unchanged"
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Listing)) == 1
        listing = s.scalars(select(Listing)).one()
        assert listing.first_seen == T0
        assert listing.last_seen == T0 + dt.timedelta(days=1)
        assert s.scalar(select(func.count()).select_from(ListingVersion)) == 1


def test_content_change_adds_version(store):
    with store.session() as s:
        upsert_listing(s, _ad(), now=T0)
    with store.session() as s:
        assert upsert_listing(s, _ad(price=45000.0), now=T0 + dt.timedelta(hours=5)).status == "changed"
    with store.session() as s:
        versions = s.scalars(select(ListingVersion).order_by(ListingVersion.id)).all()
        assert [v.price for v in versions] == [50000.0, 45000.0]
        assert versions[0].content_hash.startswith("sha256:")
        assert versions[0].content_hash != versions[1].content_hash


def test_seller_is_shared_and_phones_merge(store):
    with store.session() as s:
        upsert_listing(s, _ad(), now=T0)
        upsert_listing(s, _ad(platform_listing_id="124", phones=["+77017654321"]), now=T0)
    with store.session() as s:
        seller = s.scalars(select(Seller)).one()
        assert seller.phones == ["+77011234567", "+77017654321"]
        assert len(seller.listings) == 2


def test_timestamps_come_back_in_utc(store):
    with store.session() as s:
        upsert_listing(s, _ad(posted_at=dt.datetime(2026, 10, 30, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))), now=T0)
    with store.session() as s:
        listing = s.scalars(select(Listing)).one()
        assert listing.posted_at == dt.datetime(2026, 10, 30, 7, 0, tzinfo=dt.timezone.utc)
        assert listing.posted_at.tzinfo is not None
