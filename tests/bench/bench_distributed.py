"""Distributed crawl: one machine vs 1 and 2 crawl workers over Redis + PostgreSQL, same pages, same run."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
BENCH_ADS = 2_000  # about 2,100 pages per crawl (as bench_crawl), long enough to time
REDIS_ENV = "SW_BENCH_REDIS_URL"


def _config(tmp: Path, base_url: str, parts: int) -> Path:
    from tests.bench.bench_crawl import CONCURRENCY, QUERIES

    path = tmp / f"bench-{parts}.yaml"
    doc = {
        "storage": {"database_path": str(tmp / "unused.db"), "data_dir": str(tmp / f"var-{parts}")},
        "crawl": {"politeness": {"download_delay": 0, "concurrent_requests_per_domain": CONCURRENCY,
                                 "autothrottle": False, "obey_robots_txt": False}, "download_images": False},
        "sources": [{"name": "bench", "platform": "olx", "site": "kz", "language": "ru", "queries": QUERIES,
                     "base_url": f"{base_url}/olx-kz", "max_pages": 50}],
        "distributed": {"enabled": parts > 0, "redis_url_env": REDIS_ENV, "crawl_parts": max(parts, 1)},
    }
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _new_run(store) -> int:
    from store.models import CrawlRun

    with store.session() as session:
        run = CrawlRun(trigger="bench", status="running")
        session.add(run)
        session.flush()
        return run.id


def _single(config: Path, db_url: str) -> tuple[int, float]:
    from config import load_config
    from crawler.run import run_crawl
    from store import Store

    settings = load_config(config)
    store = Store(db_url)
    store.init()
    run_id = _new_run(store)
    t0 = time.monotonic()
    summary = run_crawl(settings, store, run_id)
    seconds = time.monotonic() - t0
    store.dispose()
    return summary["pages_fetched"], seconds


def _distributed(config: Path, db_url: str, redis_url: str, workers: int) -> tuple[int, float]:
    from config import load_config
    from saigawatch.distributed.steps import crawl_step
    from saigawatch.pipeline import PipelineContext
    from store import Store

    env = {**os.environ, REDIS_ENV: redis_url, "SAIGAWATCH_DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    os.environ[REDIS_ENV] = redis_url
    settings = load_config(config)
    store = Store(db_url)
    store.init()
    procs = [subprocess.Popen([sys.executable, "-m", "saigawatch", "--config", str(config), "worker", "--role",
                               "crawl"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True) for _ in range(workers)]
    try:
        time.sleep(3)  # workers up and waiting, as they are in production
        run_id = _new_run(store)
        ctx = PipelineContext(settings=settings, store=store, crawl_run_id=run_id, run_day="bench",
                              now=dt.datetime.now(dt.timezone.utc))
        t0 = time.monotonic()
        summary = crawl_step(ctx)
        seconds = time.monotonic() - t0
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)
        store.dispose()
    return summary["pages_fetched"], seconds


def main() -> None:
    from demo_marketplace.olx_listings import add_bench_ads
    from demo_marketplace.server import serve_in_thread
    from tests.postgres_server import PostgresServer
    from tests.redis_server import RedisServer

    add_bench_ads(BENCH_ADS)
    pg = PostgresServer().start()
    redis = RedisServer().start()
    try:
        with tempfile.TemporaryDirectory() as tmpdir, serve_in_thread() as base_url:
            tmp = Path(tmpdir)
            single_pages, single_s = _single(_config(tmp, base_url, 0), pg.create_database("bench_single"))
            one_pages, one_s = _distributed(_config(tmp, base_url, 1), pg.create_database("bench_one"), redis.url, 1)
            two_pages, two_s = _distributed(_config(tmp, base_url, 2), pg.create_database("bench_two"), redis.url, 2)
    finally:
        redis.stop()
        pg.stop()
    single_rate, one_rate, two_rate = single_pages / single_s, one_pages / one_s, two_pages / two_s
    print(f"pages per crawl (demo OLX, {BENCH_ADS} extra ads, PostgreSQL): single {single_pages}, "
          f"1 worker {one_pages}, 2 workers {two_pages}")
    print(f"single machine (no Redis):   {single_rate:.1f} pages/s ({single_s:.1f}s with process start)")
    print(f"distributed, 1 crawl worker: {one_rate:.1f} pages/s ({one_s:.1f}s from enqueue to done)")
    print(f"distributed, 2 crawl workers: {two_rate:.1f} pages/s ({two_s:.1f}s)")
    print(f"overhead of distributed mode with 1 worker: {100 * (1 - one_rate / single_rate):.0f}% "
          f"(ratio 1 worker / single {one_rate / single_rate:.2f})")
    print(f"ratio 2 workers / 1 worker: {two_rate / one_rate:.2f} (one demo server on the same 2 cores serves both)")


if __name__ == "__main__":
    main()
