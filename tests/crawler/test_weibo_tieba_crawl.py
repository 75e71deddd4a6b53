"""End-to-end Weibo and Tieba crawls of the demo marketplace: long texts expanded, cookies, blocks, forums and search."""
from __future__ import annotations

import pytest

from demo_marketplace import tieba as demo_tieba
from demo_marketplace import weibo as demo_weibo
from demo_marketplace.server import serve_in_thread
from tests.crawler.telegram_support import crawl, demo_settings, new_store, source_run, stored

pytestmark = pytest.mark.slow
COOKIE_ENV = "SAIGAWATCH_TEST_WEIBO_COOKIE"


@pytest.fixture
def demo():
    with serve_in_thread() as base:
        yield base


def weibo_source(base: str, **extra) -> dict:
    return {"name": "weibo", "platform": "weibo", "language": "zh", "queries": ["羚羊角"], "base_url": f"{base}/weibo",
            "credentials_env": COOKIE_ENV, "max_pages": 5, **extra}


def tieba_source(base: str, **extra) -> dict:
    return {"name": "tieba", "platform": "tieba", "language": "zh", "queries": ["羚羊角"], "channels": ["羚羊角吧"],
            "base_url": f"{base}/tieba", "max_pages": 5, **extra}


def test_weibo_search_with_long_texts_expanded(demo, tmp_path, monkeypatch):
    monkeypatch.setenv(COOKIE_ENV, "SUB=_2A25demo; SUBP=0033demo")
    settings = demo_settings(tmp_path, [weibo_source(demo)], download_images=False)
    store = new_store(settings)
    summary = crawl(settings, store, "weibo")
    posts = stored(store, "weibo")
    expected = {str(p.id) for p in demo_weibo.online(0) if "羚羊角" in p.text + p.long_tail}
    assert expected <= set(posts)
    run = source_run(store, summary["crawl_run_id"])
    assert run.status == "ok"
    long_post = next(l for l in posts.values() if l.text.startswith("出售正宗赛加羚羊角"))
    assert long_post.text.endswith("电话 139 1234 5678")  # the part only statuses/extend returns
    assert long_post.extra["long_text_expanded"] is True
    assert long_post.phones == ["+8613912345678"] and long_post.handles == ["wechat:zhang_yaocai88"]
    assert long_post.seller.name == "西北药材老张" and long_post.location == "甘肃"
    assert long_post.url == f"{demo}/weibo/detail/{long_post.platform_listing_id}"  # as m.weibo.cn/detail/<id>
    assert long_post.seller.url == f"{demo}/weibo/u/7001"


def test_weibo_without_cookie_is_not_configured_and_a_bad_cookie_is_a_block(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("SAIGAWATCH_TEST_WEIBO_BAD", "foo=bar")
    settings = demo_settings(tmp_path, [weibo_source(demo), weibo_source(demo, name="weibo-bad",
                                                                         credentials_env="SAIGAWATCH_TEST_WEIBO_BAD")])
    monkeypatch.delenv(COOKIE_ENV, raising=False)
    store = new_store(settings)
    summary = crawl(settings, store)
    assert summary["not_configured_sources"] == ["weibo"]
    assert COOKIE_ENV in summary["sources"]["weibo"]["status_detail"]
    assert summary["blocked_sources"] == ["weibo-bad"]
    assert "login/visitor" in summary["sources"]["weibo-bad"]["status_detail"]
    assert stored(store, "weibo") == {}


def test_tieba_search_and_forum(demo, tmp_path):
    settings = demo_settings(tmp_path, [tieba_source(demo)], download_images=False)
    store = new_store(settings)
    summary = crawl(settings, store, "tieba")
    posts = stored(store, "tieba")
    threads = demo_tieba.online(0)
    forum_ids = {str(t.tid) for t in threads if t.forum == "羚羊角"}
    search_ids = {f"{t.tid}_{t.tid * 10 + 3}" for t in threads if "羚羊角" in t.title + t.content}
    assert forum_ids | search_ids == set(posts)
    assert summary["sources"]["tieba"]["status"] == "ok"
    hit = next(l for l in posts.values() if "出售羚羊角整支" in l.title and "_" in l.platform_listing_id)
    assert hit.handles == ["wechat:lyj_xiaoli2026"] and hit.seller.name == "药材商小李"
    assert hit.extra["forum"] == "羚羊角" and hit.posted_at is not None


def test_tieba_security_check_is_a_block(demo, tmp_path):
    demo.state.add_fault("/tieba/", "block")
    settings = demo_settings(tmp_path, [tieba_source(demo)], download_images=False)
    store = new_store(settings)
    summary = crawl(settings, store, "tieba")
    assert summary["blocked_sources"] == ["tieba"] and "百度安全验证" in summary["sources"]["tieba"]["status_detail"]
    assert stored(store, "tieba") == {}


def test_weibo_deleted_post_is_marked_removed(demo, tmp_path, monkeypatch):
    monkeypatch.setenv(COOKIE_ENV, "SUB=_2A25demo")
    settings = demo_settings(tmp_path, [weibo_source(demo)], download_images=False)
    store = new_store(settings)
    crawl(settings, store, "weibo")
    gone = "4900000000004007"  # 高价回收赛加羚羊角, deleted after day 1
    assert stored(store, "weibo")[gone].removed_at is None
    demo.set_day(2)
    crawl(settings, store, "weibo")
    posts = stored(store, "weibo")
    assert posts[gone].removed_at is not None
    assert all(l.removed_at is None for pid, l in posts.items() if pid != gone)


def test_tieba_deleted_thread_is_marked_removed(demo, tmp_path):
    settings = demo_settings(tmp_path, [tieba_source(demo)], download_images=False)
    store = new_store(settings)
    crawl(settings, store, "tieba")
    deleted = {t.tid for t in demo_tieba.build() if t.until is not None and t.until < 2}
    assert deleted, "the demo deletes a thread after day 1"
    demo.set_day(2)
    summary = crawl(settings, store, "tieba")
    assert summary["sources"]["tieba"]["status"] == "ok"
    posts = stored(store, "tieba")
    gone = {pid for pid, listing in posts.items() if listing.removed_at is not None}
    assert gone and {int(pid.split("_")[0]) for pid in gone} <= deleted
    live_ids = {t.tid for t in demo_tieba.online(2)}
    assert all(listing.removed_at is None for pid, listing in posts.items() if int(pid.split("_")[0]) in live_ids)
