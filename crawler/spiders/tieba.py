"""Baidu Tieba: desktop keyword search (/f/search/res) for queries, mobile forum lists for configured forums."""
from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from scrapy.http import Request

from crawler.known import KnownListing
from crawler.social import SocialSpiderMixin
from crawler.spiders.base import SaigaSpider


class TiebaSpider(SocialSpiderMixin, SaigaSpider):
    """`queries` are searched with the desktop search, `channels` (forum names) read from the mobile forum list."""

    name = "tieba"
    known_options = frozenset()
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
        """The mobile forum list of a 吧 (the desktop list is hidden in HTML comments and scripts)."""
        return f"{self.base_url}/mo/q/m?kw={quote(forum.strip().removesuffix('吧'))}&pn=0"

    def search_requests(self) -> Iterable[Request]:
        for query in self.source.queries:
            yield self.search_request(self.search_url(query), query=query)
        for forum in self.source.channels:
            yield self.search_request(self.forum_url(forum), query=forum)

    def recheck_request(self, known: KnownListing) -> Request | None:
        """Thread pages are not parsed, so a post that stops appearing is left as it is (not marked removed)."""
        return None
