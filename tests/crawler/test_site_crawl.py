"""End-to-end crawls of configured sites: the demo Violity and Meshok auctions over simulated days, Kufar's saved
pages on a local server, blocks and changed markup."""
from __future__ import annotations

import datetime as dt
import http.server
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from config import load_config
from crawler.run import run_crawl
from demo_marketplace import meshok as demo_meshok
from demo_marketplace import violity as demo_violity
from demo_marketplace.server import serve_in_thread
from store import Store
from store.models import Capture, CrawlRun, Listing, SourceRun

FILES = Path(__file__).parent / "files" / "site"
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


# ---------------------------------------------------------------- Kufar from saved pages on a local server

class _SavedPages(http.server.BaseHTTPRequestHandler):
    origin = ""

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/robots.txt":
            body, status = b"User-agent: *\nAllow: /\n", 200
        elif self.path.startswith("/l?"):
            body, status = (FILES / "kufar_search.html").read_bytes(), 200
        elif self.path == "/item/201001":
            body, status = (FILES / "kufar_ad.html").read_bytes(), 200
        else:
            body, status = b"<html><body>not found</body></html>", 404
        body = body.replace(b"https://www.kufar.by", self.origin.encode())
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_kufar_crawl_from_saved_pages(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SavedPages)
    _SavedPages.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        source = load_config().source("kufar").model_dump(mode="json", by_alias=True, exclude_none=True)
        source.update(enabled=True, base_url=_SavedPages.origin, queries=["рога сайгака"], max_pages=1)
        settings = settings_for(tmp_path, [source])
        store = Store(settings.storage.database_url())
        store.init()
        summary = crawl(settings, store, 0)
        stored = listings(store)
        store.dispose()
    finally:
        server.shutdown()
        server.server_close()
    assert summary["sources"]["kufar"]["status"] == "ok"
    assert set(stored) == {("kufar", "201001")}  # the other two cards' pages answer 404: gone, never stored
    ad = stored[("kufar", "201001")]
    assert ad.price == 2100.0 and ad.currency == "BYN" and ad.text.startswith("Продам рога сайгака")
    assert ad.phones == ["+375291234567"] and ad.seller_id is not None


def test_a_lot_past_its_end_time_is_ended_even_with_an_unchanged_card(auctions):
    runs, _ = auctions
    key = ("meshok", "310100512")  # ends on day 1 at 10:00 Moscow; the day-1 crawl runs at 08:00 UTC, card unchanged
    assert runs["stored0"][key].ended_at is None
    assert runs["stored1"][key].ended_at is not None and runs["stored1"][key].removed_at is None
