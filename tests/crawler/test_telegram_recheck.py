"""Re-checking one Telegram post: the embed form of its address, which carries the post, never a bare page."""
from __future__ import annotations

import urllib.request

from demo_marketplace.server import serve_in_thread
from crawler.parsers import recheck_url
from crawler.parsers.telegram import parse


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def test_single_post_is_rechecked_through_its_embed_form():
    assert recheck_url("telegram", "https://t.me/saiga_rog_kz/49") == "https://t.me/saiga_rog_kz/49?embed=1"
    assert recheck_url("telegram", "https://t.me/saiga_rog_kz/49?single&embed=0") == "https://t.me/saiga_rog_kz/49?single&embed=1"


def test_channel_pages_and_other_platforms_are_fetched_as_they_are():
    assert recheck_url("telegram", "https://t.me/s/saiga_rog_kz") == "https://t.me/s/saiga_rog_kz"
    assert recheck_url("olx", "https://www.olx.kz/d/obyavlenie/x-ID1.html") == "https://www.olx.kz/d/obyavlenie/x-ID1.html"


def test_embed_address_parses_to_the_same_post():
    with serve_in_thread() as base:
        channel = parse(_get(f"{base}/telegram/s/saiga_rog_kz"), f"{base}/telegram/s/saiga_rog_kz")
        post = channel.items[-1]
        address = recheck_url("telegram", post.url)
        assert address.endswith("?embed=1")
        single = parse(_get(address), address)
    assert single.kind == "listing"
    assert [i.platform_listing_id for i in single.items] == [post.platform_listing_id]
    assert single.items[0].url == post.url
