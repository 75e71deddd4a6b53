"""A demo crawl's social posts link to the demo marketplace: each post URL answers 200 while online, 404 once deleted."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from demo_marketplace import vk as demo_vk
from demo_marketplace.server import serve_in_thread
from crawler.parsers.telegram import parse as parse_telegram
from tests.crawler.telegram_support import crawl, demo_settings, new_store, stored

pytestmark = pytest.mark.slow
VK_TOKEN_ENV = "SAIGAWATCH_TEST_VK_TOKEN"
WEIBO_COOKIE_ENV = "SAIGAWATCH_TEST_WEIBO_COOKIE"


def sources(base: str) -> list[dict]:
    return [
        {"name": "tg", "platform": "telegram", "language": "ru", "channels": ["saiga_rog_kz"], "base_url": f"{base}/telegram",
         "max_pages": 1},
        {"name": "vk", "platform": "vk", "language": "ru", "channels": ["baraholka_atyrau"], "base_url": f"{base}/vk",
         "credentials_env": VK_TOKEN_ENV, "max_pages": 5, "options": {"wall_count": 10}},
        {"name": "weibo", "platform": "weibo", "language": "zh", "queries": ["羚羊角"], "base_url": f"{base}/weibo",
         "credentials_env": WEIBO_COOKIE_ENV, "max_pages": 5},
        {"name": "tieba", "platform": "tieba", "language": "zh", "channels": ["羚羊角吧"], "base_url": f"{base}/tieba",
         "max_pages": 3},
    ]


def status_and_body(url: str) -> tuple[int, bytes]:
    """GET as a browser would: no cookies, no token."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def set_day(base: str, day: int) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{base}/__demo/day/{day}", method="POST"), timeout=10).close()


def test_social_post_urls_are_served_by_the_demo_and_vanish_when_deleted(tmp_path, monkeypatch):
    monkeypatch.setenv(VK_TOKEN_ENV, "test-service-token")
    monkeypatch.setenv(WEIBO_COOKIE_ENV, "SUB=_2A25demo; SUBP=0033demo")
    with serve_in_thread() as base:
        settings = demo_settings(tmp_path, sources(base), download_images=False)
        store = new_store(settings)
        crawl(settings, store)
        for platform, path in (("telegram", "/telegram/"), ("vk", "/vk/wall"), ("weibo", "/weibo/detail/"), ("tieba", "/tieba/p/")):
            posts = stored(store, platform)
            assert posts, platform
            for listing in posts.values():
                assert listing.url.startswith(base + path), listing.url
                status, body = status_and_body(listing.url)
                assert status == 200, (listing.url, status)
                assert b"<html" in body.lower()
                if listing.seller and listing.seller.url:
                    assert listing.seller.url.startswith(base), listing.seller.url
        # A single Telegram post page parses as that post (the liveness re-check reads it so).
        tg = max(stored(store, "telegram").values(), key=lambda listing: int(listing.platform_listing_id.split("/")[1]))
        result = parse_telegram(status_and_body(tg.url)[1], tg.url)
        assert result.kind == "listing" and [i.platform_listing_id for i in result.items] == [tg.platform_listing_id]
        assert result.items[0].url == tg.url
        # Posts deleted on day 2 answer 404 at their address, as the platforms do.
        removed_vk = next(f"{p.owner_id}_{p.id}" for p in demo_vk.build()[-1001] if p.until == 1)
        vk_url = stored(store, "vk")[removed_vk].url
        assert status_and_body(vk_url)[0] == 200
        set_day(base, 2)
        assert status_and_body(vk_url)[0] == 404
        gone = [(p, l.url) for p in ("telegram", "weibo", "tieba") for l in stored(store, p).values()
                if status_and_body(l.url)[0] == 404]
        assert {p for p, _ in gone} >= {"weibo", "tieba"}, gone
        single_gone = [u for p, u in gone if p == "telegram"]
        for url in single_gone:
            assert parse_telegram(status_and_body(url)[1], url).kind == "empty"
