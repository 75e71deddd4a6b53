"""The Tieba parser, field by field, on saved mobile forum, desktop search and 百度安全验证 pages."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crawler.parsers import ParseError
from crawler.parsers.tieba import parse, parse_tieba_time

FILES = Path(__file__).parent / "files"
FORUM = "https://tieba.baidu.com/mo/q/m?kw=%E7%BE%9A%E7%BE%8A%E8%A7%92&pn=0"
SEARCH = "https://tieba.baidu.com/f/search/res?isnew=1&qw=%E7%BE%9A%E7%BE%8A%E8%A7%92"
NOW = dt.datetime(2026, 11, 21, 4, 0, tzinfo=dt.timezone.utc)  # 12:00 in China


@pytest.fixture(scope="module")
def forum():
    return parse((FILES / "tieba_mobile_forum.html").read_bytes(), FORUM, now=NOW)


@pytest.fixture(scope="module")
def search():
    return parse((FILES / "tieba_search.html").read_bytes(), SEARCH, now=NOW)


def test_forum_page(forum):
    assert forum.kind == "channel" and len(forum.items) == 15 and forum.errors == []
    assert forum.next_page == "https://tieba.baidu.com/mo/q/m?kw=%E7%BE%9A%E7%BE%8A%E8%A7%92&pn=15"


def test_pinned_rules_thread(forum):
    first = forum.items[0]
    assert first.platform_listing_id == "8100009999"
    assert first.title == "【吧规】禁止发布违法交易信息"
    assert first.extra == {"forum": "羚羊角", "pinned": True, "replies": 0}
    assert first.posted_at == dt.datetime(2026, 10, 20, 16, 0, tzinfo=dt.timezone.utc)  # "10-21" in China time


def test_forum_thread_fields(forum):
    t = next(i for i in forum.items if i.platform_listing_id == "8100003973")
    assert t.url == "https://tieba.baidu.com/p/8100003973"
    assert t.title == t.text == "羚羊角丝一斤起批（3）"
    assert t.seller_name == t.seller_platform_id == "新疆阿达"
    assert t.seller_url == "https://tieba.baidu.com/home/main?un=%E6%96%B0%E7%96%86%E9%98%BF%E8%BE%BE"
    assert t.photo_urls == ["https://imgsa.baidu.com/forum/pic/item/8100003973_0.jpg",
                            "https://imgsa.baidu.com/forum/pic/item/8100003973_1.jpg"]
    assert t.extra["replies"] == 24
    assert t.posted_at == dt.datetime(2026, 11, 21, 3, 56, tzinfo=dt.timezone.utc)  # shown as "11:56": today, China time


def test_search_page(search):
    assert search.kind == "search" and len(search.items) == 10
    assert search.next_page == "https://tieba.baidu.com/f/search/res?isnew=1&qw=%E7%BE%9A%E7%BE%8A%E8%A7%92&pn=2"


def test_search_post_fields(search):
    p = next(i for i in search.items if i.platform_listing_id == "8100004795_81000047953")
    assert p.url == "https://tieba.baidu.com/p/8100004795?pid=81000047953#81000047953"
    assert p.title == "出羚羊角片，量少（3）"
    assert p.text == "出羚羊角片，量少（3）\n自家存货，50克，私聊"
    assert (p.seller_name, p.seller_platform_id) == ("药农张哥", "药农张哥")
    assert p.posted_at == dt.datetime(2026, 11, 21, 4, 2, tzinfo=dt.timezone.utc)
    assert p.extra == {"thread_id": "8100004795", "post_id": "81000047953", "forum": "中药材"}
    assert p.photo_urls == ["https://imgsa.baidu.com/forum/pic/item/8100004795_0.jpg"]


def test_search_contacts(search):
    seller = next(i for i in search.items if "出售羚羊角整支" in i.title)
    assert seller.handles == ["wechat:lyj_xiaoli2026"]


def test_no_results_and_block_page():
    assert parse((FILES / "tieba_search_empty.html").read_bytes(), SEARCH).kind == "empty"
    blocked = parse((FILES / "tieba_block.html").read_bytes(), SEARCH)
    assert blocked.kind == "blocked" and "百度安全验证" in blocked.block_reason
    assert parse(b"", "https://wappass.baidu.com/static/captcha/tuxing.html?x=1").kind == "blocked"


def test_unknown_page_raises():
    with pytest.raises(ParseError, match="li.tl_shadow"):
        parse(b"<html><head><title>x</title></head><body>nothing</body></html>", SEARCH)


def test_thread_without_numeric_id_is_a_row_error():
    html = (FILES / "tieba_mobile_forum.html").read_text(encoding="utf-8").replace('tid="8100003973"', 'tid="abc"', 1)
    result = parse(html.encode("utf-8"), FORUM, now=NOW)
    assert len(result.items) == 14 and "abc" in result.errors[0]


@pytest.mark.parametrize("raw, expected", [
    ("11:30", dt.datetime(2026, 11, 21, 3, 30, tzinfo=dt.timezone.utc)),
    ("18:58", dt.datetime(2026, 11, 20, 10, 58, tzinfo=dt.timezone.utc)),  # later than now: yesterday
    ("10-17", dt.datetime(2026, 10, 16, 16, 0, tzinfo=dt.timezone.utc)),
    ("2018-10-17", dt.datetime(2018, 10, 16, 16, 0, tzinfo=dt.timezone.utc)),
    ("2024-05-11 12:30", dt.datetime(2024, 5, 11, 4, 30, tzinfo=dt.timezone.utc)),
    ("", None),
])
def test_times(raw, expected):
    assert parse_tieba_time(raw, NOW) == expected


def test_search_list_without_posts_or_no_result_notice_is_not_empty():
    html = (FILES / "tieba_search.html").read_text(encoding="utf-8").replace('class="s_post"', 'class="s_post_v2"')
    result = parse(html.encode("utf-8"), SEARCH, now=NOW)
    assert result.kind == "search" and result.items == []
