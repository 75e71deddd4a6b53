"""A single Telegram post's embed page (t.me/<channel>/<id>?embed=1) parses to the same post as the channel page."""
from __future__ import annotations

import urllib.request

from crawler.parsers.telegram import parse
from demo_marketplace.server import serve_in_thread


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def test_embed_address_parses_to_the_same_post():
    with serve_in_thread() as base:
        channel = parse(_get(f"{base}/telegram/s/saiga_rog_kz"), f"{base}/telegram/s/saiga_rog_kz")
        post = channel.items[-1]
        address = f"{post.url}?embed=1"
        single = parse(_get(address), address)
    assert single.kind == "listing"
    assert [i.platform_listing_id for i in single.items] == [post.platform_listing_id]
    assert single.items[0].url == post.url
