"""Weibo keyword search through the mobile JSON API (container/getIndex), long posts expanded via statuses/extend."""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from scrapy.http import Request, Response

from crawler.items import ListingGone, ListingItem, ListingSeen
from crawler.known import KnownListing
from crawler.parsers import ParseError
from crawler.parsers.weibo import parse as parse_weibo
from crawler.social import SocialSpiderMixin
from crawler.spiders.base import SaigaSpider

DEFAULT_COOKIE_ENV = "SAIGAWATCH_WEIBO_COOKIE"
_LOGIN_MARKERS = ("passport.weibo", "/visitor", "login.sina.com.cn", "/signin", "/login")


class WeiboSpider(SocialSpiderMixin, SaigaSpider):
    """Needs a logged-in m.weibo.cn cookie in the environment variable named by `credentials_env`."""

    name = "weibo"
    known_options = frozenset()
    platform = "weibo"
    default_base_url = "https://m.weibo.cn"
    required_fields = ()
    handle_httpstatus_list = [301, 302, 303, 307, 403, 404, 410, 418, 432, 451]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.cookie_env = self.source.credentials_env or DEFAULT_COOKIE_ENV
        self.cookie = os.environ.get(self.cookie_env, "").strip()

    def check_configured(self) -> str | None:
        if not self.cookie:
            return f"no Weibo cookie: set the environment variable {self.cookie_env} (m.weibo.cn answers anonymous clients with a login page)"
        if not self.source.queries:
            return "a Weibo source needs 'queries'"
        return None

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie, "Accept": "application/json, text/plain, */*", "MWeibo-Pwa": "1",
                "X-Requested-With": "XMLHttpRequest", "Referer": f"{self.base_url}/search"}

    def search_url(self, query: str) -> str:
        containerid = quote(f"100103type=1&q={query}", safe="")
        return f"{self.base_url}/api/container/getIndex?containerid={containerid}&page_type=searchall"

    def search_requests(self) -> Iterable[Request]:
        for query in self.source.queries:
            yield self._req(self.search_url(query), query=query)

    def _req(self, url: str, **kwargs: Any) -> Request:
        # Redirects are not followed: a redirect to passport/visitor pages is the block signal itself.
        meta = {"dont_redirect": True, **kwargs.pop("meta", {})}
        # The cookie is sent by hand (the session is the configured one, not whatever the site sets).
        return self.search_request(url, headers=self.headers, meta={**meta, "dont_merge_cookies": True}, **kwargs)

    def follow_search(self, response: Response, result) -> Iterable[Request]:
        page = int(response.meta.get("sw_page") or 1)
        if result.next_page and page < self.source.max_pages and result.items:
            yield self._req(result.next_page, query=response.meta.get("sw_query"), page=page + 1)

    def _redirect_block(self, response: Response) -> bool:
        if response.status in (301, 302, 303, 307):
            location = response.headers.get("Location", b"").decode("latin-1")
            if any(m in location for m in _LOGIN_MARKERS):
                self.report_block(f"weibo: redirected to the login/visitor page ({location[:120]}); the cookie in ${self.cookie_env} is missing or expired")
            else:
                self.record_error("redirect", response.url, f"unexpected redirect to {location[:200]}")
            return True
        if response.status in (418, 432):
            self.report_block(f"weibo: HTTP {response.status} (anti-crawler) on {response.url}")
            return True
        return False

    def parse_search(self, response: Response) -> Iterator[Any]:
        if self._redirect_block(response):
            return
        yield from super().parse_search(response)

    def handle_card(self, card: ListingItem, response: Response) -> Iterator[Any]:
        # A post cut short ("...全文") is fetched in full before it is stored.
        card.is_card = bool(card.extra.get("long_text_url"))
        yield from super().handle_card(card, response)

    def listing_request(self, card: ListingItem) -> Request:
        return Request(card.extra["long_text_url"], callback=self.parse_extend, errback=self.on_error,
                       headers=self.headers, meta={"sw_kind": "listing", "sw_card": card, "dont_redirect": True,
                                                   "dont_merge_cookies": True})

    def parse_extend(self, response: Response) -> Iterator[Any]:
        card: ListingItem = response.meta["sw_card"]
        if self._redirect_block(response):
            return
        result = self.parse_response(response, "listing")
        if result is not None and result.kind == "listing" and result.items:
            full = result.items[0]
            card.text = full.text
            card.title = full.title or card.title
            card.phones = list(dict.fromkeys(card.phones + full.phones))
            card.handles = list(dict.fromkeys(card.handles + full.handles))
            card.extra["long_text_expanded"] = True
        else:
            self.crawler.stats.inc_value("weibo/long_text_missing")
        card.is_card = False
        yield self.finish_item(card, response)

    def recheck_request(self, known: KnownListing) -> Request | None:
        prefix = self.base_url
        return Request(f"{prefix}/statuses/extend?id={quote(known.platform_listing_id)}", callback=self.parse_recheck,
                       errback=self.on_error, dont_filter=True, headers=self.headers,
                       meta={"sw_kind": "recheck", "sw_pid": known.platform_listing_id, "dont_redirect": True,
                             "dont_merge_cookies": True})

    def parse_recheck(self, response: Response) -> Iterator[Any]:
        pid = response.meta["sw_pid"]
        if self._redirect_block(response):
            return
        try:
            result = parse_weibo(response.body, response.url)
        except ParseError as exc:
            self.record_error("markup_listing", response.url, str(exc))
            return
        if result.kind == "blocked":
            self.report_block(result.block_reason or "weibo block")
        elif result.kind == "listing":
            yield ListingSeen(self.platform, pid, self.source.name)
        elif result.kind == "empty":
            yield ListingGone(self.platform, pid, response.url, "the post no longer exists")
