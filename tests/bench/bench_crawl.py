"""Crawl throughput: the full pipeline (fetch + parse + store + WARC) vs a bare Scrapy spider, same pages, same run."""
from __future__ import annotations

import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ["антиквариат", "охота", "здоровье", "сувениры", "мебель", "телефон", "игрушки", "животные", "сельхоз",
           "услуги", "запчасти", "рога сайги", "киік мүйізі"]
CONCURRENCY = 8
BENCH_ADS = 2_000  # extra ordinary olx.kz ads, so one crawl fetches over 2,000 pages (stable timing)


def _bare_child() -> None:
    """Child process: fetch the URLs on stdin with a bare Scrapy spider that only extracts <title>."""
    import scrapy
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerProcess

    urls = json.loads(sys.stdin.read())
    times: dict[str, float] = {}
    titles: list[str] = []

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self):
            for url in urls:
                yield scrapy.Request(url, dont_filter=True)

        def parse(self, response):
            titles.append(response.css("title::text").get() or "")

        @classmethod
        def from_crawler(cls, crawler, *args, **kwargs):
            spider = super().from_crawler(crawler, *args, **kwargs)
            crawler.signals.connect(spider.opened, signals.spider_opened)
            crawler.signals.connect(spider.closed_at, signals.spider_closed)
            return spider

        def opened(self):
            times.setdefault("open", time.monotonic())

        def closed_at(self):
            times.setdefault("close", time.monotonic())

    process = AsyncCrawlerProcess({"LOG_ENABLED": False, "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
                                   "CONCURRENT_REQUESTS": CONCURRENCY, "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
                                   "DOWNLOAD_DELAY": 0, "REMOTE_CONTROL_ENABLED": False, "STATS_DUMP": False})
    process.crawl(BareSpider)
    process.start()
    print(json.dumps({"pages": len(titles), "seconds": times["close"] - times["open"]}))


def _settings(tmp: Path, base_url: str):
    from config import load_config

    return load_config(overrides={
        "storage": {"database_path": str(tmp / "bench.db"), "data_dir": str(tmp / "var")},
        "crawl": {"politeness": {"download_delay": 0, "concurrent_requests_per_domain": CONCURRENCY,
                                 "autothrottle": False, "obey_robots_txt": False},
                  "download_images": False},
        "sources": [{"name": "bench", "platform": "olx", "site": "kz", "language": "ru", "queries": QUERIES,
                     "base_url": f"{base_url}/olx-kz", "max_pages": 50}],
    })


def _child_cpu() -> float:
    """CPU seconds used so far by finished child processes (the crawl child, the bare spider)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _full_crawl(settings, store) -> dict:
    from sqlalchemy import select

    from crawler.run import run_crawl
    from store.models import CrawlRun, SourceRun

    with store.session() as session:
        run = CrawlRun(trigger="bench", status="running")
        session.add(run)
        session.flush()
        run_id = run.id
    t0, cpu0 = time.monotonic(), _child_cpu()
    summary = run_crawl(settings, store, run_id)
    wall, cpu = time.monotonic() - t0, _child_cpu() - cpu0
    with store.session() as session:
        row = session.scalars(select(SourceRun).where(SourceRun.crawl_run_id == run_id)).one()
        seconds = (row.finished_at - row.started_at).total_seconds()
    return {"pages": summary["pages_fetched"], "seconds": seconds, "wall": wall, "cpu": cpu, "summary": summary,
            "run_id": run_id}


def main() -> None:
    from sqlalchemy import select

    from demo_marketplace.olx_listings import add_bench_ads
    from demo_marketplace.server import serve_in_thread
    from store import Store
    from store.models import Capture

    add_bench_ads(BENCH_ADS)
    with tempfile.TemporaryDirectory() as tmpdir, serve_in_thread() as base_url:
        tmp = Path(tmpdir)
        settings = _settings(tmp, base_url)
        store = Store(settings.storage.database_url())
        store.init()
        full = _full_crawl(settings, store)
        with store.session() as session:
            urls = list(session.scalars(select(Capture.url).where(Capture.crawl_run_id == full["run_id"],
                                                                  Capture.kind.in_(("search", "page")))))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cpu0 = _child_cpu()
        out = subprocess.run([sys.executable, "-c", "from tests.bench.bench_crawl import _bare_child; _bare_child()"],
                             input=json.dumps(urls), capture_output=True, text=True, env=env, check=True)
        bare = json.loads(out.stdout.strip().splitlines()[-1])
        bare["cpu"] = _child_cpu() - cpu0
        again = _full_crawl(settings, store)
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        warc_mb = sum(p.stat().st_size for p in (tmp / "var" / "warc").rglob("*.warc.gz")) / 1e6
        store.dispose()
    full_rate = full["pages"] / full["seconds"]
    bare_rate = bare["pages"] / bare["seconds"]
    print(f"pages crawled (search + ad pages, demo OLX, {CONCURRENCY} concurrent, no delay): {full['pages']}")
    print(f"full pipeline (fetch + parse + store + WARC): {full_rate:.1f} pages/s "
          f"({full['seconds']:.2f}s spider time, {full['wall']:.2f}s with process start)")
    print(f"bare Scrapy spider (fetch + <title> only):    {bare_rate:.1f} pages/s ({bare['seconds']:.2f}s, "
          f"{bare['pages']} pages)")
    print(f"ratio full / bare: {full_rate / bare_rate:.2f}")
    # Wall-clock rates follow whatever else the machine runs; CPU per page (process start included) does not.
    full_cpu, bare_cpu = full["cpu"] / full["pages"], bare["cpu"] / bare["pages"]
    print(f"CPU per page: full {1000 * full_cpu:.2f} ms, bare {1000 * bare_cpu:.2f} ms; "
          f"ratio of CPU throughput full / bare: {bare_cpu / full_cpu:.2f}")
    print(f"incremental re-crawl of the unchanged site: {again['pages']} pages "
          f"({100 * (1 - again['pages'] / max(1, full['pages'])):.0f}% fewer)")
    print(f"WARC written: {warc_mb:.1f} MB; peak RSS of a crawl process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
