"""Politeness across crawl workers: two workers never have more requests of one domain in flight than the limit."""
from __future__ import annotations

import os
import threading
import time

import pytest
from redis import Redis

from config import load_config
from demo_marketplace.command import DEMO_CONFIG, demo_origin, point_sources_at
from demo_marketplace.server import DemoHandler, serve_in_thread
from saigawatch.distributed import runlock
from store import Store
from store.models import CrawlRun
from tests.distributed_config import REDIS_ENV, ROOT, saigawatch, start, write_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

LIMIT = 1


class Counter:
    """Requests in flight at the server, per Host, and the most ever seen at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.paths: list[str] = []  # in flight when the peak was reached
        self.inflight: list[str] = []

    def handler(self):
        counter = self

        class CountingHandler(DemoHandler):
            def _dispatch(self, head: bool = False) -> None:
                host = self.headers.get("Host", "")
                with counter.lock:
                    counter.now[host] = counter.now.get(host, 0) + 1
                    counter.inflight.append(self.path)
                    if counter.now[host] > counter.peak.get(host, 0):
                        counter.peak[host] = counter.now[host]
                        counter.paths = list(counter.inflight)
                try:
                    time.sleep(0.08)  # long enough that two workers' requests would overlap without the limit
                    super()._dispatch(head)
                finally:
                    with counter.lock:
                        counter.now[host] -= 1
                        counter.inflight.remove(self.path)

        return CountingHandler


def test_two_crawl_workers_share_the_per_domain_concurrency_limit(tmp_path, redis_server):
    settings = load_config(DEMO_CONFIG)
    settings.sources = [s for s in settings.sources if s.name == "olx-kz-ru"]
    host, port = demo_origin(settings)
    counter = Counter()
    with serve_in_thread(port=0, host=host) as base_url:
        base_url.server.RequestHandlerClass = counter.handler()
        point_sources_at(settings, f"http://{host}:{port}", base_url)
        base_url.set_day(0)
        config = write_config(tmp_path, settings.sources, crawl_parts=2, wait=False,
                              crawl={"politeness": {"download_delay": 0, "concurrent_requests_per_domain": LIMIT}})
        env = {**os.environ, REDIS_ENV: redis_server.url, "PYTHONPATH": str(ROOT)}
        store = Store.from_settings(load_config(config))
        store.init()
        Redis.from_url(redis_server.url).delete(runlock.KEY)
        out = saigawatch(config, env, "run-daily", "--step", "crawl")
        assert out.returncode == 0, out.stderr
        workers = [start(config, env, "worker", "--role", "crawl", "--role", "classify", "--burst",
                         log=tmp_path / f"worker-{n}.log") for n in range(2)]
        for proc in workers:
            assert proc.wait(timeout=240) == 0, (tmp_path / "worker-0.log").read_text(errors="replace")[-3000:]
    with store.session() as s:
        run = s.scalars(s.query(CrawlRun).statement).one()
        pipeline = run.stats["pipeline"]
    store.dispose()
    assert run.status == "finished", run.errors
    assert pipeline["crawl"]["pages_fetched"] > 20
    assert counter.peak, "the demo server saw no request"
    assert max(counter.peak.values()) == LIMIT, (counter.peak, counter.paths)
