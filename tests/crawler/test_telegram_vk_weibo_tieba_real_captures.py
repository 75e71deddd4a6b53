"""`saigawatch parse` on the real captures in ../shared/fixtures (skipped when that folder is absent)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"no real captures at {FIXTURES}")


def run_parse(platform: str, path: Path, url: str) -> dict:
    """What `saigawatch parse` prints: the platform parser's result as JSON (through the parser registry)."""
    from crawler.parsers import registry

    return json.loads(json.dumps(registry()[platform](path.read_bytes(), url).to_json()))


def test_parse_command_on_a_capture():
    pytest.importorskip("saigawatch.commands.parse", reason="the parse command is not there yet")
    from saigawatch.cli import app

    page = FIXTURES / "telegram" / "infoscape__tme_s_infoscape_test_channel.html"
    result = CliRunner().invoke(app, ["parse", "telegram", str(page), "--url", "https://t.me/s/infoscape_test"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["kind"] == "channel" and len(out["items"]) == 5


def test_telegram_channel_capture_matches_its_expected_posts():
    page = FIXTURES / "telegram" / "infoscape__tme_s_infoscape_test_channel.html"
    expected = json.loads((FIXTURES / "telegram" / "infoscape__tme_s_infoscape_test_expected_posts.json").read_text())
    out = run_parse("telegram", page, "https://t.me/s/infoscape_test")
    assert out["kind"] == "channel"
    items = {i["url"]: i for i in out["items"]}
    # The service message ("Channel created") is skipped; every other expected post is there with its text.
    for post in expected:
        if post["text"] == "Channel created":
            assert post["link"] not in items
            continue
        item = items[post["link"]]
        assert item["text"] == post["text"].split("\n")[0]
        assert item["posted_at"].startswith("2022-05-24T")
    assert items["https://t.me/infoscape_test/3"]["photo_urls"][0].startswith("https://cdn4.telegram-cdn.org/file/")
    assert items["https://t.me/infoscape_test/5"]["extra"]["documents"][0]["title"].endswith(".jpg")
    assert items["https://t.me/infoscape_test/5"]["phones"] == []  # a file name with a date is not a phone
    assert items["https://t.me/infoscape_test/4"]["extra"]["link_previews"][0]["url"] == "https://yandex.ru/"
    assert items["https://t.me/infoscape_test/7"]["extra"]["reply_to"] == "https://t.me/infoscape_test/2"


def test_vk_wall_capture():
    out = run_parse("vk", FIXTURES / "vk" / "social-rss__wall_get_extended_response.json",
                    "https://api.vk.com/method/wall.get?domain=live&count=100&extended=1&v=5.131")
    assert out["kind"] == "channel" and len(out["items"]) >= 100 and out["total"] == 3287
    assert out["next_page"].endswith("&offset=100")
    first = out["items"][0]
    assert first["url"].startswith("https://vk.com/wall-2158488_")
    assert first["seller_name"] == "LIVE" and first["seller_url"] == "https://vk.com/live"
    assert any(i["photo_urls"] for i in out["items"])


def test_weibo_mblog_capture():
    out = run_parse("weibo", FIXTURES / "weibo" / "dbi-repositories__m_weibo_cn_mblog_list.json",
                    "https://m.weibo.cn/api/container/getIndex?containerid=x")
    assert out["kind"] == "search" and len(out["items"]) == 2
    first = out["items"][0]
    assert first["posted_at"] == "2022-03-29T01:03:09+00:00"
    assert "<" not in first["text"] and "全文" not in first["text"]
    assert first["extra"]["long_text_url"].endswith("/statuses/extend?id=" + first["platform_listing_id"])
    assert out["items"][1]["photo_urls"][0].startswith("https://wx3.sinaimg.cn/large/")


def test_tieba_mobile_forum_capture():
    out = run_parse("tieba", FIXTURES / "tieba" / "DUENAIVE_spider__tieba_mobile_frs_pingdingshan_full.html",
                    "https://tieba.baidu.com/f?kw=%E5%B9%B3%E9%A1%B6%E5%B1%B1%E5%AD%A6%E9%99%A2")
    assert out["kind"] == "channel" and len(out["items"]) >= 40
    assert all(i["url"].startswith("https://tieba.baidu.com/p/") for i in out["items"])
    assert all(i["title"] for i in out["items"])
    assert any(i["photo_urls"] for i in out["items"])
