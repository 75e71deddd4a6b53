"""End-to-end crawl of the demo OLX.ua with the demo's `olx-ua` source: Ukrainian pages, hryvnia, removals."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from config import load_config
from crawler.run import run_crawl
from demo_marketplace.olx import SITES, search
from demo_marketplace.olx_listings import _id
from demo_marketplace.server import DemoState, serve_in_thread
from store import Store
from store.models import CrawlRun, Listing

UA = SITES["/olx-ua"]
DEMO = load_config(Path(__file__).resolve().parents[2] / "config" / "demo.yaml")


def crawl(settings, store) -> dict:
    with store.session() as session:
        run = CrawlRun(trigger="test", status="running")
        session.add(run)
        session.flush()
        run_id = run.id
    return run_crawl(settings, store, run_id)


def stored(store) -> dict[str, Listing]:
    with store.session() as session:
        rows = session.scalars(select(Listing)).all()
        for row in rows:
            _ = list(row.versions), row.seller
        session.expunge_all()
        return {r.platform_listing_id: r for r in rows}


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("olxua")
    with serve_in_thread() as origin:
        source = DEMO.source("olx-ua").model_dump(mode="json", by_alias=True, exclude_none=True)
        source["base_url"] = source["base_url"].replace("http://127.0.0.1:8089", str(origin))
        settings = load_config(overrides={
            "storage": {"database_path": str(tmp / "sw.db"), "data_dir": str(tmp / "var")},
            "crawl": {"politeness": {"download_delay": 0, "concurrent_requests_per_domain": 8, "retry_times": 1,
                                     "retry_backoff_base": 0.05},
                      "recheck_missing_after_days": 0, "download_images": False},
            "sources": [source]})
        store = Store(settings.storage.database_url())
        store.init()
        runs = {"origin": str(origin)}
        for day in (0, 1):
            origin.set_day(day)
            runs[day] = crawl(settings, store)
            runs[f"stored{day}"] = stored(store)
        yield runs
        store.dispose()


def test_every_matching_ukrainian_ad_is_stored(two_days):
    expected = {str(ad.id) for q in DEMO.source("olx-ua").queries for ad in search(DemoState(0), UA, q)}
    assert set(two_days["stored0"]) == expected
    assert {str(_id("ua", n)) for n in (1, 2, 3, 4, 5)} <= expected and str(_id("ua", 40)) not in expected
    assert two_days[0]["sources"]["olx-ua"]["status"] == "ok" and two_days[0]["errors"] == 0


def test_ad_fields_in_hryvnia_from_the_ukrainian_page(two_days):
    ad = two_days["stored0"][str(_id("ua", 1))]
    assert (ad.title, ad.price, ad.currency) == ("Роги сайги, пара", 6500.0, "UAH")
    assert ad.url.startswith(f"{two_days['origin']}/olx-ua/d/uk/obyavlenie/rogi-saygi-para-ID")
    assert ad.text.startswith("Продам роги сайги") and ad.phones == ["+380672154490"]
    assert "Херсон" in ad.location and ad.language == "uk" and ad.seller.name == "Микола"
    assert ad.posted_at == dt.datetime(2026, 11, 16, 4, 0, tzinfo=dt.timezone.utc) + dt.timedelta(
        minutes=_id("ua", 1) % 600)
    negotiable = two_days["stored0"][str(_id("ua", 2))]
    assert negotiable.price is None and negotiable.currency in (None, "UAH")


def test_price_cut_removal_and_new_ad_on_day_one(two_days):
    first = two_days["stored1"][str(_id("ua", 1))]
    assert first.price == 6000.0 and len(first.versions) == 2
    assert two_days["stored0"][str(_id("ua", 4))].removed_at is None
    assert two_days["stored1"][str(_id("ua", 4))].removed_at is not None  # its page answers 404 from day 1
    assert str(_id("ua", 6)) not in two_days["stored0"] and str(_id("ua", 6)) in two_days["stored1"]
