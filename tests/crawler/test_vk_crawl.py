"""End-to-end VK crawls of the demo API: walls and searches stored, reposts, token handling, errors 5/6/14/29."""
from __future__ import annotations

import pytest

from demo_marketplace import vk as demo_vk
from demo_marketplace.server import serve_in_thread
from tests.crawler.telegram_support import crawl, demo_settings, new_store, source_run, stored

pytestmark = pytest.mark.slow
TOKEN_ENV = "SAIGAWATCH_TEST_VK_TOKEN"


@pytest.fixture
def demo(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "test-service-token")
    with serve_in_thread() as base:
        yield base


def source(base: str, **extra) -> dict:
    return {"name": "vk", "platform": "vk", "kind": "community", "language": "ru", "base_url": f"{base}/vk",
            "credentials_env": TOKEN_ENV, "channels": ["baraholka_atyrau"], "max_pages": 5,
            "options": {"wall_count": 10, "rate_backoff_s": 0.05, "rate_retries": 2}, **extra}


def wall_ids(gid: int, day: int = 0) -> set[str]:
    return {f"{p.owner_id}_{p.id}" for p in demo_vk._visible(demo_vk.build()[-gid], day)}


def test_wall_pages_search_and_fields(demo, tmp_path):
    settings = demo_settings(tmp_path, [source(demo, queries=["рога сайги"])], download_images=False)
    store = new_store(settings)
    summary = crawl(settings, store, "vk")
    posts = stored(store, "vk")
    assert wall_ids(1001) <= set(posts)  # the whole wall, 10 posts per wall.get page
    run = source_run(store, summary["crawl_run_id"])
    assert run.status == "ok" and run.pages_fetched >= 4
    p = posts["-1001_100"]
    assert p.url == f"{demo}/vk/wall-1001_100"  # the demo's web page for the post, as vk.com/wall-1001_100
    assert p.text == "Продам рога сайги, 3 пары, Атырау. Звоните 8 702 333 44 55"
    assert p.phones == ["+77023334455"]
    assert p.seller.platform_seller_id == "501" and p.seller.name == "Ерлан Б." and p.seller.url == f"{demo}/vk/id501"
    priced = posts["-1001_106"]  # "Рог сайги 1 шт, 290 г ..." with a market price
    assert (priced.price, priced.currency) == (95000.0, "KZT")
    # newsfeed.search found matching posts outside the configured wall too
    assert any(pid.startswith("-1002_") for pid in posts) or any(pid.startswith("-1004_") for pid in posts)
    # the token is sent in a header and never lands in stored URLs
    assert all("test-service-token" not in (l.search_url or "") + l.url for l in posts.values())


def test_repost_stores_the_original_with_its_author(demo, tmp_path):
    settings = demo_settings(tmp_path, [source(demo, channels=["ohotniki_kz"])], download_images=False)
    store = new_store(settings)
    crawl(settings, store, "vk")
    posts = stored(store, "vk")
    repost = next(l for l in posts.values() if l.extra.get("copy_of"))
    original = posts[repost.extra["copy_of"][0]]
    assert "Продам рога сайги" in repost.text and repost.phones == ["+77023334455"]
    assert original.seller.name == "Ерлан Б." and original.extra["reposted_by"] == repost.platform_listing_id


def test_missing_token_and_api_errors_in_one_run(demo, tmp_path, monkeypatch):
    """No token → not configured; errors 14/29/5 stop the source; error 6 is retried, and stops it when it persists."""
    monkeypatch.setenv("SAIGAWATCH_TEST_VK_EXPIRED", "expired")
    sources = [
        source(demo, name="vk-none", credentials_env="SAIGAWATCH_TEST_VK_UNSET"),
        source(demo, name="vk-14", channels=["__error_14"]),
        source(demo, name="vk-29", channels=["__error_29"]),
        source(demo, name="vk-6", channels=["__error_6"]),
        source(demo, name="vk-5", credentials_env="SAIGAWATCH_TEST_VK_EXPIRED"),
        source(demo, name="vk-flaky", channels=["baraholka_atyrau__flaky_6"], max_pages=1),  # 6 once, then data
    ]
    settings = demo_settings(tmp_path, sources, download_images=False)
    store = new_store(settings)
    summary = crawl(settings, store)
    assert summary["not_configured_sources"] == ["vk-none"]
    assert "SAIGAWATCH_TEST_VK_UNSET" in summary["sources"]["vk-none"]["status_detail"]
    assert sorted(summary["blocked_sources"]) == ["vk-14", "vk-29", "vk-5", "vk-6"]
    details = {name: summary["sources"][name]["status_detail"] for name in summary["blocked_sources"]}
    assert "vk error 14: Captcha needed" in details["vk-14"]
    assert "vk error 29: Rate limit reached" in details["vk-29"]
    assert "vk error 6" in details["vk-6"] and "after 2 retries" in details["vk-6"]
    assert "vk error 5" in details["vk-5"] and "SAIGAWATCH_TEST_VK_EXPIRED" in details["vk-5"]
    assert summary["sources"]["vk-flaky"]["status"] == "ok"  # retried after a back-off, then read
    assert len(stored(store, "vk")) == 10


def test_deleted_post_is_rechecked_by_id_and_marked_removed(demo, tmp_path):
    settings = demo_settings(tmp_path, [source(demo)], download_images=False)
    store = new_store(settings)
    crawl(settings, store, "vk")
    assert stored(store, "vk")["-1001_136"].removed_at is None
    demo.set_day(2)  # post 136 is deleted after day 1
    summary = crawl(settings, store, "vk")
    posts = stored(store, "vk")
    assert posts["-1001_136"].removed_at is not None
    assert posts["-1001_100"].removed_at is None
    assert summary["sources"]["vk"]["listings_removed"] == 1
