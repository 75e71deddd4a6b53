"""Daily re-checks: online and unchanged, changed (captured again), removed (time recorded, then no more checks)."""
import datetime as dt
import re

from sqlalchemy import select

from alerts.evidence.capture import run_capture
from alerts.evidence.liveness import check_listings, liveness_step
from crawler.items import ListingItem
from crawler.parsers import ParseResult
from saigawatch.pipeline import PipelineContext
from store.listings import upsert_listing
from store.models import Capture, EvidenceCapture, Listing, LivenessCheck, Review
from tests.alerts.evidence.conftest import make_settings
from tests.alerts.evidence.helpers import store_listing

DAY = dt.timedelta(days=1)


def parse_test_page(body: bytes, url: str) -> ParseResult:
    """The loopback site's listing page, read like a platform parser would."""
    html = body.decode("utf-8")
    title = re.search(r'<h1 class="title">(.*?)</h1>', html)
    if not title:
        return ParseResult(kind="empty")
    price = re.search(r'<div class="price">(\d+)', html)
    text = re.search(r'<p class="text">(.*?)</p>', html)
    pid = url.rstrip("/").rsplit("/", 1)[-1]
    return ParseResult(kind="listing", items=[ListingItem(
        platform="olx", platform_listing_id=pid, url=url, title=title.group(1), text=text.group(1),
        price=float(price.group(1)), currency="KZT", location="Алматы")])


def test_recheck_until_gone(tmp_path, signing_key, site, store):
    settings = make_settings(tmp_path, signing_key, steps=["warc", "environment", "sign"], liveness_delay_s=0)
    start = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)
    lid = store_listing(store, settings, site, "LIVE-1", now=start)
    with store.session() as session:  # the crawl stored what the parser reads from the page
        page = site.pages["/d/LIVE-1"][2]
        upsert_listing(session, parse_test_page(page, f"{site.base_url}/d/LIVE-1").items[0].to_store_fields(), start)
    run_capture(settings, store, lid, operator="bot", now=start)
    parsers = {"olx": parse_test_page}

    day1 = check_listings(settings, store, now=start + DAY, parsers=parsers)
    assert day1["checked"] == 1 and day1["online"] == 1 and day1["recaptured"] == 0, day1
    assert check_listings(settings, store, now=start + DAY + dt.timedelta(hours=2), parsers=parsers)["checked"] == 0

    site.put_listing("LIVE-1", "Рога сайги, пара", text="Продаю рога сайги, теперь дешевле", price="120000")
    day2 = check_listings(settings, store, now=start + 2 * DAY, parsers=parsers)
    assert day2["changed"] == 1 and day2["recaptured"] == 1, day2

    site.pages["/d/LIVE-1"] = (404, "text/html", b"<h1>Not found</h1>")
    day3 = check_listings(settings, store, now=start + 3 * DAY, parsers=parsers)
    assert day3["removed"] == 1 and day3["removed_listing_ids"] == [lid], day3
    assert check_listings(settings, store, now=start + 4 * DAY, parsers=parsers)["checked"] == 0

    with store.session() as session:
        listing = session.get(Listing, lid)
        assert listing.removed_at == start + 3 * DAY
        assert listing.price == 120000.0
        checks = session.scalars(select(LivenessCheck).where(LivenessCheck.listing_id == lid)
                                 .order_by(LivenessCheck.id)).all()
        assert [(c.online, c.content_changed, c.status_code) for c in checks] == [
            (True, False, 200), (True, True, 200), (False, False, 404)]
        captures = session.scalars(select(EvidenceCapture).where(EvidenceCapture.listing_id == lid)
                                   .order_by(EvidenceCapture.id)).all()
        assert [c.reason for c in captures] == ["flagged", "changed"]
        assert captures[1].steps["warc"]["status"] == "ok"
        kinds = session.scalars(select(Capture.kind).where(Capture.listing_id == lid)).all()
        assert kinds.count("liveness") == 3  # every re-check response is kept as WARC


def test_confirmed_not_trade_and_stale_flags(tmp_path, signing_key, site, sqlite_store):
    settings = make_settings(tmp_path, signing_key, steps=["warc", "sign"], liveness_delay_s=0,
                             liveness_confirmed_only_after_days=5)
    old = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
    now = dt.datetime(2026, 11, 24, 6, tzinfo=dt.timezone.utc)
    stale = store_listing(sqlite_store, settings, site, "OLD-1", now=old)
    confirmed = store_listing(sqlite_store, settings, site, "OLD-2", now=old, flagged=False)
    rejected = store_listing(sqlite_store, settings, site, "OLD-3", now=now - 2 * DAY)
    with sqlite_store.session() as session:
        session.add(Review(listing_id=confirmed, analyst="a", decision="sale", created_at=old))
        session.add(Review(listing_id=rejected, analyst="a", decision="not_trade", created_at=now - DAY))
    stats = check_listings(settings, sqlite_store, now=now, parsers={})
    assert stats["checked"] == 1 and stats["online"] == 1, stats  # only the confirmed one
    with sqlite_store.session() as session:
        checked = session.scalars(select(LivenessCheck.listing_id)).all()
        assert checked == [confirmed] and stale not in checked


def test_unreachable_page_is_inconclusive_not_removed(tmp_path, signing_key, sqlite_store, site):
    settings = make_settings(tmp_path, signing_key, steps=["sign"], liveness_delay_s=0, liveness_timeout_s=2)
    start = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    lid = store_listing(sqlite_store, settings, site, "DOWN-1", now=start)
    with sqlite_store.session() as session:
        session.get(Listing, lid).url = "http://127.0.0.1:9/d/DOWN-1"
    ctx = PipelineContext(settings=settings, store=sqlite_store, crawl_run_id=1, run_day="2026-11-21",
                          now=start + DAY)
    stats = liveness_step(ctx)
    assert stats["inconclusive"] == 1 and stats["removed"] == 0
    with sqlite_store.session() as session:
        assert session.get(Listing, lid).removed_at is None
        assert "inconclusive" in session.scalars(select(LivenessCheck.detail)).one()
