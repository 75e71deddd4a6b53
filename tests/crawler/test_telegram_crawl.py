"""End-to-end Telegram crawls of the demo t.me: history pages, search, discovery, days, removal, OCR, blocks."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from demo_marketplace import telegram as demo_tg
from demo_marketplace.server import serve_in_thread
from demo_marketplace.telegram_posts import EPOCH, build
from crawler.ocr import tesseract_path
from store.models import ListingVersion
from tests.crawler.telegram_support import crawl, demo_settings, new_store, source_run, stored

pytestmark = pytest.mark.slow
CHANNEL = "saiga_rog_kz"


@pytest.fixture
def demo():
    with serve_in_thread() as base:
        yield base


def source(base: str, **extra) -> dict:
    return {"name": "tg", "platform": "telegram", "kind": "channel", "language": "ru", "channels": [CHANNEL],
            "base_url": f"{base}/telegram", "max_pages": 3, **extra}


def expected_ids(day: int, pages: int, channel: str = CHANNEL) -> set[str]:
    """Posts on the newest `pages` pages of a channel's preview on `day` (service messages excluded)."""
    online = demo_tg.visible(build()[channel], day)
    shown = online[-demo_tg.PAGE_SIZE * pages:]
    return {f"{channel}/{p.id}" for p in shown if not p.service and (p.text or p.photos or p.document or p.preview or p.video)}


def test_history_back_to_max_pages_with_fields_sellers_and_photos(demo, tmp_path):
    settings = demo_settings(tmp_path, [source(demo)])
    store = new_store(settings)
    summary = crawl(settings, store, "tg")
    posts = stored(store, "telegram")
    assert set(posts) == expected_ids(0, 3) and len(posts) >= 45
    run = source_run(store, summary["crawl_run_id"])
    assert run.status == "ok" and run.listings_new == len(posts) and run.pages_fetched == 3
    p = posts[f"{CHANNEL}/7"]  # "Скупаем рог сайгака ... Тел +7 705 444 22 11"
    assert p.text.startswith("Скупаем рог сайгака у охотников")
    assert p.url == f"{demo}/telegram/{CHANNEL}/7"  # the post's date link, on the demo t.me
    assert p.seller.url == f"{demo}/telegram/{CHANNEL}"
    assert p.phones == ["+77054442211"]
    assert p.language == "ru" and p.source_name == "tg"
    assert p.seller.platform_seller_id == CHANNEL and p.seller.name == "Рога и копыта KZ"
    assert p.extra["views"] > 0 and p.extra["edited"] in (True, False)
    with_photo = posts[f"{CHANNEL}/2"]
    assert with_photo.images and with_photo.images[0].sha256.startswith("sha256:")
    assert summary["images_stored"] >= 10


def test_max_pages_limits_the_depth_and_search_uses_q(demo, tmp_path):
    settings = demo_settings(tmp_path, [source(demo, max_pages=1),
                                        source(demo, name="tg-q", queries=["рога сайги"], max_pages=5)],
                             download_images=False)
    store = new_store(settings)
    crawl(settings, store, "tg")
    assert set(stored(store, "telegram")) == expected_ids(0, 1)
    crawl(settings, store, "tg-q")
    found = {pid: l for pid, l in stored(store, "telegram").items() if l.source_name == "tg-q"}
    assert found and all("рога сайги" in l.text.lower() for l in found.values())


def test_history_stops_at_max_age_days(demo, tmp_path):
    now = EPOCH + dt.timedelta(days=1)
    settings = demo_settings(tmp_path, [source(demo, max_pages=10, max_age_days=7)], download_images=False)
    store = new_store(settings)
    summary = crawl(settings, store, "tg", now=now)
    posts = stored(store, "telegram")
    cutoff = now - dt.timedelta(days=7)
    assert posts and all(p.posted_at >= cutoff for p in posts.values())
    recent = {f"{CHANNEL}/{p.id}" for p in demo_tg.visible(build()[CHANNEL], 0) if not p.service and p.posted_at >= cutoff}
    assert set(posts) == recent
    assert summary["sources"]["tg"]["pages_fetched"] < 3  # the channel has three pages; older ones were not opened


