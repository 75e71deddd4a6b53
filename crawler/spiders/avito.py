"""Avito.ru: search pages (newest first) → ad pages; a block, captcha or 429 page stops the source for the run."""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

from scrapy.http import Request, Response

from config.schema import SourceSettings
from crawler.middlewares import CrawlerBoundMiddleware
from crawler.parsers import ParseResult
from crawler.settings import RETRY_HTTP_CODES
from crawler.spiders.base import SaigaSpider

# source.options keys this spider understands (anything else is a configuration error)
OPTIONS = {
    "region": "URL slug of the search area (default 'rossiya' = all of Russia; e.g. 'elista', 'astrahan')",
    "category": "URL slug of a category to search in (e.g. 'kollektsionirovanie'); default: all categories",
    "sort": "'date' (default: newest first, best for daily crawls) or 'relevance'",
    "params": "extra query parameters added to every search URL (e.g. {pmin: 1000})",
    "proxy": "proxy URL for this source (http://user:pass@host:port); the env var named by proxy_env wins",
    "proxy_env": "name of an environment variable holding the proxy URL",
}
SORT_BY_DATE = "104"  # Avito's `s=104`: newest first


def drop_queued_requests(crawler, reason: str) -> int:
    """Fail the requests waiting in the downloader's slot queues, so a stopped source sends nothing more.

    Closing a spider lets Scrapy download everything already queued (up to CONCURRENT_REQUESTS requests,
    each after the politeness delay): after a block that would keep knocking for minutes.
    """
    from scrapy.exceptions import IgnoreRequest
    from twisted.python.failure import Failure

    engine = getattr(crawler, "engine", None)
    downloader = getattr(engine, "downloader", None)
    dropped = 0
    for slot in list(getattr(downloader, "slots", {}).values()):
        while slot.queue:
            _request, deferred = slot.queue.popleft()
            dropped += 1
            deferred.errback(Failure(IgnoreRequest(f"source stopped for this run ({reason})")))
    if dropped:
        crawler.stats.inc_value("source/requests_dropped_after_stop", dropped)
    return dropped


class AvitoBlockStopMiddleware(CrawlerBoundMiddleware):
    """Stops the source at the first 429 or block page as it arrives, before requests queued behind it go out."""

    def process_response(self, request: Request, response: Response, spider=None):
        spider = spider or self.crawler.spider
        if response.status in (403, 429) and request.meta.get("sw_kind") in ("search", "listing", "recheck"):
            result = spider.parse_page(response)
            if result.kind == "blocked":
                spider.report_block(f"{result.block_reason} at {response.url}")
        return response


class AvitoSpider(SaigaSpider):
    """Avito search → ad pages; cookies come from the env var named by `credentials_env` (a Cookie header)."""

    name = "avito"
    platform = "avito"
    default_base_url = "https://www.avito.ru"
    required_fields = ("title", "price_text")  # every ad page shows a price element, even «Цена не указана»
    handle_httpstatus_list = [403, 404, 410, 429, 451]
    # Avito answers 429 when it has had enough: that is a block to report, never something to retry into.
    custom_settings = {"RETRY_HTTP_CODES": [code for code in RETRY_HTTP_CODES if code != 429]}

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        middlewares = dict(crawler.settings.getdict("DOWNLOADER_MIDDLEWARES"))
        middlewares[f"{__name__}.AvitoBlockStopMiddleware"] = 20  # sees responses right after the WARC capture
        crawler.settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="spider")
        return spider

    @classmethod
    def validate_source(cls, source: SourceSettings) -> None:
        """Reject unknown or malformed `options` before any request is made."""
        from crawler.errors import CrawlConfigError

        unknown = sorted(set(source.options) - set(OPTIONS))
        if unknown:
            raise CrawlConfigError(
                f"source {source.name!r}: unknown options {', '.join(unknown)} for Avito; "
                f"known: {', '.join(sorted(OPTIONS))}")
        if source.options.get("sort", "date") not in ("date", "relevance"):
            raise CrawlConfigError(f"source {source.name!r}: options.sort must be 'date' or 'relevance'")
        if not isinstance(source.options.get("params", {}), dict):
            raise CrawlConfigError(f"source {source.name!r}: options.params must be a mapping of query parameters")
        for key in ("region", "category"):
            value = source.options.get(key)
            if value is not None and (not isinstance(value, str) or "/" in value or not value.strip()):
                raise CrawlConfigError(f"source {source.name!r}: options.{key} must be a URL slug like 'elista'")

    # ------------------------------------------------------------------ requests

    def search_url(self, query: str) -> str:
        opts = self.source.options
        path = "/".join(p for p in (opts.get("region") or "rossiya", opts.get("category")) if p)
        params: dict[str, Any] = {"q": query}
        if opts.get("sort", "date") == "date":
            params["s"] = SORT_BY_DATE
        params.update({str(k): v for k, v in (opts.get("params") or {}).items()})
        return f"{self.base_url}/{path}?{urlencode(params, quote_via=quote)}"

    def search_requests(self) -> Iterator[Request]:
        for query in self.source.queries:
            yield self._dress(self.search_request(self.search_url(query), query=query))

    def follow_search(self, response: Response, result: ParseResult) -> Iterator[Request]:
        for request in super().follow_search(response, result):
            yield self._dress(request)

    def listing_request(self, card):
        return self._dress(super().listing_request(card))

    def recheck_request(self, known):
        request = super().recheck_request(known)
        return self._dress(request) if request is not None else None

    def _dress(self, request: Request) -> Request:
        """Add the configured session cookies and proxy to a request."""
        cookie = os.environ.get(self.source.credentials_env, "").strip() if self.source.credentials_env else ""
        if cookie:
            request.headers.setdefault("Cookie", cookie)
        proxy_env = self.source.options.get("proxy_env")
        proxy = (os.environ.get(proxy_env) if proxy_env else None) or self.source.options.get("proxy")
        if proxy:
            request.meta["proxy"] = proxy
        return request

    # ------------------------------------------------------------------ responses

    def parse_response(self, response: Response, expected: str) -> ParseResult | None:
        """429 (with or without a captcha page) is a block on Avito: report it, never parse or retry it."""
        if response.status == 429:
            self.crawler.stats.inc_value(f"pages/{expected}")
            result = self.parse_page(response)
            self.report_block(f"{result.block_reason} at {response.url}")
            return None
        return super().parse_response(response, expected)

    def report_block(self, reason: str) -> None:
        already = self.status == "blocked"
        super().report_block(reason)
        if not already:
            drop_queued_requests(self.crawler, "blocked")

    def post_process_item(self, item, response):
        item.currency = item.currency or ("RUB" if item.price is not None else None)
        return item
