"""The `site` platform: one spider for any site described in a source's `spec:` (search, pages, fields, API)."""
from __future__ import annotations

import json
import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from scrapy.http import JsonRequest, Request, Response

from config.schema import SourceSettings
from config.site_spec import RequestSpec
from crawler.contacts import extract_contacts
from crawler.items import ListingItem
from crawler.known import KnownListing
from crawler.parsers import ParseResult
from crawler.site.parser import SiteParser, SiteParseResult
from crawler.spiders.base import SaigaSpider


def fill(template: Any, values: dict[str, Any]) -> Any:
    """A URL or JSON body template with {placeholders} filled in; a string that is one placeholder keeps its type."""
    if isinstance(template, str):
        names = [n for _, n, _, _ in string.Formatter().parse(template) if n]
        if len(names) == 1 and template == "{" + names[0] + "}" and names[0] in values:
            return values[names[0]]
        return template.format(**values)
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    return template


def request_values(source: SourceSettings, **extra: Any) -> dict[str, Any]:
    """The placeholders every request template may use: {base_url}, {api_url} (the source's overrides win)."""
    spec = source.spec
    base = (source.base_url or spec.base_url).rstrip("/")
    return {"base_url": base, "api_url": (source.api_url or spec.api_url or base).rstrip("/"), **extra}


def search_values(source: SourceSettings, query: str, page: int, cursor: str = "") -> dict[str, Any]:
    """Placeholders of the search request for page `page` (1 = first) of `query`; URL-quoted for GET."""
    search = source.spec.search
    number = search.first_page + page - 1
    raw = search.method == "POST"
    return request_values(source, query=query if raw else quote(query), query_dashed=quote("-".join(query.split())),
                          page=number, page_size=search.page_size, offset=(page - 1) * search.page_size,
                          cursor=cursor if raw else quote(cursor))


