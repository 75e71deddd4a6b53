"""Crawl workers sharing one frontier over Redis: scrapy-redis scheduler/dupefilter, shared politeness, idle rules.

Every crawl part of a run (one per crawl worker slot, on any machine) runs the same sources with these
settings: requests go to one Redis queue per run and source, each page is fetched once (the shared
dupefilter), cards seen by any part count as seen by all (rechecks), the per-domain download delay and
the per-domain limit of requests in flight hold for all parts together, and a part only closes a source
when no other part is still working on it.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.statscollectors import MemoryStatsCollector
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

log = logging.getLogger("saigawatch.crawler")

BUSY_TTL = 30.0  # seconds a part counts as busy after its last response
SWEEP_SECONDS = 0.5  # how often a part drops the requests it finished from its in-flight hash


def redis_settings(redis_url: str, crawl_run_id: int, part: int) -> dict[str, Any]:
    """Scrapy settings that make a crawl process one part of the distributed crawl of `crawl_run_id`."""
    prefix = f"saigawatch:crawl:{crawl_run_id}:{{source}}"
    return {
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.distributed.SharedScheduler",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",  # a sorted set: the scheduler's scripts
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,  # the other parts still use the queue and the fingerprints
        "SCHEDULER_QUEUE_KEY": prefix + ":requests",
        "SCHEDULER_DUPEFILTER_KEY": prefix + ":seen-requests",
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "SAIGAWATCH_RUN_KEY": prefix,
        "SAIGAWATCH_CRAWL_RUN": crawl_run_id,
        "STATS_CLASS": "crawler.distributed.SharedStatsCollector",
        "SAIGAWATCH_CRAWL_PART": part,
        "EXTENSIONS": {"crawler.distributed.PartCoordinator": 400},
        "DOWNLOADER_MIDDLEWARES": {"crawler.distributed.SharedRateLimitMiddleware": 5,
                                   "crawler.distributed.SharedConcurrencyMiddleware": 990},
    }


def run_key(settings, spider) -> str:
    return settings.get("SAIGAWATCH_RUN_KEY").format(source=spider.source.name)


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler with its Redis keys named after the run and the source, and nothing lost to a kill.

    - A request's fingerprint and the request enter Redis together (one script): a part killed in between
      cannot leave a request that the dupefilter drops but nobody fetches.
    - A request taken from the shared queue is also written to this part's in-flight hash in the same
      script, and stays there until Scrapy has finished with it: its response parsed, the requests it led
      to queued in Redis, its items committed. RQ runs a killed part again; the new attempt puts what the
      dead one still owed back on the queue, marked `sw_refetch` (its cards are handled again: see
      SaigaSpider.card_seen).
    """

    def open(self, spider):
        base = run_key(spider.crawler.settings, spider)
        self.queue_key = base + ":requests"
        self.dupefilter_key = base + ":seen-requests"
        self.df = RFPDupeFilter(self.server, key=self.dupefilter_key)
        self.inflight_key = f"{base}:inflight:{spider.crawler.settings.getint('SAIGAWATCH_CRAWL_PART', 0)}"
        self.engine = spider.crawler.engine
        self.taken: dict[str, Any] = {}  # in-flight hash field -> the request Scrapy is working on
        self._enqueue = self.server.register_script(_ENQUEUE_SCRIPT)
        self._take = self.server.register_script(_TAKE_SCRIPT)
        result = super().open(spider)
        self._requeue_owed(spider)
        self._sweeper = task.LoopingCall(self.forget_finished)
        self._sweeper.start(SWEEP_SECONDS, now=False)
        return result

    def _requeue_owed(self, spider) -> None:
        """What an earlier, killed attempt of this part had taken and not finished goes back on the queue."""
        owed = self.server.hgetall(self.inflight_key)
        if not owed:
            return
        pipe = self.server.pipeline(transaction=True)
        for encoded in owed.values():
            request = self.queue._decode_request(encoded)
            request.dont_filter = True
            request.meta["sw_refetch"] = True
            pipe.zadd(self.queue_key, {self.queue._encode_request(request): -request.priority})
        pipe.delete(self.inflight_key)
        pipe.execute()
        log.warning("%s: %d request(s) of a killed crawl part are fetched again", spider.source.name, len(owed))

    def close(self, reason):
        if getattr(self, "_sweeper", None) is not None and self._sweeper.running:
            self._sweeper.stop()
        if reason == "finished":  # anything else (a shutdown) leaves the owed requests for the next attempt
            self.server.delete(self.inflight_key)
        return super().close(reason)

    def enqueue_request(self, request):
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        added = self._enqueue(keys=[self.dupefilter_key, self.queue_key],
                              args=[fingerprint, -request.priority, self.queue._encode_request(request)])
        if not added:
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        field_and_data = self._take(keys=[self.queue_key, self.inflight_key, self.inflight_key + ":taken"])
        if not field_and_data:
            return None
        field, encoded = field_and_data
        request = self.queue._decode_request(encoded)
        self.taken[field.decode() if isinstance(field, bytes) else field] = request
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def forget_finished(self) -> None:
        """Drop from the in-flight hash the requests Scrapy has finished with (no longer in its engine)."""
        slot = getattr(self.engine, "_slot", None) or getattr(self.engine, "slot", None)
        if slot is None:  # the engine is closing: what is not finished stays owed
            return
        done = [field for field, request in self.taken.items() if request not in slot.inprogress]
        if done:
            self.server.hdel(self.inflight_key, *done)
            for field in done:
                del self.taken[field]


