"""End-to-end Avito crawls against the demo marketplace: stored listings, incremental re-crawl, removal, blocks."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from demo_marketplace import avito as demo_avito
from demo_marketplace.server import serve_in_thread
from store.models import Image, Listing, Seller, SourceRun
from tests.crawler.avito_xianyu_support import crawl, demo_settings, new_store

pytestmark = pytest.mark.slow
QUERIES = ["рога сайги", "рога антилопы"]


@pytest.fixture
def demo():
    with serve_in_thread() as base:
        yield base


def avito_source(base: str, **extra) -> dict:
    return {"name": "avito-ru", "platform": "avito", "language": "ru", "queries": QUERIES,
            "base_url": f"{base}/avito", "max_pages": 3, **extra}


def expected_ids(day: int, queries=QUERIES) -> set[str]:
    return {str(l["id"]) for l in demo_avito.listings()
            if demo_avito.online(l, day) and any(demo_avito.matches(l, q) for q in queries)}


def listings(store) -> dict[str, Listing]:
    with store.session() as session:
        rows = session.scalars(select(Listing).where(Listing.platform == "avito")).all()
        session.expunge_all()
    return {row.platform_listing_id: row for row in rows}


def source_run(store, run_id: int) -> SourceRun:
    with store.session() as session:
        row = session.scalars(select(SourceRun).where(SourceRun.crawl_run_id == run_id)).one()
        session.expunge(row)
    return row


def test_crawl_stores_listings_and_a_second_crawl_fetches_80_percent_fewer_pages(demo, tmp_path):
    settings = demo_settings(tmp_path, [avito_source(demo)])
    store = new_store(settings)
    summary = crawl(settings, store, "avito-ru")
    first_requests = demo.state.requests_under("/avito")
    stored = listings(store)
    assert set(stored) == expected_ids(0) and len(stored) >= 12
    run = source_run(store, summary["crawl_run_id"])
    assert run.status == "ok" and run.listings_new == len(stored)
    ad = stored["4101000001"]
    assert ad.title == "Рога сайги, пара"
    assert ad.text.startswith("Продаю рога сайгака")
    assert (ad.price, ad.currency, ad.price_text) == (45000.0, "RUB", "45 000 ₽")
    assert ad.location == "Республика Калмыкия, Элиста, 5-й мкр"
    assert ad.url == f"{demo}/avito/elista/kollektsionirovanie/roga_saygi_para_4101000001"
    assert ad.posted_at is not None and ad.refreshed_at is not None
    assert ad.language == "ru" and ad.source_name == "avito-ru" and ad.card_hash
    with store.session() as session:
        seller = session.get(Seller, ad.seller_id)
        assert (seller.platform_seller_id, seller.name) == ("8f2c1a9e4b7d", "Бадма")
        images = session.scalars(select(Image).where(Image.listing_id == ad.id)).all()
        assert len(images) == 2 and all(i.sha256 and i.sha256.startswith("sha256:") and i.phash for i in images)
        assert session.scalar(select(func.count()).select_from(Image).where(Image.error.is_not(None))) == 0

    demo.state.reset()
    summary = crawl(settings, store, "avito-ru")
    second_requests = demo.state.requests_under("/avito")
    assert second_requests <= 0.2 * first_requests, (first_requests, second_requests)
    run = source_run(store, summary["crawl_run_id"])
    assert run.status == "ok" and run.listings_new == 0 and run.listings_changed == 0
    assert set(listings(store)) == expected_ids(0)


def test_next_days_bring_new_changed_and_removed_listings(demo, tmp_path):
    settings = demo_settings(tmp_path, [avito_source(demo)], recheck_after_days=0)
    store = new_store(settings)
    crawl(settings, store, "avito-ru")
    demo.set_day(1)
    crawl(settings, store, "avito-ru")
    day1 = listings(store)
    assert expected_ids(1) <= set(day1)
    assert "4101000011" in day1  # new on day 1
    assert day1["4101000021"].price == 13000.0  # price lowered on day 1
    demo.set_day(2)
    summary = crawl(settings, store, "avito-ru")
    day2 = listings(store)
    assert day2["4101000029"].removed_at is not None  # off line after day 1: re-checked, 404, marked removed
    assert day2["4101000005"].removed_at is None  # still on line on day 2
    assert source_run(store, summary["crawl_run_id"]).status == "ok"


def test_block_page_stops_the_source_and_is_recorded(demo, tmp_path):
    settings = demo_settings(tmp_path, [avito_source(demo)])
    store = new_store(settings)
    demo.state.add_fault("/avito/", "block")
    summary = crawl(settings, store, "avito-ru")
    run = source_run(store, summary["crawl_run_id"])
    assert run.status == "blocked" and "Доступ ограничен" in run.status_detail
    assert summary["blocked_sources"] == ["avito-ru"] and summary["alerts"]
    assert listings(store) == {}  # never stored as a listing or an empty result
    assert demo.state.requests_under("/avito") <= 2  # stopped at once (the two first searches may be in flight)


def test_429_is_a_block_never_retried(demo, tmp_path):
    settings = demo_settings(tmp_path, [avito_source(demo, queries=["рога сайги"])])
    store = new_store(settings)
    demo.state.add_fault("/avito/rossiya", "429")
    summary = crawl(settings, store, "avito-ru")
    run = source_run(store, summary["crawl_run_id"])
    assert run.status == "blocked" and "429" in run.status_detail
    assert demo.state.requests_under("/avito") == 1
    assert listings(store) == {}


def test_older_and_dom_only_markup_read_the_same_cards(demo, tmp_path):
    """Three sources, one per page generation, crawled in turn: the later two find every card unchanged."""
    sources = [avito_source(demo, name=f"avito-{markup}", queries=["рога сайги"],
                            options={"params": {"demo_markup": markup}})
               for markup in ("mfe", "initial", "dom")]
    settings = demo_settings(tmp_path, sources)
    store = new_store(settings)
    summary = crawl(settings, store, "avito-mfe", "avito-initial", "avito-dom")
    expected = expected_ids(0, ["рога сайги"])
    assert set(listings(store)) == expected
    for name in ("avito-initial", "avito-dom"):
        figures = summary["sources"][name]
        assert figures["status"] == "ok" and figures["listings_new"] == 0 and figures["listings_changed"] == 0
        assert figures["listings_touched"] == len(expected), (name, figures)  # same title, price, refresh time


def test_broken_ad_pages_are_recorded_errors_not_crashes(demo, tmp_path):
    settings = demo_settings(tmp_path, [avito_source(demo, queries=["рога сайги"])])
    store = new_store(settings)
    demo.state.add_fault("/avito/elista/", "truncated")  # every ad in Elista arrives cut in half
    demo.state.add_fault("/avito/astrahan/", "cp1251")  # Astrakhan ads come in windows-1251
    summary = crawl(settings, store, "avito-ru")
    run = source_run(store, summary["crawl_run_id"])
    assert run.status == "ok" and run.errors_count >= 1
    assert any(e["type"] == "truncated" for e in run.stats["errors"])
    stored = listings(store)
    elista = {i for i in expected_ids(0, ["рога сайги"]) if i in ("4101000001", "4101000029")}
    assert elista and not (elista & set(stored))  # truncated pages never become listings
    assert stored["4101000016"].title == "Рога сайгака оптом"  # windows-1251 decoded


def test_rate_limit_mid_crawl_keeps_what_was_stored_and_stops(demo, tmp_path):
    settings = demo_settings(tmp_path, [avito_source(demo, concurrent_requests_per_domain=1)])
    store = new_store(settings)
    demo_avito.rate_limit_after(demo.state, 8)  # Avito gets tired after 8 pages
    summary = crawl(settings, store, "avito-ru")
    run = source_run(store, summary["crawl_run_id"])
    assert run.status == "blocked" and "429" in run.status_detail
    kept = listings(store)
    assert 0 < len(kept) < len(expected_ids(0))  # what arrived before the block is kept
    hits = demo.state.snapshot()["hits"]
    pages = sum(n for path, n in hits.items() if path.startswith("/avito/") and "/img/" not in path)
    # the first 429 stops the source as it arrives, and the requests queued behind it are dropped
    assert pages <= 8 + 2, hits
