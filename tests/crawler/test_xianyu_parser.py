"""Xianyu parser on saved search API answers (tests/crawler/files/xianyu_*), field by field."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crawler.parsers import ParseError, registry, xianyu

FILES = Path(__file__).parent / "files"
API_URL = ("https://h5api.m.goofish.com/h5/mtop.taobao.idlemtopsearch.pc.search/1.0/"
           "?jsv=2.7.2&appKey=34839810&t=1795400000000&sign=0f0f&api=mtop.taobao.idlemtopsearch.pc.search&v=1.0")
UTC = dt.timezone.utc


def answer(name: str, url: str = API_URL, status: int = 200):
    return xianyu.parse((FILES / name).read_bytes(), url, status=status)


@pytest.fixture(scope="module")
def search():
    return answer("xianyu_search.json")


@pytest.fixture(scope="module")
def item(search):
    return search.items[0]


def test_registry_has_xianyu():
    assert registry()["xianyu"].__wrapped__ is xianyu.parse


def test_search_kind(search):
    assert search.kind == "search" and search.errors == []


def test_search_ids(search):
    assert [i.platform_listing_id for i in search.items] == [
        "780100000001", "780100000002", "780100000005", "780100000007", "780100000010", "780100000006"]


def test_search_total(search):
    assert search.total == 14


def test_search_next_page(search):
    assert search.next_page == API_URL + "#pageNumber=2"


def test_item_id(item):
    assert item.platform_listing_id == "780100000001"


def test_item_url(item):
    assert item.url == "https://www.goofish.com/item?id=780100000001"


def test_item_title_is_first_line(item):
    assert item.title == "羚羊角 整支 一对"


def test_item_text_is_full_description(item):
    assert item.text == "羚羊角 整支 一对\n老家收藏的羚羊角，一对，长约30厘米，颜色白透，无裂纹。懂的来，不议价。"


def test_item_price(item):
    assert (item.price, item.currency, item.price_text) == (3800.0, "CNY", "¥3800")


def test_item_location(item):
    assert item.location == "新疆"


def test_item_seller(item):
    assert (item.seller_platform_id, item.seller_name) == ("Zm9vYmFyMDE=", "天山来客")


def test_item_posted_at_utc(item):
    assert item.posted_at == dt.datetime(2026, 11, 15, 2, 20, tzinfo=UTC)  # 10:20 Beijing


def test_item_photo(item):
    assert item.photo_urls == ["http://img.alicdn.com/bao/uploaded/i3/O1CN01demo780100000001_!!0-fleamarket.jpg"]


def test_item_flags(item):
    assert item.platform == "xianyu" and item.language == "zh" and not item.is_card
    assert item.extra["want"] == 12


def test_price_with_wan_unit(search):
    wan = next(i for i in search.items if i.platform_listing_id == "780100000010")
    assert (wan.price, wan.price_text) == (26000.0, "¥2.6万")


def test_demo_server_item_url():
    result = xianyu.parse((FILES / "xianyu_search.json").read_bytes(),
                          "http://127.0.0.1:8088/xianyu/h5/mtop.taobao.idlemtopsearch.pc.search/1.0/?t=1")
    assert result.items[0].url == "http://127.0.0.1:8088/xianyu/item?id=780100000001"


def test_last_page_has_no_next():
    result = answer("xianyu_search_last.json")
    assert result.kind == "search" and len(result.items) == 2 and result.next_page is None


def test_chromium_json_viewer_wrapper():
    result = answer("xianyu_search_chromium.html")
    assert [i.platform_listing_id for i in result.items] == ["780100000013", "780100000016"]


def test_empty_answer():
    result = answer("xianyu_empty.json")
    assert (result.kind, result.items, result.total) == ("empty", [], 0)


@pytest.mark.parametrize("name,needle", [
    ("xianyu_user_validate.json", "FAIL_SYS_USER_VALIDATE"),
    ("xianyu_rgv587.json", "RGV587_ERROR"),
    ("xianyu_token_expired.json", "session"),
    ("xianyu_slider.html", "slider"),
])
def test_risk_control_is_blocked(name, needle):
    result = answer(name)
    assert result.kind == "blocked" and needle in result.block_reason and result.items == []


def test_http_429_is_blocked():
    assert xianyu.parse(b"", API_URL, status=429).kind == "blocked"


def test_other_api_error_raises():
    with pytest.raises(ParseError, match="FAIL_SYS_SERVICE_NOT_EXIST"):
        xianyu.parse(b'{"api":"x","data":{},"ret":["FAIL_SYS_SERVICE_NOT_EXIST::API\\u4e0d\\u5b58\\u5728"],"v":"1.0"}', API_URL)


def test_not_json_raises():
    with pytest.raises(ParseError, match="not a Xianyu search API response"):
        xianyu.parse(b"<html><body>hello</body></html>", API_URL)


def test_bad_row_is_recorded():
    body = (FILES / "xianyu_search.json").read_text(encoding="utf-8").replace('"780100000005"', '""')
    result = xianyu.parse(body.encode(), API_URL)
    assert len(result.items) == 5 and len(result.errors) == 1
