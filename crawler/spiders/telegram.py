"""Telegram public channels through t.me/s previews: history back by ?before=, in-channel ?q= search, discovery."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from scrapy.http import Request, Response

from crawler.items import ListingGone, ListingItem, ListingSeen
from crawler.known import KnownListing
from crawler.parsers import ParseResult
from crawler.social import SocialSpiderMixin
from crawler.spiders.base import SaigaSpider

_CHANNEL = re.compile(r"^(?:https?://)?(?:t\.me/(?:s/)?|@)?([A-Za-z][A-Za-z0-9_]{3,31})/?$")


def channel_name(value: str) -> str:
    """'@name', 't.me/name', 'https://t.me/s/name' or 'name' → 'name'; ValueError otherwise."""
    m = _CHANNEL.match(value.strip())
    if not m:
        raise ValueError(f"{value!r} is not a Telegram channel username (5-32 letters, digits, _)")
    return m.group(1)


class TelegramSpider(SocialSpiderMixin, SaigaSpider):
    """Source options: `discover` (bool, follow forwards and t.me/ links to new channels),
    `discover_depth` (int, default 1), `discover_max_channels` (int, default 20)."""

    name = "telegram"
    known_options = frozenset({"discover", "discover_depth", "discover_max_channels"})
    platform = "telegram"
    default_base_url = "https://t.me"
    required_fields = ()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.channels: list[str] = []
        self.bad_channels: list[str] = []
        for value in self.source.channels:
            try:
                self.channels.append(channel_name(value))
            except ValueError as exc:
                self.bad_channels.append(str(exc))
        options = self.source.options or {}
        self.discover = bool(options.get("discover", False))
        self.discover_depth = int(options.get("discover_depth", 1))
        self.discover_max = int(options.get("discover_max_channels", 20))
        self.visited: set[str] = {c.lower() for c in self.channels}
        self.discovered: list[str] = []

    def check_configured(self) -> str | None:
        if not self.source.channels:
            return "a Telegram source needs 'channels' (t.me has no global search; 'queries' search inside them)"
        if not self.channels:
            return "; ".join(self.bad_channels)
        return None

    @classmethod
    def validate_source(cls, source: Any) -> None:
        """Fail before crawling when a configured channel is not a Telegram username."""
        from crawler.errors import CrawlConfigError

        super().validate_source(source)

        for value in source.channels:
            try:
                channel_name(value)
            except ValueError as exc:
                raise CrawlConfigError(f"source {source.name!r}: channels: {exc}") from None

    def channel_url(self, channel: str, query: str | None = None) -> str:
        url = f"{self.base_url}/s/{channel}"
        return f"{url}?q={quote(query)}" if query else url

    def search_requests(self) -> Iterable[Request]:
        for message in self.bad_channels:
            self.record_error("config", f"source {self.source.name}", message)
        for channel in self.channels:
            if self.source.queries:
                for query in self.source.queries:
                    yield self.search_request(self.channel_url(channel, query), query=query,
                                              meta={"tg_channel": channel, "tg_depth": 0})
            else:
                yield self.search_request(self.channel_url(channel), meta={"tg_channel": channel, "tg_depth": 0})

    def follow_search(self, response: Response, result: ParseResult) -> Iterable[Request]:
        yield from super().follow_search(response, result)
        if not self.discover:
            return
        depth = int(response.meta.get("tg_depth") or 0)
        if depth >= self.discover_depth:
            return
        for item in result.items:
            for name in _linked_channels(item):
                if name in self.visited or len(self.discovered) >= self.discover_max:
                    continue
                self.visited.add(name)
                self.discovered.append(name)
                self.crawler.stats.inc_value("telegram/discovered_channels")
                self.crawler.stats.set_value("telegram/discovered", list(self.discovered))
                query = response.meta.get("sw_query")
                yield self.search_request(self.channel_url(name, query), query=query,
                                          meta={"tg_channel": name, "tg_depth": depth + 1,
                                                "tg_found_in": item.platform_listing_id})

    def post_process_item(self, item: ListingItem, response: Response) -> ListingItem:
        found_in = response.meta.get("tg_found_in")
        if found_in:
            item.extra["discovered_from"] = found_in
        return item

    # ---------------------------------------------------------------- removal re-checks

    def recheck_request(self, known: KnownListing) -> Request | None:
        """A post that no longer shows up: open the channel page that would end with it (?before=id+1)."""
        channel, _, post_id = known.platform_listing_id.partition("/")
        if not post_id.isdigit():
            return None
        return Request(f"{self.base_url}/s/{channel}?before={int(post_id) + 1}", callback=self.parse_recheck,
                       errback=self.on_error, dont_filter=True,
                       meta={"sw_kind": "recheck", "sw_pid": known.platform_listing_id})

    def parse_recheck(self, response: Response) -> Iterator[Any]:
        pid = response.meta["sw_pid"]
        result = self.parse_response(response, "listing")
        if result is None:
            return
        if any(i.platform_listing_id.lower() == pid.lower() for i in result.items):
            yield ListingSeen(self.platform, pid, self.source.name)
        elif result.kind in ("channel", "empty"):
            yield ListingGone(self.platform, pid, response.url, "post no longer in the channel")


def _linked_channels(item: ListingItem) -> list[str]:
    names: list[str] = []
    forwarded = item.extra.get("forwarded_from") or {}
    if forwarded.get("channel"):
        names.append(forwarded["channel"].lower())
    names.extend(item.extra.get("mentioned_channels") or [])
    own = (item.seller_platform_id or "").lower()
    return [n for n in dict.fromkeys(names) if n != own]
