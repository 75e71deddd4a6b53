"""Crawl workers sharing one frontier over Redis: scrapy-redis scheduler/dupefilter, shared politeness, idle rules.

Every crawl part of a run (one per crawl worker slot, on any machine) runs the same sources with these
settings: requests go to one Redis queue per run and source, each page is fetched once (the shared
dupefilter), cards seen by any part count as seen by all (rechecks), the per-domain download delay holds
for all parts together, and a part only closes a source when no other part is still working on it.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

log = logging.getLogger("saigawatch.crawler")

BUSY_TTL = 30.0  # seconds a part counts as busy after its last response
DONE_GRACE = 10.0  # seconds a fetched request stays "owed" (its items' store batch commits within 0.25 s)


def redis_settings(redis_url: str, crawl_run_id: int, part: int) -> dict[str, Any]:
    """Scrapy settings that make a crawl process one part of the distributed crawl of `crawl_run_id`."""
    prefix = f"saigawatch:crawl:{crawl_run_id}:{{source}}"
    return {
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.distributed.SharedScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the other parts still use the queue and the fingerprints
        "SCHEDULER_QUEUE_KEY": prefix + ":requests",
        "SCHEDULER_DUPEFILTER_KEY": prefix + ":seen-requests",
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "SAIGAWATCH_RUN_KEY": prefix,
        "SAIGAWATCH_CRAWL_PART": part,
        "EXTENSIONS": {"crawler.distributed.PartCoordinator": 400},
        "DOWNLOADER_MIDDLEWARES": {"crawler.distributed.SharedRateLimitMiddleware": 5},
    }


def run_key(settings, spider) -> str:
    return settings.get("SAIGAWATCH_RUN_KEY").format(source=spider.source.name)


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler with its Redis keys named after the run and the source (not the spider class).

    It also keeps this part's in-flight requests in Redis (popped, not yet stored for DONE_GRACE seconds): a
    part whose worker was killed puts them back on the shared queue when RQ runs it again, so nothing it had
    taken from the frontier is lost.
    """

    def open(self, spider):
        base = run_key(spider.crawler.settings, spider)
        self.queue_key = base + ":requests"
        self.dupefilter_key = base + ":seen-requests"
        self.df = RFPDupeFilter(self.server, key=self.dupefilter_key)
        part = spider.crawler.settings.getint("SAIGAWATCH_CRAWL_PART", 0)
        self.inflight_key = f"{base}:inflight:{part}"
        self.done_key = f"{base}:done:{part}"
        self.fingerprint = spider.crawler.request_fingerprinter.fingerprint
        result = super().open(spider)
        owed = self.server.hgetall(self.inflight_key)
        for encoded in owed.values():  # left by an earlier, killed attempt of this part
            request = self.queue._decode_request(encoded)
            request.dont_filter = True
            self.queue.push(request)
        if owed:
            log.warning("%s: %d request(s) of a killed crawl part are fetched again", spider.source.name, len(owed))
            self.server.delete(self.inflight_key, self.done_key)
        spider.crawler.signals.connect(self.request_done, signal=signals.response_received)
        return result

    def close(self, reason):
        if reason == "finished":
            self.server.delete(self.inflight_key, self.done_key)
        return super().close(reason)

    def next_request(self):
        request = super().next_request()
        if request is not None:
            self.server.hset(self.inflight_key, self.fingerprint(request).hex(), self.queue._encode_request(request))
        return request

    def request_done(self, response, request, spider) -> None:
        """A response arrived: its items are stored within a batch; forget it DONE_GRACE seconds later."""
        now = time.time()
        self.server.zadd(self.done_key, {self.fingerprint(request).hex(): now})
        old = self.server.zrangebyscore(self.done_key, 0, now - DONE_GRACE)
        if old:
            self.server.hdel(self.inflight_key, *old)
            self.server.zrem(self.done_key, *old)


class SharedSeen(set):
    """A spider's seen listing ids, shared through a Redis set by every part (len() counts this part's own)."""

    def __init__(self, server, key: str, local=()):
        super().__init__(local)
        self.server, self.key = server, key
        if local:
            server.sadd(key, *local)

    def add(self, pid) -> None:
        super().add(pid)
        self.server.sadd(self.key, pid)

    def __contains__(self, pid) -> bool:
        return super().__contains__(pid) or bool(self.server.sismember(self.key, pid))


class PartCoordinator:
    """Marks this part busy while it works; keeps it open while another part of the same source still works."""

    def __init__(self, crawler, server):
        self.crawler = crawler
        self.server = server
        self.me = f"{uuid.uuid4().hex}"
        self.key = ""
        self._last = 0.0

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("SAIGAWATCH_RUN_KEY"):
            raise NotConfigured("not a distributed crawl")
        from scrapy_redis import connection

        ext = cls(crawler, connection.from_settings(crawler.settings))
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.busy, signal=signals.response_received)
        crawler.signals.connect(ext.idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider) -> None:
        self.key = run_key(self.crawler.settings, spider) + ":busy"
        spider.seen_ids = SharedSeen(self.server, run_key(self.crawler.settings, spider) + ":seen-listings",
                                     spider.seen_ids)
        self._mark()

    def _mark(self) -> None:
        self._last = time.time()
        self.server.zadd(self.key, {self.me: self._last + BUSY_TTL})

    def busy(self, *args: Any, **kwargs: Any) -> None:
        if time.time() - self._last > 1.0:
            self._mark()

    def idle(self, spider) -> None:
        self.server.zrem(self.key, self.me)
        self._last = 0.0
        others = self.server.zcount(self.key, time.time(), "+inf")
        if others:
            raise DontCloseSpider  # another part may still add requests to the shared queue

    def closed(self, spider, reason) -> None:
        self.server.zrem(self.key, self.me)


# The next moment a request to a domain may go out, for all parts: max(now, next) + delay.
_SLOT_SCRIPT = """
local now = tonumber(ARGV[1])
local delay = tonumber(ARGV[2])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local at = math.max(now, nxt)
redis.call('SET', KEYS[1], tostring(at + delay), 'PX', math.ceil((at + delay - now) * 1000) + 60000)
return tostring(at - now)
"""


class SharedRateLimitMiddleware:
    """Politeness across machines: requests to one domain leave at least DOWNLOAD_DELAY apart over all parts."""

    def __init__(self, crawler, server):
        self.crawler = crawler
        self.delay = crawler.settings.getfloat("DOWNLOAD_DELAY", 0)
        self.script = server.register_script(_SLOT_SCRIPT)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("SAIGAWATCH_RUN_KEY"):
            raise NotConfigured("not a distributed crawl")
        if crawler.settings.getfloat("DOWNLOAD_DELAY", 0) <= 0:
            raise NotConfigured("no download delay: nothing to share")
        from scrapy_redis import connection

        return cls(crawler, connection.from_settings(crawler.settings))

    async def process_request(self, request, spider=None):
        from urllib.parse import urlsplit

        domain = urlsplit(request.url).netloc
        wait = float(self.script(keys=[f"saigawatch:polite:{domain}"], args=[time.time(), self.delay]))
        if wait > 0:
            self.crawler.stats.inc_value("politeness/shared_waits")
            await asyncio.sleep(wait)
        return None
