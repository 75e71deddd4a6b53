"""Baidu Tieba: desktop keyword search (/f/search/res) for queries, mobile forum lists for configured forums."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import quote

from scrapy.http import Request, Response

from crawler.items import ListingGone
from crawler.known import KnownListing
from crawler.parsers.tieba import BLOCK_TITLE
from crawler.social import SocialSpiderMixin
from crawler.spiders.base import SaigaSpider


DELETED_MARKERS = ("该贴已被删除", "贴子已被删除", "该帖已被删除")


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
        """Re-open the thread page of a post that stopped appearing (its content is not re-read)."""
        return Request(known.url, callback=self.parse_thread_recheck, errback=self.on_error, dont_filter=True,
                       meta={"sw_kind": "recheck", "sw_pid": known.platform_listing_id})

    def parse_thread_recheck(self, response: Response) -> Iterator[ListingGone]:
        """404/410 or Baidu's «该贴已被删除» page: the post is gone; the security check: a block; else online."""
        pid = response.meta["sw_pid"]
        text = response.text if hasattr(response, "text") else ""
        if BLOCK_TITLE in text[:4000]:
            self.report_block(f"«{BLOCK_TITLE}» on {response.url}")
            return
        if response.status in (404, 410) or any(marker in text for marker in DELETED_MARKERS):
            yield ListingGone(self.platform, pid, response.url, "the thread was deleted (该贴已被删除)"
                              if response.status not in (404, 410) else f"HTTP {response.status}")
