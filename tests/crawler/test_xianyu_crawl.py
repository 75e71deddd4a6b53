"""End-to-end Xianyu crawls against the demo search API: not configured without a session; with a (fake)
logged-in storage state, through scrapy-playwright and the system Chromium."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from demo_marketplace import xianyu as demo_xianyu
from demo_marketplace.server import serve_in_thread
from store.models import Image, Listing, Seller, SourceRun
from tests.crawler.avito_xianyu_support import crawl, demo_settings, fake_xianyu_session, new_store

pytestmark = pytest.mark.slow
SESSION_ENV = "SAIGAWATCH_TEST_XIANYU_SESSION"


@pytest.fixture
def demo():
    with serve_in_thread() as base:
        yield base


def xianyu_source(base: str, **extra) -> dict:
    return {"name": "xianyu-zh", "platform": "xianyu", "language": "zh", "queries": ["羚羊角", "赛加羚羊"],
            "base_url": f"{base}/xianyu", "api_url": f"{base}/xianyu", "credentials_env": SESSION_ENV,
            "max_pages": 3, **extra}


def only_run(store, run_id: int) -> SourceRun:
    with store.session() as session:
        row = session.scalars(select(SourceRun).where(SourceRun.crawl_run_id == run_id)).one()
        session.expunge(row)
    return row


def stored(store) -> dict[str, Listing]:
    with store.session() as session:
        rows = session.scalars(select(Listing).where(Listing.platform == "xianyu")).all()
        session.expunge_all()
    return {r.platform_listing_id: r for r in rows}


def test_without_session_the_source_is_not_configured(demo, tmp_path, monkeypatch):
    monkeypatch.delenv(SESSION_ENV, raising=False)
    settings = demo_settings(tmp_path, [xianyu_source(demo)])
    store = new_store(settings)
    summary = crawl(settings, store, "xianyu-zh")
    run = only_run(store, summary["crawl_run_id"])
    assert run.status == "not_configured" and SESSION_ENV in run.status_detail
    assert summary["not_configured_sources"] == ["xianyu-zh"] and summary["failed_sources"] == []
    assert demo.state.requests_under("/xianyu") == 0 and stored(store) == {}


@pytest.mark.browser
def test_logged_in_session_crawls_the_search_api_through_chromium(demo, tmp_path, monkeypatch):
    # the saved signing token has expired: the first answer renews it (Set-Cookie), the call is re-signed
    monkeypatch.setenv(SESSION_ENV, str(fake_xianyu_session(tmp_path / "state.json", token_expiry_ms=1000)))
    settings = demo_settings(tmp_path, [xianyu_source(demo)])
    store = new_store(settings)
    summary = crawl(settings, store, "xianyu-zh")
    run = only_run(store, summary["crawl_run_id"])
    assert run.status == "ok", run.status_detail
    expected = {i["id"] for i in demo_xianyu.items()
                if demo_xianyu.online(i, 0) and ("羚羊角" in i["title"] or "赛加羚羊" in i["title"])}
    items = stored(store)
    assert set(items) == expected and len(expected) > demo_xianyu.ROWS  # two API pages for 羚羊角
    item = items["780100000001"]
    assert item.title == "羚羊角 整支 一对" and "老家收藏的羚羊角" in item.text
    assert (item.price, item.currency) == (3800.0, "CNY") and item.location == "新疆"
    assert item.posted_at is not None and item.url == f"{demo}/xianyu/item?id=780100000001"
    with store.session() as session:
        seller = session.get(Seller, item.seller_id)
        assert (seller.platform_seller_id, seller.name) == ("Zm9vYmFyMDE=", "天山来客")
        image = session.scalars(select(Image).where(Image.listing_id == item.id)).one()
        assert image.sha256.startswith("sha256:") and image.phash
    assert items["780100000010"].price == 26000.0  # "2.6万"
    api_pages = demo.state.requests_under("/xianyu/h5/")
    # both queries' first calls carried the expired token and were re-signed; then 羚羊角 p.1-2, 赛加羚羊 p.1
    assert api_pages == 2 + 2 + 1


@pytest.mark.browser
def test_risk_control_answer_stops_the_source(demo, tmp_path, monkeypatch):
    monkeypatch.setenv(SESSION_ENV, str(fake_xianyu_session(tmp_path / "state.json")))
    settings = demo_settings(tmp_path, [xianyu_source(demo)])
    store = new_store(settings)
    demo.state.add_fault("/xianyu/h5/", "block")
    summary = crawl(settings, store, "xianyu-zh")
    run = only_run(store, summary["crawl_run_id"])
    assert run.status == "blocked" and "FAIL_SYS_USER_VALIDATE" in run.status_detail
    assert summary["blocked_sources"] == ["xianyu-zh"] and stored(store) == {}

