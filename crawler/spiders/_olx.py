"""The OLX family base spider: search pages or the offers API → pagination → ad pages, split past the result cap.

Site spiders (olx_kz, olx_uz) only set an `OlxSite`: domain, currency, language path labels, phone region
and the region/category tables used to split searches that hit OLX's ~1,000-result cap.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scrapy.http import Request, Response

from config.schema import SourceSettings
from crawler.contacts import extract_contacts
from crawler.items import ListingItem
from crawler.known import KnownListing
from crawler.parsers import ParseResult
from crawler.spiders.base import SaigaSpider

SPLIT_ORDER = ("region", "category")


@dataclass(frozen=True)
class OlxSite:
    """What differs between OLX country sites."""

    code: str  # "kz" | "uz"
    base_url: str
    currency: str
    default_language: str
    language_paths: dict[str, str]  # source language → UI path prefix ("" = the site's default UI)
    phone_regions: tuple[str, ...]
    regions: dict[str, int] = field(default_factory=dict)  # region slug → region id (splitting past the cap)
    categories: dict[str, int] = field(default_factory=dict)  # category path → category id


class OlxOptions(BaseModel):
    """`options:` of an OLX source."""

    model_config = ConfigDict(extra="forbid")

    result_cap: int = Field(1000, ge=1)  # OLX stops listing results after about this many
    page_size: int = Field(40, ge=1, le=50)  # API `limit` (the API allows at most 50)
    category: str | None = None  # restrict to one category path, e.g. "hobbi-otdyh-i-sport/antikvariat-kollektsii"
    regions: dict[str, int] | None = None  # override the site's region slug → id table used for splitting
    categories: dict[str, int] | None = None  # override the site's category path → id table
    split: list[str] = Field(default_factory=lambda: list(SPLIT_ORDER))  # split dimensions, in order
    sort_by: str = "created_at:desc"


class OlxBaseSpider(SaigaSpider):
    """Base of the OLX site spiders; subclasses set `name` and `site`."""

    platform = "olx"
    site: ClassVar[OlxSite]
    required_fields = ("title", "price")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.options = self.validate_source(self.source)

    @classmethod
    def validate_source(cls, source: SourceSettings) -> OlxOptions:
        from crawler.errors import CrawlConfigError

        if source.site and source.site != cls.site.code:
            raise CrawlConfigError(f"sources[{source.name}].site: {source.site!r} is not handled by {cls.name}")
        try:
            options = OlxOptions(**source.options)
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(p) for p in err["loc"])
            raise CrawlConfigError(f"sources[{source.name}].options.{key}: {err['msg']}") from None
        for dim in options.split:
            if dim not in SPLIT_ORDER:
                raise CrawlConfigError(f"sources[{source.name}].options.split: {dim!r}; expected region or category")
        return options

    @property
    def regions(self) -> dict[str, int]:
        return self.options.regions if self.options.regions is not None else self.site.regions

    @property
    def categories(self) -> dict[str, int]:
        return self.options.categories if self.options.categories is not None else self.site.categories

    # ------------------------------------------------------------------ requests

    def search_requests(self) -> Iterator[Request]:
        scope = {"category": self.options.category} if self.options.category else {}
        for query in self.source.queries:
            yield self.olx_search(query, scope, page=1)

    def olx_search(self, query: str, scope: dict[str, str], page: int) -> Request:
        """Page `page` of one query within a scope (region and/or category), by HTML or the offers API."""
        meta = {"sw_scope": dict(scope)}
        if self.source.use_api:
            params: dict[str, Any] = {"offset": (page - 1) * self.options.page_size, "limit": self.options.page_size,
                                      "query": query, "sort_by": self.options.sort_by}
            if scope.get("region"):
                params["region_id"] = self.regions[scope["region"]]
            if scope.get("category"):
                params["category_id"] = self.categories.get(scope["category"], scope["category"])
            api = self.api_url or self.base_url
            meta["sw_capture_kind"] = "api"
            return self.search_request(f"{api}/api/v1/offers/?{urlencode(params)}", query=query, page=page, meta=meta)
        lang_path = self.site.language_paths.get(self.source.language or "", "")
        parts = [p for p in (scope.get("category"), scope.get("region")) if p] or ["list"]
        slug = quote("-".join(query.split()))
        url = f"{self.base_url}{lang_path}/{'/'.join(parts)}/q-{slug}/"
        if page > 1:
            url += f"?page={page}"
        return self.search_request(url, query=query, page=page, meta=meta)

    def follow_search(self, response: Response, result: ParseResult) -> Iterator[Request]:
        query = response.meta.get("sw_query") or ""
        scope: dict[str, str] = dict(response.meta.get("sw_scope") or {})
        page = int(response.meta.get("sw_page") or 1)
        if page == 1 and result.total is not None and result.total > self.options.result_cap:
            dim = next((d for d in self.options.split if d not in scope
                        and (self.regions if d == "region" else self.categories)), None)
            if dim is not None:
                values = self.regions if dim == "region" else self.categories
                self.crawler.stats.inc_value(f"olx/split/{dim}")
                self.logger.info("%s: %r has %d results (cap %d): splitting by %s into %d searches", self.source.name,
                                 query, result.total, self.options.result_cap, dim, len(values))
                for value in values:
                    yield self.olx_search(query, {**scope, dim: value}, page=1)
                return
            self.crawler.stats.inc_value("olx/over_cap")
            self.record_error("over_cap", response.url,
                              f"{result.total} results exceed the cap of {self.options.result_cap} even after "
                              f"splitting by {', '.join(scope) or 'nothing'}; later results are unreachable")
        if result.next_page and page < self.source.max_pages and result.items:
            request = self.olx_search(query, scope, page + 1)
            if self.source.use_api:  # follow the API's own next link (it carries the exact offset)
                request = request.replace(url=response.urljoin(result.next_page))
            yield request

    def recheck_request(self, known: KnownListing) -> Request | None:
        """Re-open a stored ad on the configured base URL (the stored one may be an older demo address)."""
        url = known.url
        cut = url.find("/d/")
        if cut >= 0:
            url = self.base_url + url[cut:]
        return Request(url, callback=self.parse_listing, errback=self.on_error, dont_filter=True,
                       meta={"sw_kind": "recheck", "sw_pid": known.platform_listing_id})

    # ------------------------------------------------------------------ items

    def post_process_item(self, item: ListingItem, response: Response) -> ListingItem:
        if item.price is not None and not item.currency:
            item.currency = self.site.currency
        item.language = item.language or self.source.language or self.site.default_language
        item.extra.setdefault("site", self.site.code)
        if item.text or item.title:
            found = extract_contacts(f"{item.title}\n{item.text}", regions=self.site.phone_regions)
            item.phones = sorted(set(item.phones) | set(found.phones))
            item.handles = sorted(set(item.handles) | set(found.handles))
        return item
