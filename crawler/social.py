"""What the social-platform spiders and parsers (telegram, vk, weibo, tieba) share: post fingerprints and post URLs."""
from __future__ import annotations

from urllib.parse import urlsplit

from crawler.items import ListingItem
from store.listings import sha256_of


def post_fingerprint(item: ListingItem) -> str:
    """Title, full text, price and edit state: an edited post body counts as a change (photo URLs are
    left out because platform CDNs sign them anew on every fetch)."""
    edited = item.extra.get("edited") if isinstance(item.extra, dict) else None
    parts = [item.title or "", item.text or "", str(item.price_text or item.price or ""), str(bool(edited))]
    return sha256_of("\x1f".join(parts).encode("utf-8"))


def web_base(fetched_url: str, real_base: str, real_domains: tuple[str, ...], markers: tuple[str, ...]) -> str:
    """Where a platform's posts are viewed. `real_base` (e.g. https://vk.com) when the page or API response came
    from the platform itself (a host in or under `real_domains`); otherwise (the demo marketplace, a mirror) the
    fetched URL's origin plus its path up to the first of `markers` (e.g. "/method/"), so that
    http://127.0.0.1:8000/vk/method/wall.get gives http://127.0.0.1:8000/vk. Without a marker: `real_base`."""
    parts = urlsplit(fetched_url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or any(host == d or host.endswith("." + d) for d in real_domains):
        return real_base
    cuts = [i for i in (parts.path.find(m) for m in markers) if i >= 0]
    if not cuts:
        return real_base
    return f"{parts.scheme}://{parts.netloc}{parts.path[:min(cuts)]}"


class SocialSpiderMixin:
    """Put before SaigaSpider: posts are complete records, so their fingerprint is the whole post."""

    def card_fingerprint(self, card: ListingItem) -> str:
        return post_fingerprint(card)
