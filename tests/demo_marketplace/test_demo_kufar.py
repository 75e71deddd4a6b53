"""The demo Kufar: `__NEXT_DATA__` pages in kufar.by's structure, cursor pages, minor-unit prices, withdrawn ads."""
from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

from demo_marketplace import kufar
from demo_marketplace.server import serve_in_thread


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def next_data(body: bytes) -> dict:
    match = re.search(rb'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', body, re.S)
    assert match, body[:200]
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def demo():
    with serve_in_thread() as url:
        url.state.cache("auctions:day0", lambda: dt.date(2026, 12, 1))
        yield url


def test_search_pages_follow_the_cursor_to_the_end(demo):
    demo.set_day(0)
    seen, token = [], ""
    for _ in range(5):
        status, body = fetch(f"{demo}/kufar/l?query={quote('рога сайгака')}&cursor={token}")
        listing = next_data(body)["props"]["initialState"]["listing"]
        assert status == 200 and len(listing["ads"]) <= kufar.PAGE_SIZE
        seen += [ad["ad_id"] for ad in listing["ads"]]
        token = next((p["token"] for p in listing["pagination"] if p["label"] == "next"), None)
        if token is None:
            break
    expected = [ad.id for ad in kufar.search(kufar.ADS, "рога сайгака", 0)]
    assert seen == expected and len(expected) > kufar.PAGE_SIZE and listing["total"] == len(expected)


def test_prices_in_minor_units_or_negotiable(demo):
    demo.set_day(0)
    ad = next_data(fetch(f"{demo}/kufar/item/305001")[1])["props"]["initialState"]["adView"]["data"]
    assert ad["price_byn"] == "180000" and ad["price_usd"] == "55385" and ad["body"].startswith("Продам")
    assert [p["vl"] for p in ad["ad_parameters"] if p["p"] == "region"] == ["Гомельская"]
    other = next_data(fetch(f"{demo}/kufar/item/305002")[1])["props"]["initialState"]["adView"]["data"]
    assert other["price_byn"] == "Договорная"
    status, photo = fetch(f"{demo}/kufar/gallery/{ad['images'][0]['path']}")
    assert status == 200 and photo[:2] == b"\xff\xd8"


def test_no_results_bad_cursor_and_withdrawn_ad(demo):
    demo.set_day(0)
    empty = next_data(fetch(f"{demo}/kufar/l?query=zzzz&cursor=")[1])["props"]["initialState"]["listing"]
    assert empty == {"ads": [], "total": 0, "pagination": empty["pagination"]} and empty["total"] == 0
    assert fetch(f"{demo}/kufar/l?query=x&cursor=not-a-cursor")[0] == 400
    assert fetch(f"{demo}/kufar/item/305003")[0] == 200
    demo.set_day(1)
    assert fetch(f"{demo}/kufar/item/305003")[0] == 404
    assert fetch(f"{demo}/kufar/item/305004")[0] == 200
