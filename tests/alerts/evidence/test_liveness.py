"""Daily re-checks: online and unchanged, changed (captured again), removed (time recorded, then no more checks)."""
import datetime as dt
from pathlib import Path

from sqlalchemy import select

from alerts.evidence.capture import run_capture
from alerts.evidence.liveness import check_listings, liveness_step
from config.schema import SourceSettings
from crawler.parsers.olx import parse as parse_olx
from saigawatch.pipeline import PipelineContext
from store.listings import upsert_listing
from store.models import Capture, EvidenceCapture, Listing, LivenessCheck, Review
from tests.alerts.evidence.conftest import make_settings
from tests.alerts.evidence.helpers import store_listing

DAY = dt.timedelta(days=1)


OLX_AD = Path(__file__).resolve().parents[2] / "crawler" / "files" / "olx_ad.html"
OLX_ID = "178007920"  # the ad in the fixture page
OLX_PATH = "/d/obyavlenie/roga-saygi-2-sht-ID2xzbsg.html"


def with_olx_source(settings, site):
    """The OLX source the re-checks go through (its spider, parser, politeness), pointed at the loopback site."""
    settings.sources = [SourceSettings(name="olx-kz-ru", platform="olx", site="kz", queries=["рога сайги"],
                                       base_url=site.base_url, download_delay=0)]
    settings.crawl.download_images = False
    return settings


def serve_olx_ad(site, description: str | None = None) -> bytes:
    """The real OLX ad page markup, its links pointed at the loopback site (optionally another description)."""
    body = OLX_AD.read_text(encoding="utf-8").replace("https://www.olx.kz", site.base_url)
    if description:
        body = body.replace("Продам рога сайгака, пара", description)
    data = body.encode("utf-8")
    site.pages[OLX_PATH] = (200, "text/html; charset=utf-8", data)
    site.pages[f"/d/{OLX_ID}"] = (200, "text/html; charset=utf-8", data)
    return data


def test_recheck_until_gone(tmp_path, signing_key, site, store):
    settings = with_olx_source(make_settings(tmp_path, signing_key, steps=["warc", "environment", "sign"],
                                             liveness_delay_s=0), site)
    start = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone.utc)
    lid = store_listing(store, settings, site, OLX_ID, now=start)
    page = serve_olx_ad(site)
    with store.session() as session:  # the crawl stored what the parser reads from the page
        upsert_listing(session, parse_olx(page, f"{site.base_url}{OLX_PATH}").items[0].to_store_fields(), start)
    run_capture(settings, store, lid, operator="bot", now=start)

    day1 = check_listings(settings, store, now=start + DAY)
    assert day1["checked"] == 1 and day1["online"] == 1 and day1["recaptured"] == 0, day1
    assert check_listings(settings, store, now=start + DAY + dt.timedelta(hours=2))["checked"] == 0

    serve_olx_ad(site, "Продам рога сайгака, теперь дешевле")
    day2 = check_listings(settings, store, now=start + 2 * DAY)
    assert day2["changed"] == 1 and day2["recaptured"] == 1, day2

    site.pages[OLX_PATH] = (404, "text/html", b"<h1>Not found</h1>")
    day3 = check_listings(settings, store, now=start + 3 * DAY)
    assert day3["removed"] == 1 and day3["removed_listing_ids"] == [lid], day3
    assert check_listings(settings, store, now=start + 4 * DAY)["checked"] == 0

    with store.session() as session:
        listing = session.get(Listing, lid)
        assert start + 3 * DAY <= listing.removed_at < start + 3 * DAY + dt.timedelta(hours=1)
        assert "теперь дешевле" in listing.text
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
    assert "/robots.txt" in site.hits  # the crawler's path: robots.txt is honoured


def test_confirmed_not_trade_and_stale_flags(tmp_path, signing_key, site, sqlite_store):
    settings = with_olx_source(make_settings(tmp_path, signing_key, steps=["warc", "sign"], liveness_delay_s=0,
                                             liveness_confirmed_only_after_days=5), site)
    old = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
    now = dt.datetime(2026, 11, 24, 6, tzinfo=dt.timezone.utc)
    stale = store_listing(sqlite_store, settings, site, "OLD-1", now=old)
    confirmed = store_listing(sqlite_store, settings, site, "OLD-2", now=old, flagged=False)
    rejected = store_listing(sqlite_store, settings, site, "OLD-3", now=now - 2 * DAY)
    with sqlite_store.session() as session:
        session.add(Review(listing_id=confirmed, analyst="a", decision="sale", created_at=old))
        session.add(Review(listing_id=rejected, analyst="a", decision="not_trade", created_at=now - DAY))
    stats = check_listings(settings, sqlite_store, now=now)
    assert stats["checked"] == 1, stats  # only the confirmed one
    with sqlite_store.session() as session:
        checked = session.scalars(select(LivenessCheck.listing_id)).all()
        assert checked == [confirmed] and stale not in checked


def test_unreachable_page_is_inconclusive_not_removed(tmp_path, signing_key, sqlite_store, site):
    settings = with_olx_source(make_settings(tmp_path, signing_key, steps=["sign"], liveness_delay_s=0,
                                             liveness_timeout_s=2), site)
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
