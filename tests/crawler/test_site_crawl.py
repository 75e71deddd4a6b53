"""End-to-end crawls of configured sites on the demo marketplace: the Violity and Meshok auctions and the Kufar
classifieds over simulated days, blocks and changed markup."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from config import load_config
from crawler.run import run_crawl
from demo_marketplace import kufar as demo_kufar
from demo_marketplace import meshok as demo_meshok
from demo_marketplace import violity as demo_violity
from demo_marketplace.server import serve_in_thread
from store import Store
from store.models import Capture, CrawlRun, Image, Listing, SourceRun

DAY0 = dt.date(2026, 12, 1)
DEMO = load_config(Path(__file__).resolve().parents[2] / "config" / "demo.yaml")


def demo_source(source_name: str, origin: str, **kw) -> dict:
    data = DEMO.source(source_name).model_dump(mode="json", by_alias=True, exclude_none=True)
    data["base_url"] = data["base_url"].replace("http://127.0.0.1:8089", origin)
    return {**data, **kw}


def settings_for(tmp: Path, sources: list[dict]):
    return load_config(overrides={
        "storage": {"database_path": str(tmp / "sw.db"), "data_dir": str(tmp / "var")},
        "crawl": {"politeness": {"download_delay": 0, "concurrent_requests_per_domain": 8, "retry_times": 1,
                                 "retry_backoff_base": 0.05},
                  "recheck_missing_after_days": 0, "download_images": False},
        "sources": sources})


def crawl(settings, store, day: int) -> dict:
    with store.session() as session:
        run = CrawlRun(trigger="test", status="running")
        session.add(run)
        session.flush()
        run_id = run.id
    now = dt.datetime.combine(DAY0 + dt.timedelta(days=day), dt.time(8, 0), dt.timezone.utc)
    return run_crawl(settings, store, run_id, now=now)


def listings(store) -> dict[tuple[str, str], Listing]:
    with store.session() as session:
        rows = session.scalars(select(Listing)).all()
        for row in rows:
            _ = list(row.versions)
        session.expunge_all()
        return {(r.platform, r.platform_listing_id): r for r in rows}


# ---------------------------------------------------------------- the demo auctions over three days

@pytest.fixture(scope="module")
def auctions(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("auctions")
    with serve_in_thread() as origin:
        origin.state.cache("auctions:day0", lambda: DAY0)
        settings = settings_for(tmp, [demo_source("violity", origin), demo_source("meshok", origin)])
        store = Store(settings.storage.database_url())
        store.init()
        runs = {}
        for day in (0, 1, 2):
            origin.state.set_day(day)
            runs[day] = crawl(settings, store, day)
            runs[f"stored{day}"] = listings(store)
        yield runs, store
        store.dispose()


def test_every_matching_lot_is_stored(auctions):
    runs, _ = auctions
    stored = runs["stored0"]
    for module, platform, queries in ((demo_violity, "violity", DEMO.source("violity").queries),
                                      (demo_meshok, "meshok", DEMO.source("meshok").queries)):
        expected = {str(lot.id) for lot in module.LOTS for q in queries if lot.in_search(0) and
                    module.search([lot], q, 0)}
        got = {pid for plat, pid in stored if plat == platform}
        assert got == expected, platform
    assert runs[0]["sources"]["violity"]["status"] == "ok" and runs[0]["sources"]["meshok"]["status"] == "ok"
    assert runs[0]["errors"] == 0


def test_lot_fields_from_the_lot_page(auctions):
    runs, _ = auctions
    lot = runs["stored0"][("violity", "90100100")]
    assert lot.title == "Рог сайгака старый, 28 см" and lot.currency == "UAH"
    assert lot.price == 1500 + 3 * 300 and lot.bids_count == 3
    assert "067 123 45 67" in lot.text and lot.phones == ["+380671234567"]
    assert lot.extra["price_usd"] > 0 and lot.extra["auction_status"] == "active"
    assert lot.ends_at == dt.datetime(2026, 12, 1, 19, 0, tzinfo=dt.timezone.utc)  # 21:00 Kyiv on day 0
    meshok = runs["stored0"][("meshok", "310100502")]
    assert meshok.text.startswith("Пара рогов сайги") and meshok.bids_count == 3 and meshok.price == 11000


def test_a_new_bid_is_a_new_version(auctions):
    runs, _ = auctions
    before, after = runs["stored0"][("violity", "90100101")], runs["stored1"][("violity", "90100101")]
    assert (before.bids_count, after.bids_count) == (2, 4)
    assert len(after.versions) == 2 and after.versions[-1].bids_count == 4 and after.versions[-1].price == 4000
    assert runs[1]["sources"]["violity"]["listings_changed"] >= 1


def test_an_ended_lot_is_ended_not_removed(auctions):
    runs, _ = auctions
    for key in (("violity", "90100100"), ("violity", "90100111"), ("meshok", "310100502")):
        assert runs["stored0"][key].ended_at is None
        lot = runs["stored1"][key]
        assert lot.ended_at is not None and lot.removed_at is None, key
        assert lot.extra["auction_status"] == "ended"


def test_a_withdrawn_lot_is_removed(auctions):
    runs, _ = auctions
    for key in (("violity", "90100104"), ("meshok", "310100504")):
        assert runs["stored0"][key].removed_at is None
        assert runs["stored1"][key].removed_at is not None and runs["stored1"][key].ended_at is None


def test_ended_lots_are_not_rechecked_again(auctions):
    runs, _ = auctions
    rechecked = runs[2]["sources"]["violity"].get("listings_rechecked", 0)
    ended_or_gone = {k for k, v in runs["stored1"].items() if k[0] == "violity" and (v.ended_at or v.removed_at)}
    assert ended_or_gone and rechecked <= len([k for k, v in runs["stored1"].items() if k[0] == "violity"]) - len(ended_or_gone)


def test_api_answers_are_kept_as_captures(auctions):
    _, store = auctions
    with store.session() as session:
        urls = set(session.scalars(select(Capture.url).where(Capture.url.like("%/meshok/api/command/%"))))
    assert any(u.endswith("get-items") for u in urls) and any(u.endswith("get-lot-by-id") for u in urls)


# ---------------------------------------------------------------- blocks and changed markup

def test_challenge_page_blocks_the_source_and_changed_markup_is_recorded(tmp_path):
    with serve_in_thread() as origin:
        origin.state.cache("auctions:day0", lambda: DAY0)
        origin.state.add_fault("/violity/ru/search/", "block")
        sources = [demo_source("violity", origin),
                   demo_source("meshok", origin, name="meshok-changed",
                               spec={**demo_source("meshok", origin)["spec"], "list": {
                                   "items": {"json": "result.items"}, "fields": {"id": {"json": "id"}}}, "empty": []})]
        settings = settings_for(tmp_path, sources)
        store = Store(settings.storage.database_url())
        store.init()
        summary = crawl(settings, store, 0)
        with store.session() as session:
            changed = session.scalars(select(SourceRun).where(SourceRun.source_name == "meshok-changed")).one()
            errors = changed.stats["errors"]
        store.dispose()
    assert summary["blocked_sources"] == ["violity"] and "Just a moment" not in summary["sources"]["violity"]["status"]
    assert "block page" in summary["sources"]["violity"]["status_detail"]
    assert summary["sources"]["meshok-changed"]["listings_new"] == 0
    assert errors and all(e["type"] == "markup_search" for e in errors)
    assert "none of the configured readers" in errors[0]["message"]


# ---------------------------------------------------------------- the demo Kufar over two days

@pytest.fixture(scope="module")
def kufar(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kufar")
    with serve_in_thread() as origin:
        origin.state.cache("auctions:day0", lambda: DAY0)
        settings = settings_for(tmp, [demo_source("kufar", origin)])
        settings.crawl.download_images = True
        store = Store(settings.storage.database_url())
        store.init()
        runs = {"origin": str(origin)}
        for day in (0, 1):
            origin.state.set_day(day)
            runs[day] = crawl(settings, store, day)
            runs[f"stored{day}"] = listings(store)
        with store.session() as session:
            runs["images"] = set(session.scalars(select(Image.url).where(Image.path.is_not(None))))
        yield runs
        store.dispose()


def test_kufar_every_matching_ad_is_stored_through_the_cursor_pages(kufar):
    expected = {str(ad.id) for q in DEMO.source("kufar").queries for ad in demo_kufar.search(demo_kufar.ADS, q, 0)}
    assert {pid for plat, pid in kufar["stored0"] if plat == "kufar"} == expected
    assert len(demo_kufar.search(demo_kufar.ADS, "рога сайгака", 0)) > demo_kufar.PAGE_SIZE  # a second page
    assert kufar[0]["sources"]["kufar"]["status"] == "ok" and kufar[0]["errors"] == 0


def test_kufar_ad_fields_from_the_ad_page(kufar):
    ad = kufar["stored0"][("kufar", "305001")]
    assert (ad.title, ad.price, ad.currency) == ("Рога сайгака, пара, 27 см", 1800.0, "BYN")
    assert ad.extra["price_usd"] == 553.85 and ad.location == "Гомельская"
    assert ad.text.startswith("Продам рога сайгака") and ad.phones == ["+375296112233"]
    assert ad.posted_at == dt.datetime(2026, 11, 29, 7, 0, tzinfo=dt.timezone.utc)  # 10:00 Minsk, day -2
    assert ad.url == f"{kufar['origin']}/kufar/item/305001"
    negotiable = kufar["stored0"][("kufar", "305002")]
    assert negotiable.price is None and negotiable.price_text == "Договорная"
    assert f"{kufar['origin']}/kufar/gallery/adim1/69/09/305001-1.jpg" in kufar["images"]


def test_kufar_price_cut_withdrawn_and_new_ads(kufar):
    assert kufar["stored1"][("kufar", "305001")].price == 1600.0
    assert len(kufar["stored1"][("kufar", "305001")].versions) == 2
    assert kufar["stored0"][("kufar", "305003")].removed_at is None
    assert kufar["stored1"][("kufar", "305003")].removed_at is not None
    assert ("kufar", "305004") not in kufar["stored0"] and ("kufar", "305004") in kufar["stored1"]


def test_a_lot_past_its_end_time_is_ended_even_with_an_unchanged_card(auctions):
    runs, _ = auctions
    key = ("meshok", "310100512")  # ends on day 1 at 10:00 Moscow; the day-1 crawl runs at 08:00 UTC, card unchanged
    assert runs["stored0"][key].ended_at is None
    assert runs["stored1"][key].ended_at is not None and runs["stored1"][key].removed_at is None
