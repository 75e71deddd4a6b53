"""The base spider every platform spider extends: parser-driven, incremental, depth-limited, block-aware.

How a platform spider plugs in
==============================

1. Write the parser ``crawler/parsers/<platform>.py``: ``PLATFORM = "<platform>"`` and
   ``parse(body, url, *, status=200, content_type=None, now=None) -> ParseResult`` (see crawler/parsers). It returns kind ``search`` (cards or posts), ``listing``
   (one full ad), ``channel`` (posts), ``empty`` (a recognised no-results / "ad removed" page) or ``blocked``
   (with ``block_reason``); anything else raises ``ParseError`` saying what was expected.
   Search cards are ``ListingItem(is_card=True)``; posts or API records that are complete are ``is_card=False``.

2. Write ``crawler/spiders/<platform>.py`` (name == file name == platform; a test checks it)::

       class AvitoSpider(SaigaSpider):
           name = "avito"
           platform = "avito"                     # the parser used for every response
           default_base_url = "https://www.avito.ru"
           required_fields = ("title", "price")   # missing on an ad page → stats field/<name>/missing

           def search_requests(self):             # the first page of every configured query
               for query in self.source.queries:
                   yield self.search_request(f"{self.base_url}/rossiya?q={quote(query)}", query=query)

   The spider is built with ``source=SourceSettings`` (and, from crawler.child, ``known=KnownListings``).
   ``self.base_url`` / ``self.api_url`` are the source's overrides (demo server, tests) or the defaults.

   Optional hooks (override only what differs):

   - ``check_configured() -> str | None``: a reason to skip the source as "not configured"
     (e.g. a missing session); the base then calls ``report_not_configured(reason)``.
   - ``follow_search(response, result)``: requests after a search page; default = next page up to
     ``source.max_pages`` (``search_request(..., page=n+1)``).
   - ``listing_request(card)``: the request for an ad page (default: ``card.url`` → ``parse_listing``).
   - ``recheck_request(known)``: re-open a listing that stopped appearing (default: its stored url).
   - ``merge_card(card, item)``: combine a search card with the ad page's item.
   - ``post_process_item(item, response)``: a last touch on every item (site language, currency...).

3. What the base does for every spider:

   - Incremental crawls: a card whose ``self.card_fingerprint(card)`` (title, price, refresh time) equals the stored
     ``Listing.card_hash`` is not fetched again: a ``ListingSeen`` moves its last_seen. New or changed cards
     lead to the ad page; the resulting item carries ``card_hash``.
   - Removal: when the searches are done, live listings of this source that did not appear are re-opened
     (at most ``source.max_rechecks``, each at most once per ``crawl.recheck_missing_after_days``);
     404/410 or a parser ``empty`` answer on an ad page yields ``ListingGone``. When a search page of this run
     failed (download error, unreadable or zero-item page), nothing is re-checked: "missing" is unreliable then.
   - Blocks: a ``blocked`` parse result, an unrecognised 403, or a 429 that outlives its retries calls
     ``report_block(reason)``: the source stops for this run, SourceRun.status becomes "blocked" and an
     ``ALERT`` line is logged. Block pages never become items or empty results.
   - Markup-change signals in Scrapy stats: ``markup/search/zero_items`` (a search page with no items that is
     not a recognised no-results page), ``markup/<kind>/unparseable``, ``parse/row_errors``,
     ``field/<name>/missing`` (FieldCheckPipeline); download failures as ``errors/<type>``
     (truncated, too_large, timeout, http_<status>, ...). ``record_error(type, url, message)`` adds your own;
     the first 100 errors are kept in SourceRun.stats["errors"].
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from config.schema import SourceSettings
from crawler import runtime
from crawler.items import ListingGone, ListingItem, ListingSeen
from crawler.known import KnownListing, KnownListings
from crawler.parsers import ParseError, ParseResult, registry

log = logging.getLogger("saigawatch.crawler")

MAX_KEPT_ERRORS = 100


def classify_failure(failure: Failure) -> tuple[str, str]:
    """(error type, message) for a failed download, in words an operator understands."""
    exc = failure.value
    name = type(exc).__name__
    text = str(exc) or name
    if isinstance(exc, HttpError):
        status = exc.response.status
        return f"http_{status}", f"HTTP {status} after retries"
    if isinstance(exc, IgnoreRequest):
        if "DOWNLOAD_MAXSIZE" in text or "max size" in text.lower():
            return "too_large", f"response larger than the size limit once decompressed: {text}"
        if "robots.txt" in text.lower() or "Forbidden by robots" in text:
            return "robots_txt", "forbidden by robots.txt"
        return "ignored", text
    lowered = (name + " " + text).lower()
    if "dataloss" in lowered or "data loss" in lowered or "potentialdataloss" in lowered:
        return "truncated", f"the connection closed before the whole page arrived ({name})"
    if "cancel" in lowered and ("maxsize" in lowered or "size" in lowered or "larger" in lowered):
        return "too_large", f"response larger than the size limit: {text}"
    if "cancel" in lowered:
        return "too_large", f"download cancelled (size limit): {text}"
    if "timeout" in lowered or "timed out" in lowered:
        return "timeout", text
    if "responsefailed" in lowered or "responseneverreceived" in lowered:
        return "truncated", f"incomplete response: {text}"
    if "dns" in lowered or "connectionrefused" in lowered or "connection was refused" in lowered:
        return "connection", text
    return "download", f"{name}: {text}"


class SaigaSpider(scrapy.Spider):
    """Base of every platform spider; see the module docstring for how to write one."""

    name: ClassVar[str] = ""
    platform: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    # The names a source's `options:` may use on this platform; a spider with its own validate_source
    # (typed options) may leave it None.
    known_options: ClassVar[frozenset[str] | None] = None
    default_api_url: ClassVar[str | None] = None
    required_fields: ClassVar[tuple[str, ...]] = ("title",)
    handle_httpstatus_list = [403, 404, 410, 451]

    def __init__(self, source: SourceSettings | dict | None = None, known: KnownListings | None = None,
                 recheck: dict[str, int] | None = None, **kwargs: Any):
        if source is None:
            raise ValueError(f"spider {self.name!r} needs a source (SourceSettings) argument")
        if isinstance(source, dict):
            source = SourceSettings(**source)
        super().__init__(name=self.name, **kwargs)
        self.source: SourceSettings = source
        self.known: KnownListings = known if known is not None else KnownListings()
        self.parser = self.make_parser()
        self.status = "ok"  # ok | blocked | not_configured | error
        self.status_detail: str | None = None
        self.errors: list[dict[str, Any]] = []
        self.error_count = 0
        self.seen_ids: set[str] = set()
        self.search_problems = 0  # failed or unreadable search pages: "stopped appearing" is then unreliable
        self._rechecks_done = False
        # Re-check only these stored listings (platform id → listing id), no searches: the daily liveness check.
        self.recheck_only: dict[str, int] | None = dict(recheck) if recheck is not None else None

    # ------------------------------------------------------------------ set-up

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider._on_closed, signal=signals.spider_closed)
        return spider

    def make_parser(self):
        """The parser of every response: the platform's module in crawler/parsers (a site spider builds its own)."""
        return registry()[self.platform]

    @classmethod
    def listing_platform(cls, source: SourceSettings) -> str:
        """The platform name this source's listings are stored under (a configured site: its spec id)."""
        return cls.platform

    @property
    def base_url(self) -> str:
        return (self.source.base_url or self.default_base_url).rstrip("/")

    @property
    def api_url(self) -> str | None:
        url = self.source.api_url or self.default_api_url
        return url.rstrip("/") if url else None

    def now(self) -> dt.datetime:
        rt = runtime.of_crawler(getattr(self, "crawler", None))
        return rt.clock.now() if rt else dt.datetime.now(dt.timezone.utc)

    @classmethod
    def validate_source(cls, source) -> None:
        """Reject option names this platform does not know, before any request is made."""
        if cls.known_options is None:
            return
        unknown = sorted(set(source.options or {}) - cls.known_options)
        if unknown:
            from crawler.errors import CrawlConfigError

            known = ", ".join(sorted(cls.known_options)) or "none"
            raise CrawlConfigError(f"source {source.name!r}: unknown options {', '.join(unknown)} for "
                                   f"{cls.platform or cls.name}; known: {known}")

    def check_configured(self) -> str | None:
        """Override: a reason why this source cannot run (missing credentials...), or None."""
        return None

    def search_requests(self) -> Iterable[Request]:
        """Override: the first request of every configured query or channel."""
        raise NotImplementedError(f"{type(self).__name__} must define search_requests()")

    async def start(self):
        reason = self.check_configured()
        if reason:
            self.report_not_configured(reason)
            return
        if self.recheck_only is not None:
            self._rechecks_done = True  # no searches, so no "stopped appearing" round either
            for request in self.liveness_requests():
                yield request
            return
        for request in self.search_requests():
            yield request

    # ------------------------------------------------------------------ requests

    def search_request(self, url: str, query: str | None = None, page: int = 1, callback=None,
                       **kwargs: Any) -> Request:
        """A search (or channel) page request; `page` counts towards source.max_pages."""
        meta = {"sw_kind": "search", "sw_query": query, "sw_page": page, **kwargs.pop("meta", {})}
        return Request(url, callback=callback or self.parse_search, errback=self.on_error, meta=meta, **kwargs)

    def listing_request(self, card: ListingItem) -> Request:
        return Request(card.url, callback=self.parse_listing, errback=self.on_error,
                       meta={"sw_kind": "listing", "sw_card": card, "sw_pid": card.platform_listing_id})

    def recheck_request(self, known: KnownListing) -> Request | None:
        return Request(known.url, callback=self.parse_listing, errback=self.on_error, dont_filter=True,
                       meta={"sw_kind": "recheck", "sw_pid": known.platform_listing_id})

    def follow_search(self, response: Response, result: ParseResult) -> Iterable[Request]:
        """Default pagination: result.next_page while the page number is within source.max_pages."""
        page = int(response.meta.get("sw_page") or 1)
        if result.next_page and page < self.source.max_pages and result.items:
            yield self.search_request(response.urljoin(result.next_page), query=response.meta.get("sw_query"),
                                      page=page + 1, callback=response.request.callback if response.request else None)

    # ------------------------------------------------------------------ callbacks

    def parse_page(self, response: Response) -> ParseResult:
        """The platform parser on a response, with its status and Content-Type header (the charset it declares)."""
        content_type = response.headers.get("Content-Type")
        return self.parser(response.body, response.url, status=response.status,
                           content_type=content_type.decode("latin-1") if content_type else None)

    def parse_response(self, response: Response, expected: str) -> ParseResult | None:
        """Run the platform parser; an unparseable page is a recorded markup error, never a crash."""
        self.crawler.stats.inc_value(f"pages/{expected}")
        try:
            result = self.parse_page(response)
        except ParseError as exc:
            if expected == "search":
                self.search_problems += 1
            if response.status == 403:
                self.report_block(f"HTTP 403 on {response.url} ({exc})")
                return None
            self.crawler.stats.inc_value(f"markup/{expected}/unparseable")
            self.record_error(f"markup_{expected}", response.url, str(exc))
            return None
        except Exception as exc:  # noqa: BLE001 - a parser bug on one page must not stop the crawl
            self.crawler.stats.inc_value(f"markup/{expected}/parser_crash")
            self.record_error("parser_crash", response.url, f"{type(exc).__name__}: {exc}")
            log.exception("parser %s failed on %s", self.platform, response.url)
            return None
        for message in result.errors:
            self.crawler.stats.inc_value("parse/row_errors")
            self.record_error("parse_row", response.url, message)
        if result.kind == "blocked":
            self.report_block(result.block_reason or f"block page at {response.url}")
            return None
        return result

    def parse_search(self, response: Response) -> Iterator[Any]:
        result = self.parse_response(response, "search")
        if result is None:
            return
        if response.status == 403 and result.kind not in ("search", "channel"):
            self.report_block(f"HTTP 403 on {response.url}")
            return
        if result.kind == "empty" or (not result.items and result.total == 0):
            self.crawler.stats.inc_value("search/no_results")
            return
        if result.kind not in ("search", "channel"):
            self.crawler.stats.inc_value("markup/search/unexpected_kind")
            self.record_error("markup_search", response.url, f"expected a search page, the parser found {result.kind!r}")
            return
        if not result.items:
            self.search_problems += 1
            self.crawler.stats.inc_value("markup/search/zero_items")
            self.record_error("markup_search", response.url,
                              "search page yielded zero listings and is not a recognised no-results page "
                              "(has the markup changed?)")
            return
        too_old = 0
        for card in result.items:
            if self.is_too_old(card):
                too_old += 1
                continue
            yield from self.handle_card(card, response)
        if too_old == len(result.items):
            self.crawler.stats.inc_value("search/stopped_at_max_age")
            return
        yield from self.follow_search(response, result)

    def handle_card(self, card: ListingItem, response: Response) -> Iterator[Any]:
        """Decide per card: skip a repeat, touch an unchanged stored listing, or fetch/store it."""
        pid = card.platform_listing_id
        if self.card_seen(pid, response):
            self.crawler.stats.inc_value("search/repeated_cards")
            return
        self.seen_ids.add(pid)
        self.crawler.stats.inc_value("search/cards")
        card.source_name = self.source.name
        card.search_url = card.search_url or response.url
        card.card_hash = self.card_fingerprint(card)
        if self.known.unchanged(pid, card.card_hash):
            self.crawler.stats.inc_value("listings/unchanged_card")
            yield ListingSeen(self.platform, pid, self.source.name)
            return
        if card.is_card and self.source.fetch_listing_pages:
            request = self.listing_request(card)
            if request is not None:
                yield request
                return
        yield self.finish_item(card, response)

    def card_seen(self, pid: str, response: Response) -> bool:
        """True when this card was handled earlier in the run, so it is skipped.

        A page fetched again because the distributed crawl part that had it was killed (meta sw_refetch,
        crawler.distributed) handles again the cards other parts marked seen: the killed part may have marked
        them and died before following them up. Following a card up twice is harmless: its request is
        dropped by the shared dupefilter once queued, and items are upserts.
        """
        if response.meta.get("sw_refetch") and hasattr(self.seen_ids, "seen_here"):
            return self.seen_ids.seen_here(pid)
        return pid in self.seen_ids

    def parse_listing(self, response: Response) -> Iterator[Any]:
        kind = response.meta.get("sw_kind", "listing")
        card: ListingItem | None = response.meta.get("sw_card")
        pid = response.meta.get("sw_pid") or (card.platform_listing_id if card else None)
        if response.status in (404, 410):
            if pid:
                yield ListingGone(self.platform, pid, response.url, f"HTTP {response.status}")
            return
        result = self.parse_response(response, "listing")
        if result is None:
            return
        if result.kind == "empty":
            if pid:
                yield ListingGone(self.platform, pid, response.url, "the platform's 'ad removed' page")
            return
        if response.status == 403 and result.kind != "listing":
            self.report_block(f"HTTP 403 on {response.url}")
            return
        if result.kind != "listing" or not result.items:
            self.crawler.stats.inc_value("markup/listing/unexpected_kind")
            self.record_error("markup_listing", response.url,
                              f"expected an ad page, the parser found {result.kind!r} with {len(result.items)} items")
            return
        for item in result.items:
            if card is not None:
                item = self.merge_card(card, item)
            else:
                known = self.known.get(item.platform_listing_id)
                item.card_hash = known.card_hash if known else None
            yield self.finish_item(item, response)

    def merge_card(self, card: ListingItem, item: ListingItem) -> ListingItem:
        """The ad page wins; the card fills what the page lacks and gives the fingerprint."""
        for attr in ("title", "price", "currency", "price_text", "location", "posted_at", "refreshed_at",
                     "seller_platform_id", "seller_name", "seller_url"):
            if getattr(item, attr) in (None, "") and getattr(card, attr) not in (None, ""):
                setattr(item, attr, getattr(card, attr))
        if not item.photo_urls and card.photo_urls:
            item.photo_urls = list(card.photo_urls)
        item.card_hash = card.card_hash
        item.search_url = card.search_url
        if card.extra:
            item.extra = {**card.extra, **item.extra}
        return item

    def card_fingerprint(self, card: ListingItem) -> str:
        """What must change on a card for the ad to be fetched again (override: social posts use the whole post)."""
        return card.card_fingerprint()

    def finish_item(self, item: ListingItem, response: Response) -> ListingItem:
        item.source_name = self.source.name
        item.is_card = bool(item.is_card)
        if not item.language and self.source.language:
            item.language = self.source.language
        item.__dict__["_sw_capture"] = response.meta.get("sw_capture")  # the page's WARC Capture (not yet stored)
        item.__dict__["_sw_kind"] = response.meta.get("sw_kind")
        return self.post_process_item(item, response)

    def post_process_item(self, item: ListingItem, response: Response) -> ListingItem:
        """Override for site-specific touches."""
        return item

    def is_too_old(self, item: ListingItem) -> bool:
        if not self.source.max_age_days:
            return False
        when = item.refreshed_at or item.posted_at
        return when is not None and when < self.now() - dt.timedelta(days=self.source.max_age_days)

    # ------------------------------------------------------------------ errors, blocks

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        err_type, message = classify_failure(failure)
        if request is not None and request.meta.get("sw_kind") == "search":
            self.search_problems += 1
        if err_type == "http_429":
            self.report_block(f"rate limited: HTTP 429 persisted after retries at {url}")
            return
        if err_type == "http_403":
            self.report_block(f"HTTP 403 at {url}")
            return
        self.crawler.stats.inc_value(f"errors/{err_type}")
        self.record_error(err_type, url, message)

    def record_error(self, err_type: str, url: str, message: str) -> None:
        """Count an error and keep the first MAX_KEPT_ERRORS for SourceRun.stats."""
        self.error_count += 1
        self.crawler.stats.inc_value("errors/total")
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append({"type": err_type, "url": url, "message": message[:500],
                                "at": self.now().isoformat()})
        log.warning("%s [%s] %s: %s", self.source.name, err_type, url, message)

    def check_block(self, response: Response) -> None:
        """Called by SourceGateMiddleware for every 403: a block page (or anything unparseable) stops the source."""
        if self.status != "ok":
            return
        try:
            result = self.parse_page(response)
        except Exception:  # noqa: BLE001 - an unrecognised 403 is treated as a block too
            self.report_block(f"HTTP 403 at {response.url}")
            return
        if result.kind == "blocked":
            self.report_block(result.block_reason or f"block page at {response.url}")

    def report_block(self, reason: str) -> None:
        """Stop this source for the run and raise an alert; the SourceRun is recorded as "blocked"."""
        if self.status == "blocked":
            return
        self.status = "blocked"
        self.status_detail = reason
        self.crawler.stats.set_value("source/status", "blocked")
        self.crawler.stats.set_value("source/block_reason", reason)
        log.error("ALERT source %s (%s) blocked: %s; stopping this source for the run",
                  self.source.name, self.platform, reason)
        self._close("blocked")

    def report_not_configured(self, reason: str) -> None:
        """Skip this source for the run (e.g. no session configured); never a crash."""
        self.status = "not_configured"
        self.status_detail = reason
        self.crawler.stats.set_value("source/status", "not_configured")
        log.warning("source %s (%s) not configured: %s; skipped", self.source.name, self.platform, reason)
        self._close("not_configured")

    def _close(self, reason: str) -> None:
        from scrapy.utils.defer import deferred_from_coro

        engine = getattr(self.crawler, "_engine", None)  # not set when a test drives callbacks directly
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))

    # ------------------------------------------------------------------ removal re-checks

    def _on_idle(self, spider) -> None:
        if spider is not self or self._rechecks_done or self.status != "ok":
            return
        self._rechecks_done = True
        if self.search_problems:
            log.warning("%s: %d search page(s) failed, so listings missing from the results are not re-checked "
                        "this run", self.source.name, self.search_problems)
            self.crawler.stats.set_value("listings/rechecks_skipped", 1)
            return
        requests = list(self.recheck_requests())
        if not requests:
            return
        log.info("%s: re-checking %d listing(s) that no longer appear in the results", self.source.name, len(requests))
        for request in requests:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def liveness_requests(self) -> Iterator[Request]:
        """The listings named in `recheck`, re-opened with the same recheck_request() a crawl uses (robots.txt,
        block detection and backoff included); responses are kept as "liveness" captures of those listings."""
        for pid, listing_id in (self.recheck_only or {}).items():
            known = self.known.get(pid)
            request = self.recheck_request(known) if known is not None else None
            if request is None:
                self.record_error("recheck", pid, "no stored address to re-check")
                continue
            request.meta.update(sw_capture_kind="liveness", sw_listing_id=listing_id)
            self.crawler.stats.inc_value("listings/rechecked")
            yield request

    def _on_closed(self, spider, reason: str) -> None:
        """After a liveness re-check: tell the parent how the source ended and what failed (per URL)."""
        rt = runtime.of_crawler(self.crawler)
        if spider is not self or self.recheck_only is None or rt is None:
            return
        rt.emit({"event": "recheck_done", "source": self.source.name, "status": self.status,
                 "status_detail": self.status_detail, "errors": self.errors})

    def recheck_requests(self) -> Iterator[Request]:
        if not self.known or self.source.max_rechecks <= 0:
            return
        days = self.crawler.settings.getint("SAIGAWATCH_RECHECK_AFTER_DAYS", 1)
        checked_before = self.now() - dt.timedelta(days=days)
        for known in self.known.missing(self.source.name, self.seen_ids, checked_before)[: self.source.max_rechecks]:
            request = self.recheck_request(known)
            if request is not None:
                self.crawler.stats.inc_value("listings/rechecked")
                yield request
