"""What the social-platform spiders (telegram, vk, weibo, tieba) share: a post fingerprint covering the whole text."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response

from crawler.items import ListingItem
from store.listings import sha256_of


def post_fingerprint(item: ListingItem) -> str:
    """Title, full text, price and edit state: an edited post body counts as a change (photo URLs are
    left out because platform CDNs sign them anew on every fetch)."""
    edited = item.extra.get("edited") if isinstance(item.extra, dict) else None
    parts = [item.title or "", item.text or "", str(item.price_text or item.price or ""), str(bool(edited))]
    return sha256_of("\x1f".join(parts).encode("utf-8"))


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def loopback_credentials(source: Any, url: str | None) -> str:
    """options.loopback_credentials, honoured only when the source talks to this machine (the demo marketplace):
    real tokens and cookies always come from the environment, never from a config file."""
    value = str((source.options or {}).get("loopback_credentials") or "")
    host = urlsplit(url or "").hostname or ""
    return value if value and host in LOOPBACK_HOSTS else ""


class SocialSpiderMixin:
    """Put before SaigaSpider: posts are complete records, so their fingerprint is the whole post."""

    def handle_card(self, card: ListingItem, response: Response) -> Iterator[Any]:
        card.__class__ = _PostItem if type(card) is ListingItem else card.__class__
        yield from super().handle_card(card, response)  # type: ignore[misc]


class _PostItem(ListingItem):
    """A ListingItem whose fingerprint is the post fingerprint (same fields, same storage)."""

    def card_fingerprint(self) -> str:
        return post_fingerprint(self)