# Add a request unless its fingerprint is known (ARGV[1] empty: dont_filter), the fingerprint in the same step.
_ENQUEUE_SCRIPT = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# Take the first request of the queue and record it in this part's in-flight hash, in one step.
_TAKE_SCRIPT = """
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
if #first == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
local field = tostring(redis.call('INCR', KEYS[3]))
redis.call('HSET', KEYS[2], field, first[1])
return {field, first[1]}
"""


# The run summary's figures (crawler.extensions.source_summary) that every part also adds up in Redis.
SHARED_STATS = {"pages/fetched": "pages_fetched", "listings/new": "listings_new", "listings/changed": "listings_changed",
                "listings/unchanged": "listings_unchanged", "listings/seen_unchanged": "listings_touched",
                "listings/removed": "listings_removed", "images/stored": "images_stored"}


class SharedStatsCollector(MemoryStatsCollector):
    """Scrapy's stats, with the run summary's figures also added up per run and source in Redis as they happen.

    A part killed mid-crawl never writes its totals; what it counted is still in Redis (merged by
    saigawatch.distributed.steps).
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        from scrapy_redis import connection

        self.server = connection.from_settings(crawler.settings)
        self.key = ""

    def inc_value(self, key: str, count: int = 1, start: int = 0, spider=None) -> None:
        super().inc_value(key, count, start)
        field = SHARED_STATS.get(key)
        if field is None:
            return
        if not self.key:
            self.key = run_key(self._crawler.settings, self._crawler.spider) + ":counts"
        self.server.hincrby(self.key, field, count)


class SharedSeen(set):
    """A spider's seen listing ids, shared through a Redis set by every part (len() counts this part's own).

    The run's "listings seen" is the size of the Redis set: each card counts once, whichever part saw it.
    """

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

    def seen_here(self, pid) -> bool:
        """Seen by this process (not only by another part, which may have died before following it up)."""
        return super().__contains__(pid)


class PartCoordinator:
    """Marks this part busy while it works; keeps it open while another part of the same source still works.

    It also shares the spider's seen listing ids through Redis (SharedSeen).
    """

    def __init__(self, crawler, server):
        self.crawler = crawler
        self.server = server
        # One mark per part: an attempt run again after a kill takes over the dead attempt's mark at once.
        self.me = f"part-{crawler.settings.getint('SAIGAWATCH_CRAWL_PART', 0)}"
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


# Take a slot of a domain's shared semaphore: holders in a sorted set scored by expiry (Redis's own clock).
_ACQUIRE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3]) * 1000) + 60000)
  return 1
end
return 0
"""
SLOT_META = "saigawatch_shared_slot"
SLOT_POLL = 0.02  # seconds between tries while every slot of the domain is taken


class SharedConcurrencyMiddleware:
    """Politeness across machines: at most CONCURRENT_REQUESTS_PER_DOMAIN requests of one domain in flight, all
    parts together.

    A slot is taken just before the download and given back with its response or error. It expires after
    DOWNLOAD_TIMEOUT + 30 s, and a part run again after a kill frees the slots its dead attempt held at once.
    """

    def __init__(self, crawler, server):
        self.crawler = crawler
        self.server = server
        settings = crawler.settings
        self.limit = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 8)
        self.ttl = settings.getfloat("DOWNLOAD_TIMEOUT", 180) + 30
        self.acquire = server.register_script(_ACQUIRE_SCRIPT)
        self.holder = f"{settings.getint('SAIGAWATCH_CRAWL_RUN')}:{settings.getint('SAIGAWATCH_CRAWL_PART', 0)}:"
        self._free_dead_attempts()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("SAIGAWATCH_RUN_KEY"):
            raise NotConfigured("not a distributed crawl")
        from scrapy_redis import connection

        return cls(crawler, connection.from_settings(crawler.settings))

    def _free_dead_attempts(self) -> None:
        """Slots still held under this run and part belong to its killed attempt (a job never runs twice at once)."""
        for key in self.server.scan_iter(match="saigawatch:polite:*:in-flight", count=500):
            stale = [m for m in self.server.zrange(key, 0, -1) if m.decode().startswith(self.holder)]
            if stale:
                self.server.zrem(key, *stale)

    async def process_request(self, request, spider=None):
        from urllib.parse import urlsplit

        key = f"saigawatch:polite:{urlsplit(request.url).netloc}:in-flight"
        token = self.holder + uuid.uuid4().hex
        waited = False
        while not self.acquire(keys=[key], args=[self.limit, token, self.ttl]):
            if not waited:
                self.crawler.stats.inc_value("politeness/shared_slot_waits")
                waited = True
            await asyncio.sleep(SLOT_POLL)
        request.meta[SLOT_META] = (key, token)
        return None

    def _release(self, request) -> None:
        slot = request.meta.pop(SLOT_META, None)
        if slot:
            self.server.zrem(*slot)

    def process_response(self, request, response, spider=None):
        self._release(request)
        return response

    def process_exception(self, request, exception, spider=None):
        self._release(request)
        return None