class SiteSpider(SaigaSpider):
    """Searches a configured site page by page, opens lot pages (HTML or a JSON API) and reads them by the spec."""

    name = "site"
    platform = "site"
    required_fields = ("title",)
    handle_httpstatus_list = [400, 403, 404, 410, 418, 422, 451]  # error answers are read (and recorded), not dropped

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.platform = self.listing_platform(self.source)  # listings are stored under the site's own name

    @classmethod
    def validate_source(cls, source: SourceSettings) -> None:
        from crawler.errors import CrawlConfigError

        if source.spec is None:
            raise CrawlConfigError(f"sources[{source.name}].spec: a 'site' source needs a spec")
        if source.options:
            raise CrawlConfigError(f"sources[{source.name}].options: a 'site' source takes no options "
                                   f"({', '.join(sorted(source.options))}); everything goes into its spec")

    @classmethod
    def listing_platform(cls, source: SourceSettings) -> str:
        return source.spec.id if source.spec is not None else cls.platform

    def make_parser(self) -> SiteParser:
        assert self.source.spec is not None
        return SiteParser(self.source.spec, self.source.base_url, self.source.api_url)

    @property
    def base_url(self) -> str:
        return request_values(self.source)["base_url"]

    @property
    def api_url(self) -> str:
        return request_values(self.source)["api_url"]

    # ------------------------------------------------------------------ requests

    def build(self, spec: RequestSpec, values: dict[str, Any], **kwargs: Any) -> Request:
        """A GET or POST-JSON request from a request spec."""
        url = fill(spec.url, values)
        headers = dict(spec.headers)
        if spec.method == "POST":
            body = fill(spec.body or {}, values)
            meta = kwargs.pop("meta", {})
            meta.setdefault("sw_capture_kind", "api")
            return JsonRequest(url, data=body, method="POST", headers=headers, meta=meta, **kwargs)
        return Request(url, headers=headers, **kwargs)

    def site_search(self, query: str, page: int, cursor: str = "") -> Request:
        spec = self.source.spec.search
        request = self.build(spec, search_values(self.source, query, page, cursor))
        return self.search_request(request.url, query=query, page=page, method=request.method,
                                   body=request.body, headers=request.headers,
                                   meta={"sw_capture_kind": "api"} if spec.method == "POST" else {})

    def search_requests(self) -> Iterator[Request]:
        for query in self.source.queries:
            yield self.site_search(query, 1)

    def follow_search(self, response: Response, result: ParseResult) -> Iterator[Request]:
        """The page's next link when the spec reads one; else the next {page}/{offset} while pages are full."""
        page = int(response.meta.get("sw_page") or 1)
        query = response.meta.get("sw_query") or ""
        if page >= self.source.max_pages or not result.items:
            return
        spec = self.source.spec.search
        template = json.dumps(spec.body or {}, ensure_ascii=False) + spec.url
        if self.source.spec.list.next_page is not None:
            if result.next_page and "{cursor}" in template:  # the site gives a cursor token, not a URL
                yield self.site_search(query, page + 1, cursor=result.next_page)
            elif result.next_page:
                yield self.search_request(response.urljoin(result.next_page), query=query, page=page + 1)
            return
        if not any(p in template for p in ("{page}", "{offset}")):
            return
        if result.total is not None and page * spec.page_size >= result.total:
            return
        if result.total is None and len(result.items) < spec.page_size:
            return  # a short page is the last one
        yield self.site_search(query, page + 1)

    def detail_request_for(self, pid: str, url: str, **kwargs: Any) -> Request:
        spec = self.source.spec.detail_request
        if spec is None:
            return Request(url, **kwargs)
        return self.build(spec, request_values(self.source, id=pid, url=url), **kwargs)

    def listing_request(self, card: ListingItem) -> Request | None:
        return self.detail_request_for(card.platform_listing_id, card.url, callback=self.parse_listing,
                                       errback=self.on_error,
                                       meta={"sw_kind": "listing", "sw_card": card, "sw_pid": card.platform_listing_id})

    def recheck_request(self, known: KnownListing) -> Request | None:
        return self.detail_request_for(known.platform_listing_id, known.url, callback=self.parse_listing,
                                       errback=self.on_error, dont_filter=True,
                                       meta={"sw_kind": "recheck", "sw_pid": known.platform_listing_id})

    # ------------------------------------------------------------------ results

    def parse_response(self, response: Response, expected: str) -> ParseResult | None:
        result = super().parse_response(response, expected)
        if isinstance(result, SiteParseResult):
            for name, count in result.unparsed.items():
                self.crawler.stats.inc_value(f"field/{name}/unparsed", count)
        return result

    def handle_card(self, card: ListingItem, response: Response) -> Iterator[Any]:
        """A card whose end time has passed is not "unchanged": its lot is fetched once more and stored as ended."""
        if card.ends_at is not None and card.ends_at <= self.now():
            card.ended = True
        yield from super().handle_card(card, response)

    def merge_card(self, card: ListingItem, item: ListingItem) -> ListingItem:
        item = super().merge_card(card, item)
        for attr in ("ends_at", "bids_count"):
            if getattr(item, attr) is None and getattr(card, attr) is not None:
                setattr(item, attr, getattr(card, attr))
        return item

    def post_process_item(self, item: ListingItem, response: Response) -> ListingItem:
        """Auction lots past their end time are ended; phone numbers and handles are read from the text."""
        if item.ends_at is not None and item.ends_at <= self.now():
            item.ended = True
        if item.ended:
            item.extra.setdefault("auction_status", "ended")
        elif item.ends_at is not None:
            item.extra.setdefault("auction_status", "active")
        regions = tuple(self.source.spec.phone_regions) or (self.source.country or "UA",)
        if item.text or item.title:
            found = extract_contacts(f"{item.title}\n{item.text}", regions=regions)
            item.phones = sorted(set(item.phones) | set(found.phones))
            item.handles = sorted(set(item.handles) | set(found.handles))
        return item
