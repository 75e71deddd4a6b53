"""Baidu Tieba: desktop keyword search (/f/search/res) for queries, mobile forum lists for configured forums."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from scrapy.http import Request

from crawler.known import KnownListing
from crawler.social import SocialSpiderMixin
from crawler.spiders.base import SaigaSpider


class TiebaSpider(SocialSpiderMixin, SaigaSpider):
    """Source options: `forum_markup` ("mobile", the default, or "desktop") for the configured forums."""

    name = "tieba"
    platform = "tieba"
    default_base_url = "https://tieba.baidu.com"
    required_fields = ()

    def check_configured(self) -> str | None:
        if not self.source.queries and not self.source.channels:
            return "a Tieba source needs 'queries' (keyword search) or 'channels' (forum names)"
        return None

    def search_url(self, query: str) -> str:
        return f"{self.base_url}/f/search/res?isnew=1&kw=&qw={quote(query)}&rn=10&sm=1&only_thread=0&pn=1"

    def forum_url(self, forum: str) -> str:
        forum = forum.strip().removesuffix("吧")
        if (self.source.options or {}).get("forum_markup") == "desktop":
            return f"{self.base_url}/f?kw={quote(forum)}&ie=utf-8&pn=0"
        return f"{self.base_url}/mo/q/m?kw={quote(forum)}&pn=0"

    def search_requests(self) -> Iterable[Request]:
        for query in self.source.queries:
            yield self.search_request(self.search_url(query), query=query)
        for forum in self.source.channels:
            yield self.search_request(self.forum_url(forum), query=forum)

    def recheck_request(self, known: KnownListing) -> Request | None:
        """Thread pages are not parsed, so a post that stops appearing is left as it is (not marked removed)."""
        return None

    @classmethod
    def validate_source(cls, source: Any) -> None:
        from crawler.run import CrawlConfigError

        markup = (source.options or {}).get("forum_markup", "mobile")
        if markup not in ("mobile", "desktop"):
            raise CrawlConfigError(f"source {source.name!r}: options.forum_markup must be 'mobile' or 'desktop', got {markup!r}")
