"""The Weibo mobile API parser, field by field, on saved getIndex / statuses/extend / visitor pages."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crawler.parsers import ParseError
from crawler.parsers._html import html_to_text
from crawler.parsers.weibo import parse, parse_created_at

FILES = Path(__file__).parent / "files"
SEARCH = "https://m.weibo.cn/api/container/getIndex?containerid=100103type%3D1%26q%3D%E7%BE%9A%E7%BE%8A%E8%A7%92&page_type=searchall"
NOW = dt.datetime(2026, 11, 21, 4, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def page():
    return parse((FILES / "weibo_getindex.json").read_bytes(), SEARCH)


def test_search_page_kind_total_next(page):
    assert page.kind == "search" and page.total == 26 and len(page.items) == 10
    assert page.next_page == SEARCH + "&page=2"


def test_cards_inside_card_groups_are_read(page):
    data = json.loads((FILES / "weibo_getindex.json").read_text(encoding="utf-8"))
    grouped = [c["mblog"]["id"] for c in data["data"]["cards"][0]["card_group"]]
    assert [i.platform_listing_id for i in page.items[:3]] == grouped


def test_post_fields(page):
    post = next(i for i in page.items if i.platform_listing_id == "4900000000032007")
    assert post.url == "https://m.weibo.cn/detail/4900000000032007"
    assert post.title == post.text == "【打击走私】霍尔果斯口岸查获羚羊角制品，涉案价值超百万元"
    assert post.location == "新疆"
    assert (post.seller_platform_id, post.seller_name, post.seller_url) == ("7006", "海关发布", "https://m.weibo.cn/u/7006")
    assert post.posted_at == dt.datetime(2026, 11, 21, 1, 7, tzinfo=dt.timezone.utc)
    assert post.photo_urls == ["https://wx3.sinaimg.cn/large/demo4900000000032007x0-large.jpg"]
    assert post.extra["likes"] == 23 and post.extra["reposts"] == 7 and post.extra["edited"] is False


def test_long_text_is_marked_for_expansion_without_the_full_text_link(page):
    post = next(i for i in page.items if i.platform_listing_id == "4900000000027007")
    assert post.extra["is_long_text"] is True
    assert post.extra["long_text_url"] == "https://m.weibo.cn/statuses/extend?id=4900000000027007"
    assert post.text == "羚羊角丝现货，一两起批，包邮。"
    assert "全文" not in post.text


def test_extend_gives_the_full_text_and_contacts():
    result = parse((FILES / "weibo_extend.json").read_bytes(), "https://m.weibo.cn/statuses/extend?id=4900000000027007")
    assert result.kind == "listing"
    item = result.items[0]
    assert item.platform_listing_id == "4900000000027007"
    assert item.text.endswith("需要的加VX：lyjs_pifa")
    assert item.handles == ["wechat:lyjs_pifa"]


def test_deleted_post_on_extend_is_empty():
    body = json.dumps({"ok": 0, "msg": "该微博不存在", "data": {}}, ensure_ascii=False).encode()
    assert parse(body, "https://m.weibo.cn/statuses/extend?id=1").kind == "empty"


def test_bare_mblog_list_and_retweets():
    original = {"id": "1", "created_at": "Tue Mar 29 09:03:09 +0800 2022", "text": "出售羚羊角 电话 139 1234 5678",
                "user": {"id": 9, "screen_name": "卖家"}}
    repost = {"id": "2", "created_at": "Tue Mar 29 10:00:00 +0800 2022", "text": "转发微博",
              "user": {"id": 8, "screen_name": "路人"}, "retweeted_status": original}
    result = parse(json.dumps([repost]).encode(), "https://m.weibo.cn/api/container/getIndex?x=1")
    assert [i.platform_listing_id for i in result.items] == ["2", "1"]
    assert result.items[0].text == "转发微博\n\n出售羚羊角 电话 139 1234 5678"
    assert result.items[0].phones == ["+8613912345678"]
    assert result.items[0].extra["retweeted"]["author"] == "卖家"
    assert result.items[1].extra["reposted_by"] == "2"


def test_visitor_page_and_login_redirects_are_blocks():
    visitor = (FILES / "weibo_visitor.html").read_bytes()
    assert parse(visitor, SEARCH).kind == "blocked"
    assert parse(b"", "https://passport.weibo.com/visitor/visitor?entry=miniblog").kind == "blocked"
    assert parse(b'{"ok": -100, "url": "https://passport.weibo.cn/signin/welcome"}', SEARCH).kind == "blocked"


def test_no_results_is_empty():
    body = json.dumps({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}, ensure_ascii=False).encode()
    assert parse(body, SEARCH).kind == "empty"


def test_unknown_shapes_raise():
    with pytest.raises(ParseError, match="non-JSON"):
        parse(b"<html><body>hello</body></html>", SEARCH)
    with pytest.raises(ParseError, match="data.cards"):
        parse(b'{"ok": 1, "data": {"x": 1}}', SEARCH)


def test_html_text_keeps_emoji_names_and_line_breaks():
    html = '出售<br />羚羊角<span class="url-icon"><img alt="[笑cry]" src="x.png" /></span> <a href="/n/x">@卖家</a>'
    assert html_to_text(html) == "出售\n羚羊角[笑cry] @卖家"


@pytest.mark.parametrize("raw, expected", [
    ("Tue Mar 29 09:03:09 +0800 2022", dt.datetime(2022, 3, 29, 1, 3, 9, tzinfo=dt.timezone.utc)),
    ("刚刚", NOW),
    ("5分钟前", NOW - dt.timedelta(minutes=5)),
    ("今天 09:30", dt.datetime(2026, 11, 21, 1, 30, tzinfo=dt.timezone.utc)),
    ("昨天 23:00", dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.timezone.utc)),
    ("11-19", dt.datetime(2026, 11, 18, 16, 0, tzinfo=dt.timezone.utc)),
    ("2025-12-30", dt.datetime(2025, 12, 29, 16, 0, tzinfo=dt.timezone.utc)),
    ("whenever", None),
])
def test_created_at(raw, expected):
    assert parse_created_at(raw, NOW) == expected
