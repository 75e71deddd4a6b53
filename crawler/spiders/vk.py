"""VK through its API: wall.get for configured communities, newsfeed.search for queries; API errors handled."""
from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterable
from typing import Any
from urllib.parse import urlencode

from scrapy.http import Request, Response

from crawler.known import KnownListing
from crawler.parsers import ParseError
from crawler.parsers.vk import RATE_ERRORS, api_error, load
from crawler.social import SocialSpiderMixin
from crawler.spiders.base import SaigaSpider

API_VERSION = "5.131"
DEFAULT_TOKEN_ENV = "SAIGAWATCH_VK_TOKEN"


class VkSpider(SocialSpiderMixin, SaigaSpider):
    """Needs a service token in the environment variable named by `credentials_env`. Source options: `wall_count` (≤100, default 100), `search_count` (≤200, default 100),
    `rate_retries` (default 3) and `rate_backoff_s` (default 1.0, doubled on each retry) for errors 6/9."""

    name = "vk"
    known_options = frozenset({"wall_count", "search_count", "rate_retries", "rate_backoff_s"})
    platform = "vk"
    default_base_url = "https://vk.com"
    default_api_url = "https://api.vk.com/method"
    required_fields = ()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.token_env = self.source.credentials_env or DEFAULT_TOKEN_ENV
        self.token = os.environ.get(self.token_env, "").strip()
        options = self.source.options or {}
        self.wall_count = max(1, min(int(options.get("wall_count", 100)), 100))
        self.search_count = max(1, min(int(options.get("search_count", 100)), 200))
        self.rate_retries = int(options.get("rate_retries", 3))
        self.rate_backoff = float(options.get("rate_backoff_s", 1.0))

    @property
    def api_url(self) -> str | None:
        """source.api_url, else <base_url>/method when only base_url is overridden (demo), else the real API."""
        if self.source.api_url:
            return self.source.api_url.rstrip("/")
        if self.source.base_url:
            return self.source.base_url.rstrip("/") + "/method"
        return self.default_api_url

    def check_configured(self) -> str | None:
        if not self.token:
            return f"no VK service token: set the environment variable {self.token_env}"
        if not self.source.channels and not self.source.queries:
            return "a VK source needs 'channels' (communities) or 'queries'"
        return None

    def api_request(self, method: str, params: dict[str, Any], **kwargs: Any) -> Request:
        """An API call; the token travels in the Authorization header, never in the URL (URLs are stored)."""
        url = f"{self.api_url}/{method}?{urlencode({**params, 'v': API_VERSION})}"
        return self.search_request(url, headers={"Authorization": f"Bearer {self.token}"}, **kwargs)

    def search_requests(self) -> Iterable[Request]:
        for community in self.source.channels:
            yield self.api_request("wall.get", {**_owner_param(community), "count": self.wall_count, "extended": 1},
                                   query=community)
        for query in self.source.queries:
            yield self.api_request("newsfeed.search", {"q": query, "count": self.search_count, "extended": 1}, query=query)

    def follow_search(self, response: Response, result) -> Iterable[Request]:
        page = int(response.meta.get("sw_page") or 1)
        if result.next_page and page < self.source.max_pages and result.items:
            yield self.search_request(result.next_page, query=response.meta.get("sw_query"), page=page + 1,
                                      headers={"Authorization": f"Bearer {self.token}"})

    async def parse_search(self, response: Response) -> AsyncIterator[Any]:
        try:
            err = api_error(load(response.body, response.url))
        except ParseError:
            err = None  # the base records the unparseable page
        if err is not None and err.code in RATE_ERRORS:
            attempt = int(response.meta.get("vk_rate_attempt") or 0)
            self.crawler.stats.inc_value(f"vk/error_{err.code}")
            if attempt >= self.rate_retries:
                self.report_block(f"{err.reason()} (still after {attempt} retries with back-off)")
                return
            delay = self.rate_backoff * (2 ** attempt)
            self.record_error(f"vk_error_{err.code}", response.url, f"{err.reason()}; retrying in {delay:g}s")
            await asyncio.sleep(delay)
            yield response.request.replace(dont_filter=True, meta={**response.meta, "vk_rate_attempt": attempt + 1})
            return
        if err is not None:
            self.crawler.stats.inc_value(f"vk/error_{err.code}")
            self.record_error(f"vk_error_{err.code}", response.url, err.reason())
            hint = f" (check the token in ${self.token_env})" if err.code == 5 else ""
            self.report_block(err.reason() + hint)
            return
        for out in super().parse_search(response):
            yield out

    def recheck_request(self, known: KnownListing) -> Request | None:
        """A post that stopped appearing: wall.getById answers it, or nothing when it was deleted."""
        url = f"{self.api_url}/wall.getById?{urlencode({'posts': known.platform_listing_id, 'extended': 1, 'v': API_VERSION})}"
        return Request(url, callback=self.parse_listing, errback=self.on_error, dont_filter=True,
                       headers={"Authorization": f"Bearer {self.token}"},
                       meta={"sw_kind": "recheck", "sw_pid": known.platform_listing_id})

    @classmethod
    def validate_source(cls, source) -> None:
        from crawler.errors import CrawlConfigError

        super().validate_source(source)

        for community in source.channels:
            try:
                _owner_param(community)
            except ValueError as exc:
                raise CrawlConfigError(f"source {source.name!r}: channels: {exc}") from None


def _owner_param(community: str) -> dict[str, Any]:
    """'-123' / 'club123' / 'public123' → owner_id=-123; 'name' or 'https://vk.com/name' → domain=name."""
    value = community.strip().rstrip("/")
    value = value.rsplit("/", 1)[-1] if "vk.com/" in value else value
    if value.lstrip("-").isdigit():
        return {"owner_id": -abs(int(value))}
    for prefix in ("club", "public"):
        if value.startswith(prefix) and value[len(prefix):].isdigit():
            return {"owner_id": -int(value[len(prefix):])}
    if not value or not all(c.isalnum() or c in "_." for c in value):
        raise ValueError(f"{community!r} is not a VK community (id, clubN/publicN or short name)")
    return {"domain": value}