def test_discovery_follows_forwards_and_links_one_level(demo, tmp_path):
    settings = demo_settings(tmp_path, [source(demo, max_pages=1, options={"discover": True, "discover_depth": 1})],
                             download_images=False)
    store = new_store(settings)
    summary = crawl(settings, store, "tg")
    posts = stored(store, "telegram")
    private = {pid for pid in posts if pid.startswith("rog_opt_private/")}
    assert private == expected_ids(0, 1, "rog_opt_private")
    assert posts[sorted(private)[0]].extra["discovered_from"].startswith(f"{CHANNEL}/")
    assert summary["sources"]["tg"]["status"] == "ok"
    # (without discovery only the configured channel is crawled: see test_max_pages_limits_the_depth...)


def test_days_new_unchanged_edited_and_removed(demo, tmp_path):
    settings = demo_settings(tmp_path, [source(demo)], download_images=False)
    store = new_store(settings)
    crawl(settings, store, "tg")
    day0 = stored(store, "telegram")
    demo.set_day(1)
    summary = crawl(settings, store, "tg")
    day1 = stored(store, "telegram")
    assert set(day1) - set(day0) == expected_ids(1, 3) - expected_ids(0, 3) != set()
    assert summary["sources"]["tg"]["listings_new"] == len(set(day1) - set(day0))
    assert summary["sources"]["tg"]["listings_unchanged"] + summary["sources"]["tg"].get("listings_touched", 0) > 0
    # Post 22 is deleted after day 1: on day 2 it is re-checked and marked removed.
    demo.set_day(2)
    crawl(settings, store, "tg")
    day2 = stored(store, "telegram")
    assert day2[f"{CHANNEL}/22"].removed_at is not None
    assert day2[f"{CHANNEL}/2"].removed_at is None
    assert len(day2) == len(day1) + len(expected_ids(2, 3) - expected_ids(1, 3) - {f"{CHANNEL}/22"})
    edited = day2[f"{CHANNEL}/32"]  # edited on day 2: a new version with the added phone
    assert edited.extra["edited"] is True and "+77019998877" in edited.phones
    with store.session() as session:
        versions = session.scalar(select(func.count(ListingVersion.id)).where(ListingVersion.listing_id == edited.id))
    assert versions == 2


@pytest.mark.skipif(tesseract_path() is None, reason="tesseract-ocr is not installed (.ci/install-system-packages)")
def test_ocr_reads_the_phone_that_is_only_in_the_photo(demo, tmp_path):
    demo.set_day(1)
    settings = demo_settings(tmp_path, [source(demo, max_pages=1)], ocr=True, ocr_languages="rus")
    store = new_store(settings)
    crawl(settings, store, "tg")
    card = next(l for l in stored(store, "telegram").values() if l.text.startswith("Звоните, номер на фото"))
    assert "+7 701 234 56 78" in (card.ocr_text or "")
    assert "+77012345678" in card.phones and card.extra["ocr_contacts"]["phones"] == ["+77012345678"]
    assert card.images[0].ocr_text and "САЙГИ" in card.images[0].ocr_text
    assert card.text == "Звоните, номер на фото 👇"  # the post text is kept apart from the OCR text


def test_flood_wait_is_a_block_unknown_channel_no_error_keywords_alone_not_configured(demo, tmp_path):
    demo.state.add_fault("/telegram/s/", "block")
    settings = demo_settings(tmp_path, [source(demo), source(demo, name="tg-none", channels=["no_such_channel"]),
                                        {"name": "tg-kw", "platform": "telegram", "queries": ["рога"],
                                         "base_url": f"{demo}/telegram"}],
                             download_images=False)
    store = new_store(settings)
    summary = crawl(settings, store, "tg", "tg-kw")
    assert summary["not_configured_sources"] == ["tg-kw"]  # keywords need channels to search in
    assert summary["sources"]["tg"]["status"] == "blocked"
    assert "429" in summary["sources"]["tg"]["status_detail"] or "Too Many" in summary["sources"]["tg"]["status_detail"]
    assert stored(store, "telegram") == {}
    demo.state.clear_faults()
    summary = crawl(settings, store, "tg-none")
    assert summary["sources"]["tg-none"]["status"] == "ok" and summary["sources"]["tg-none"]["listings_new"] == 0
