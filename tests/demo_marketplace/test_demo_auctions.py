"""The demo Violity and Meshok: auction lots that get bids and end across simulated days, the API's errors."""
from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

from config import load_config
from demo_marketplace.command import DEMO_CONFIG
from demo_marketplace.meshok import LOTS as MESHOK_LOTS
from demo_marketplace.server import serve_in_thread
from demo_marketplace.violity import LOTS as VIOLITY_LOTS


def fetch(url: str, body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.fixture(scope="module")
def demo():
    with serve_in_thread() as url:
        url.state.cache("auctions:day0", lambda: dt.date(2026, 12, 1))
        yield url


@pytest.fixture(autouse=True)
def _day0(demo):
    demo.set_day(0)


def test_demo_config_crawls_the_auctions():
    settings = load_config(DEMO_CONFIG)
    for name in ("violity", "meshok"):
        source = settings.source(name)
        assert source.enabled and source.platform == "site" and source.base_url.endswith(f"/{name}")


def test_lots_end_across_the_simulated_days():
    for lots in (VIOLITY_LOTS, MESHOK_LOTS):
        end_days = {lot.end_day for lot in lots}
        assert {0, 1} <= end_days and max(end_days) >= 3
        kinds = " ".join(lot.title.lower() for lot in lots)
        assert "сайг" in kinds and ("муляж" in kinds or "статуэтк" in kinds) and "монета" in kinds


def test_violity_search_and_lot_over_days(demo):
    status, body = fetch(f"{demo}/violity/ru/search/result?query={quote('рог сайгака')}")
    assert status == 200 and b'article class="tr" data-id="90100100"' in body
    status, lot = fetch(f"{demo}/violity/ru/90100100-rog-saygaka")
    assert status == 200 and "Окончание торгов: <span>01.12.2026, 21:00:00</span>".encode() in lot
    demo.set_day(1)
    _, body = fetch(f"{demo}/violity/ru/search/result?query={quote('рог сайгака')}")
    assert b'data-id="90100100"' not in body  # ended: no longer among active lots
    status, lot = fetch(f"{demo}/violity/ru/90100100-rog-saygaka")
    assert status == 200 and "Торги завершены".encode() in lot  # ended, the page stays
    assert fetch(f"{demo}/violity/ru/90100104-x")[0] == 404  # withdrawn by the seller


def test_violity_challenge_page(demo):
    demo.state.add_fault("/violity/", "block")
    try:
        status, body = fetch(f"{demo}/violity/ru/search/result?query=x")
    finally:
        demo.state.clear_faults()
    assert status == 403 and b"Just a moment..." in body and b'id="challenge-form"' in body


def test_meshok_api(demo):
    items = f"{demo}/meshok/api/command/lots/get-items"
    body = {"sellerMode": False, "filter": {"searchString": "рога сайги", "status": "active", "page": 1,
                                            "pageSize": 50}, "includes": {"lots": True}}
    status, raw = fetch(items, body)
    lots = json.loads(raw)["result"]["lots"]
    assert status == 200 and {lot["id"] for lot in lots} >= {310100502}
    lot = next(x for x in lots if x["id"] == 310100502)
    assert lot["bidsCount"] == 3 and lot["endDate"] == "2026-12-01T17:00:00Z" and lot["currency"] == "RUB"
    status, raw = fetch(items, {**body, "filter": {**body["filter"], "pageSize": 500}})
    assert status == 418 and json.loads(raw)["error"]["name"] == "CommandValidationError"
    demo.set_day(1)
    status, raw = fetch(f"{demo}/meshok/api/command/lots/get-lot-by-id", {"lotId": 310100502})
    assert json.loads(raw)["result"]["lot"]["status"] == "finished"
    assert fetch(f"{demo}/meshok/api/command/lots/get-lot-by-id", {"lotId": 310100504})[0] == 404


def test_meshok_item_page(demo):
    status, body = fetch(f"{demo}/meshok/item/310100501_Rog")
    assert status == 200 and "<title>Рог сайгака, натуральный, 30 см. Мешок</title>".encode() in body
    assert b'class="titleText_6853f"' in body and b'itemprop="price"' in body
