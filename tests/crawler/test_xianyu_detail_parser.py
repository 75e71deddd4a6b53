"""Xianyu parser on saved item detail API answers (mtop.taobao.idle.pc.detail), field by field."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crawler.parsers import ParseError, xianyu

FILES = Path(__file__).parent / "files"
DETAIL_URL = ("https://h5api.m.goofish.com/h5/mtop.taobao.idle.pc.detail/1.0/"
              "?jsv=2.7.2&appKey=34839810&t=1795400000000&sign=0f0f&api=mtop.taobao.idle.pc.detail&v=1.0")


def answer(name: str, url: str = DETAIL_URL):
    return xianyu.parse((FILES / name).read_bytes(), url)


@pytest.fixture(scope="module")
def live():
    return answer("xianyu_detail.json")


@pytest.fixture(scope="module")
def item(live):
    return live.items[0]


def test_live_item_is_a_listing(live):
    assert live.kind == "listing" and len(live.items) == 1 and live.errors == []


def test_id_and_url(item):
    assert item.platform_listing_id == "780100000001"  # itemDO.itemId is a number in the real answer
    assert item.url == "https://www.goofish.com/item?id=780100000001"


def test_title_and_text(item):
    assert item.title == "羚羊角 整支 一对"
    assert item.text == "羚羊角 整支 一对\n老家收藏的羚羊角，一对，长约30厘米，颜色白透，无裂纹。懂的来，不议价。"


def test_price(item):
    assert (item.price, item.currency, item.price_text) == (3800.0, "CNY", "¥3800")


def test_location_is_the_publish_city(item):
    assert item.location == "新疆"


def test_seller(item):
    # the numeric sellerId is not the encrypted seller_id of search cards: kept aside, never a second seller
    assert item.seller_name == "天山来客" and item.seller_platform_id is None
    assert item.extra["seller_user_id"] == "2209876543210"


def test_posted_at(item):
    assert item.posted_at == dt.datetime(2026, 11, 15, 2, 20, tzinfo=dt.timezone.utc)


def test_photos_protocol_relative_made_https(item):
    assert item.photo_urls == ["http://img.alicdn.com/bao/uploaded/i3/O1CN01demo780100000001_!!0-fleamarket.jpg",
                               "https://img.alicdn.com/bao/uploaded/i4/O1CN01demo780100000001b_!!0-fleamarket.jpg"]


def test_counters(item):
    assert item.extra["want"] == 12 and item.extra["views"] == 356 and item.extra["original_price"] == "5000"
    assert item.language == "zh" and not item.is_card


def test_same_content_as_the_search_card(item):
    """A live re-check must not record a new version: title, text, price, currency, location match the card."""
    card = next(i for i in xianyu.parse((FILES / "xianyu_search.json").read_bytes(), DETAIL_URL).items
                if i.platform_listing_id == "780100000001")
    fields = ("title", "text", "price", "currency", "location", "url", "posted_at")
    assert {f: getattr(item, f) for f in fields} == {f: getattr(card, f) for f in fields}


def test_demo_server_url():
    result = answer("xianyu_detail.json", "http://127.0.0.1:8088/xianyu/h5/mtop.taobao.idle.pc.detail/1.0/?t=1")
    assert result.items[0].url == "http://127.0.0.1:8088/xianyu/item?id=780100000001"


def test_sold_item_is_gone():
    result = answer("xianyu_detail_sold.json")
    assert (result.kind, result.items) == ("empty", [])
    reason = xianyu.removal_reason((FILES / "xianyu_detail_sold.json").read_bytes())
    assert "已卖出" in reason and "itemStatus 2" in reason


def test_deleted_item_is_gone():
    result = answer("xianyu_detail_not_exist.json")
    assert (result.kind, result.items) == ("empty", [])
    assert "FAIL_BIZ_ITEM_NOT_EXIST" in xianyu.removal_reason((FILES / "xianyu_detail_not_exist.json").read_bytes())


def test_other_biz_error_naming_a_missing_item_is_gone():
    body = '{"api":"mtop.taobao.idle.pc.detail","data":{},"ret":["FAIL_BIZ_ERROR::商品不存在"],"v":"1.0"}'.encode()
    assert xianyu.parse(body, DETAIL_URL).kind == "empty" and xianyu.removal_reason(body)


def test_live_item_has_no_removal_reason():
    assert xianyu.removal_reason((FILES / "xianyu_detail.json").read_bytes()) is None


def test_missing_status_is_a_markup_error_never_a_removal():
    with pytest.raises(ParseError, match="itemStatus"):
        answer("xianyu_detail_no_status.json")
    assert xianyu.removal_reason((FILES / "xianyu_detail_no_status.json").read_bytes()) is None


def test_risk_control_on_a_detail_call_is_blocked():
    result = answer("xianyu_detail_rgv587.json")
    assert result.kind == "blocked" and "RGV587_ERROR" in result.block_reason
    assert xianyu.removal_reason((FILES / "xianyu_detail_rgv587.json").read_bytes()) is None


def test_unrelated_api_error_is_not_a_removal():
    body = b'{"api":"mtop.taobao.idle.pc.detail","data":{},"ret":["FAIL_SYS_SERVICE_TIMEOUT::timeout"],"v":"1.0"}'
    with pytest.raises(ParseError, match="FAIL_SYS_SERVICE_TIMEOUT"):
        xianyu.parse(body, DETAIL_URL)
    assert xianyu.removal_reason(body) is None


def test_answer_without_item_or_results_names_both():
    body = b'{"api":"mtop.taobao.idle.pc.detail","data":{"x":1},"ret":["SUCCESS::ok"],"v":"1.0"}'
    with pytest.raises(ParseError, match="itemDO"):
        xianyu.parse(body, DETAIL_URL)


def test_generated_title_is_replaced_by_the_first_line_like_search_cards():
    """itemDO.title may be a cut-off start of the post; the search card's title is the post's first line."""
    body = (FILES / "xianyu_detail.json").read_text(encoding="utf-8").replace(
        '"title": "羚羊角 整支 一对"', '"title": "羚羊角 整支"')
    item = xianyu.parse(body.encode(), DETAIL_URL).items[0]
    assert item.title == "羚羊角 整支 一对" and item.text.startswith("羚羊角 整支 一对\n老家收藏")


def test_title_not_in_desc_heads_the_text():
    body = (FILES / "xianyu_detail.json").read_text(encoding="utf-8").replace(
        '"title": "羚羊角 整支 一对"', '"title": "收藏级 老货"')
    item = xianyu.parse(body.encode(), DETAIL_URL).items[0]
    assert item.title == "收藏级 老货" and item.text.startswith("收藏级 老货\n羚羊角 整支 一对\n")
