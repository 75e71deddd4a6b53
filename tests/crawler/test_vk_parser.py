"""The VK API parser, field by field, on saved wall.get / newsfeed.search / error responses (tests/crawler/files)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crawler.parsers import ParseError
from crawler.parsers.vk import api_error, largest_photo, load, parse

FILES = Path(__file__).parent / "files"
WALL = "https://api.vk.com/method/wall.get?domain=baraholka_atyrau&count=6&extended=1&v=5.131"
SEARCH = "https://api.vk.com/method/newsfeed.search?q=%D1%80%D0%BE%D0%B3%D0%B0&count=4&extended=1&v=5.131"


def _parse(name: str, url: str):
    return parse((FILES / name).read_bytes(), url)


@pytest.fixture(scope="module")
def wall():
    return _parse("vk_wall_get.json", WALL)


def test_wall_kind_total_and_next_offset(wall):
    assert wall.kind == "channel"
    assert wall.total == 32
    assert len(wall.items) == 6
    assert wall.next_page == WALL + "&offset=6"


def test_post_with_a_market_price(wall):
    post = next(i for i in wall.items if i.platform_listing_id == "-1001_193")
    assert post.url == "https://vk.com/wall-1001_193"
    assert post.title == post.text == "Продаю диван и два кресла, самовывоз"
    assert (post.price, post.currency, post.price_text) == (20000.0, "KZT", "20 000 ₸")
    assert post.posted_at == dt.datetime(2026, 11, 21, 10, 13, tzinfo=dt.timezone.utc)
    # the author (a user posting on the community wall) is the seller, named from `profiles`
    assert (post.seller_platform_id, post.seller_name, post.seller_url) == ("505", "Дмитрий П.", "https://vk.com/id505")
    assert post.extra["views"] == 677 and post.extra["owner_id"] == -1001 and post.extra["from_id"] == 505
    assert post.photo_urls == ["https://sun9-77.userapi.com/demo/market_193.jpg"]


def test_photos_take_the_largest_size(wall):
    post = next(i for i in wall.items if i.platform_listing_id == "-1001_190")
    assert post.photo_urls == ["https://sun9-77.userapi.com/demo/1001_190_0_y.jpg"]


def test_repost_carries_the_original_post():
    result = _parse("vk_wall_get_repost.json", "https://api.vk.com/method/wall.get?domain=ohotniki_kz&count=3")
    ids = [i.platform_listing_id for i in result.items]
    assert ids[:2] == ["-1002_130", "-1001_100"]
    repost, original = result.items[0], result.items[1]
    assert repost.text.endswith("Продам рога сайги, 3 пары, Атырау. Звоните 8 702 333 44 55")
    assert repost.phones == ["+77023334455"]
    assert repost.extra["copy_of"] == ["-1001_100"]
    assert repost.extra["copy_history"][0]["author"] == "Ерлан Б."
    assert repost.seller_name == "Охотники Казахстана" and repost.seller_url == "https://vk.com/ohotniki_kz"
    assert original.seller_platform_id == "501" and original.extra["reposted_by"] == "-1002_130"
    assert original.photo_urls == ["https://sun9-77.userapi.com/demo/1001_100_0_y.jpg"]


def test_newsfeed_search_pages_by_next_from():
    result = _parse("vk_newsfeed_search.json", SEARCH)
    assert result.kind == "search" and result.total == 16 and len(result.items) == 4
    assert result.next_page == SEARCH + "&start_from=4"
    doc_post = next(i for i in result.items if i.platform_listing_id == "-1004_118")
    assert doc_post.extra["documents"][0]["title"] == "инструкция.pdf"
    assert doc_post.seller_name == "Народная медицина Востока"


@pytest.mark.parametrize("code, words", [(6, "Too many requests"), (14, "Captcha"), (29, "Rate limit"), (5, "authorization")])
def test_api_errors_are_reported_with_their_code(code, words):
    result = _parse(f"vk_error_{code}.json", WALL)
    assert result.kind == "blocked"
    assert result.block_reason.startswith(f"vk error {code}:") and words in result.block_reason
    err = api_error(load((FILES / f"vk_error_{code}.json").read_bytes(), WALL))
    assert err.code == code and err.is_rate == (code in (6, 9))


def test_bare_response_object_and_deleted_post_by_id():
    body = json.dumps({"response": {"items": [], "profiles": [], "groups": []}}).encode()
    assert parse(body, "https://api.vk.com/method/wall.getById?posts=-1_2").kind == "empty"
    assert parse(json.dumps({"count": 0, "items": []}).encode(), WALL).kind == "empty"


def test_bad_row_is_recorded_and_others_kept():
    data = json.loads((FILES / "vk_wall_get.json").read_text(encoding="utf-8"))
    del data["response"]["items"][0]["id"]
    result = parse(json.dumps(data).encode(), WALL)
    assert len(result.items) == 5 and len(result.errors) == 1 and "items[0]" in result.errors[0]


def test_not_json_is_a_parse_error():
    with pytest.raises(ParseError, match="VK API JSON"):
        parse(b"<html>oops</html>", WALL)
    with pytest.raises(ParseError, match="response.items"):
        parse(b'{"response": {"foo": 1}}', WALL)


def test_largest_photo_old_and_new_shapes():
    assert largest_photo({"photo_130": "a", "photo_604": "b"}) == "b"
    assert largest_photo({"sizes": [{"url": "s", "width": 75, "height": 50}, {"url": "x", "width": 604, "height": 403}]}) == "x"
    assert largest_photo({}) is None
