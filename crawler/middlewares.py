"""Downloader middlewares: stop a blocked source, retry 429/5xx with backoff, keep every response in WARC."""
from __future__ import annotations

import asyncio
import logging
import random

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response

from crawler import runtime
from crawler.pipelines.batch import StoreBatch
from crawler.raw_http import RAW_META
from store.models import Capture

log = logging.getLogger("saigawatch.crawler")


class CrawlerBoundMiddleware:
    """A downloader middleware that keeps its crawler, to reach the running spider and the stats."""

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls()
        mw.crawler = crawler
        return mw


class SourceGateMiddleware(CrawlerBoundMiddleware):
    """Once a spider reports a block (or "not configured"), no further request of that source goes out."""

    def process_request(self, request: Request, spider=None):
        spider = spider or self.crawler.spider
        status = getattr(spider, "status", "ok")
        if status in ("blocked", "not_configured"):
            raise IgnoreRequest(f"source stopped for this run ({status})")
        return None

    def process_response(self, request: Request, response: Response, spider=None):
        """Recognise a 403 block page as soon as it arrives, before queued callbacks send more requests."""
        spider = spider or self.crawler.spider
        if response.status == 403 and request.meta.get("sw_kind") != "image" and hasattr(spider, "check_block"):
            spider.check_block(response)
        return response


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, but waiting before each retry of a 429/5xx: Retry-After, else base·2ⁿ with jitter."""

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("SAIGAWATCH_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("SAIGAWATCH_BACKOFF_MAX", 120.0)

    def backoff(self, request: Request, response: Response | None) -> float:
        retries = int(request.meta.get("retry_times", 0))
        delay = self.base * (2 ** retries)
        if response is not None:
            after = response.headers.get(b"Retry-After")
            if after:
                try:
                    delay = max(delay, float(after.decode("latin-1").strip()))
                except ValueError:
                    pass
        delay = min(delay, self.cap)
        return delay * random.uniform(0.8, 1.2) if delay > 0 else 0.0

    async def process_response(self, request: Request, response: Response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retries = int(request.meta.get("retry_times", 0))
        max_times = request.meta.get("max_retry_times", self.max_retry_times)
        if retries < max_times:
            delay = self.backoff(request, response)
            self.crawler.stats.inc_value(f"retry/backoff/{response.status}")
            log.info("HTTP %s at %s: retrying in %.1fs", response.status, request.url, delay)
            if delay:
                await asyncio.sleep(delay)
        return self._retry(request, f"HTTP {response.status}") or response

    async def process_exception(self, request: Request, exception: Exception, spider=None):
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry", False):
            retries = int(request.meta.get("retry_times", 0))
            if retries < request.meta.get("max_retry_times", self.max_retry_times):
                delay = min(self.base * (2 ** retries), self.cap) / 2
                if delay:
                    await asyncio.sleep(delay)
            return self._retry(request, exception)
        return None


class WarcCaptureMiddleware:
    """Writes every final response to WARC, as received (raw bytes from crawler.raw_http), and records a Capture row.

    The Capture goes into `request.meta["sw_capture"]` so the store pipeline can link it to the listing;
    it is inserted with the store pipeline's batch. Off (NotConfigured) when the crawl runs without a store.
    """

    KIND_BY_META = {"search": "search", "listing": "page", "recheck": "page", "image": "image", "api": "api"}

    def __init__(self, crawler):
        rt = runtime.of_crawler(crawler)
        if rt is None or rt.store is None:
            raise NotConfigured("no crawl runtime: WARC capture is off")
        self.rt = rt
        self.crawler = crawler
        self.batch = StoreBatch.of(crawler, rt.store)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider=None):
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            return response
        kind = request.meta.get("sw_capture_kind") or self.KIND_BY_META.get(request.meta.get("sw_kind"), "page")
        if kind != "image":
            self.crawler.stats.inc_value("pages/fetched")
        if response.status in (403, 429) and kind != "image":
            kind = "blocked"
        try:
            fetched_at = self.rt.clock.now()
            req_headers = [(k.decode("latin-1"), x.decode("latin-1")) for k, v in request.headers.items() for x in v]
            raw = request.meta.pop(RAW_META, None)
            if raw is not None:  # the bytes as the server sent them
                ref = self.rt.warc.write_raw_response(response.url, raw, fetched_at, request_headers=req_headers,
                                                      method=request.method,
                                                      ip_address=str(response.ip_address) if response.ip_address else None)
            else:  # a handler that gives no raw bytes (a browser): rebuilt, each repeated header on its own line
                headers = [(k.decode("latin-1"), x.decode("latin-1")) for k, v in response.headers.items() for x in v]
                ref = self.rt.warc.write_response(response.url, response.status, headers, response.body, fetched_at,
                                                  request_headers=req_headers, method=request.method)
            content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")[:200] or None
            capture = Capture(crawl_run_id=self.rt.crawl_run_id, listing_id=request.meta.get("sw_listing_id"),
                              kind=kind, url=response.url,
                              status_code=response.status, content_type=content_type, warc_path=ref.path,
                              warc_offset=ref.offset, warc_length=ref.length, warc_record_id=ref.record_id,
                              sha256=ref.sha256, fetched_at=fetched_at)
            self.batch.add_capture(capture)  # written with the items of its batch
            request.meta["sw_capture"] = capture
            self.crawler.stats.inc_value("warc/records")
        except Exception as exc:  # noqa: BLE001 - a full disk must show up, not kill the crawl silently
            self.crawler.stats.inc_value("warc/errors")
            log.error("WARC capture of %s failed: %s", response.url, exc)
        return response
