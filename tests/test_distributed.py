"""Distributed mode end to end: real redis-server and PostgreSQL, two crawl workers, classify and capture workers.

The demo marketplace is crawled once on one machine (the reference) and once by the workers, with the capture
worker killed (SIGKILL) in the middle of a capture job; the two results must be the same.
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from alerts.evidence.keys import ensure_key
from config import load_config
from demo_marketplace.command import DEMO_CONFIG, demo_origin, point_sources_at
from demo_marketplace.server import serve_in_thread
from saigawatch.pipeline import run_daily
from store import Store
from store.models import Capture, Classification, EvidenceCapture, Listing, ListingVersion, SourceRun

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.postgres, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["olx-kz-ru"]
DAY0 = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.timezone.utc)
REDIS_ENV = "SW_TEST_REDIS_URL"


def _write_config(tmp: Path, sources: list) -> Path:
    path = tmp / "saigawatch.yaml"
    doc = {
        "extends": str(DEMO_CONFIG),
        "storage": {"database_path": str(tmp / "unused.db"), "data_dir": str(tmp / "var")},
        "evidence": {"signing_key_path": str(tmp / "keys" / "signing_key.pem")},
        "schedule": {"lock_file": str(tmp / "run.lock"), "log_file": str(tmp / "log" / "sw.log")},
        "sources": [s.model_dump(mode="json", exclude_none=True) for s in sources],
        "crawl": {"politeness": {"download_delay": 0.3}},  # slow enough to kill a crawl worker mid-crawl
        "distributed": {"enabled": True, "redis_url_env": REDIS_ENV, "heartbeat_seconds": 1, "crawl_parts": 2},
    }
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


class Workers:
    """`saigawatch worker` processes, each in its own process group (so SIGKILL takes its job's children too)."""

    def __init__(self, config: Path, env: dict[str, str], logs: Path):
        self.config, self.env, self.logs = config, env, logs
        self.procs: list[tuple[str, subprocess.Popen]] = []
        logs.mkdir(parents=True, exist_ok=True)

    def start(self, role: str) -> subprocess.Popen:
        log = open(self.logs / f"{role}-{len(self.procs)}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "saigawatch", "--config", str(self.config), "worker",
                                 "--role", role], env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append((role, proc))
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop(self) -> None:
        for _, proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _, proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _result(store: Store) -> dict:
    """What must be the same on one machine and on several: listings, versions, flags, captures, pages."""
    with store.session() as s:
        listings = [tuple(r) for r in s.execute(select(Listing.platform, Listing.platform_listing_id,
                                                       Listing.content_hash))]
        newest = select(func.max(Classification.id)).group_by(Classification.listing_id)
        flagged = {pid for pid, in s.execute(select(Listing.platform_listing_id).join(
            Classification, Classification.listing_id == Listing.id).where(
            Classification.id.in_(newest), Classification.flagged.is_(True)))}
        captured = [pid for pid, in s.execute(select(Listing.platform_listing_id).join(
            EvidenceCapture, EvidenceCapture.listing_id == Listing.id))]
        pages = [url for url, in s.execute(select(Capture.url).where(Capture.kind.in_(("page", "search"))))]
        return {"listings": listings, "versions": s.scalar(select(func.count()).select_from(ListingVersion)),
                "flagged": flagged, "captured": captured, "pages": pages}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, postgres_server, redis_server):
    tmp = tmp_path_factory.mktemp("distributed")
    settings = load_config(DEMO_CONFIG, overrides={
        "storage": {"database_path": str(tmp / "single.db"), "data_dir": str(tmp / "var-single")},
        "evidence": {"signing_key_path": str(tmp / "keys" / "signing_key.pem")},
        "schedule": {"lock_file": str(tmp / "run.lock"), "log_file": str(tmp / "log" / "sw.log")},
    })
    settings.sources = [s for s in settings.sources if s.name in SOURCES]
    ensure_key(settings)
    host, port = demo_origin(settings)
    with serve_in_thread(port=0, host=host) as base_url:
        point_sources_at(settings, f"http://{host}:{port}", base_url)
        base_url.set_day(0)
        single_store = Store.from_settings(settings)
        single_store.init()
        single = run_daily(settings, single_store, operator="test", trigger="test", now=DAY0)
        single_result = _result(single_store)
        single_store.dispose()

        config = _write_config(tmp, settings.sources)
        pg_url = postgres_server.create_database(f"dist{os.getpid()}")
        env = {**os.environ, REDIS_ENV: redis_server.url, "SAIGAWATCH_DATABASE_URL": pg_url,
               "PYTHONPATH": str(ROOT)}
        dist_settings = load_config(config)
        store = Store(pg_url)
        store.init()
        workers = Workers(config, env, tmp / "worker-logs")
        killed: dict = {}
        try:
            crawler = workers.start("crawl")
            workers.start("crawl")
            workers.start("classify")
            capture = workers.start("capture")
            old = os.environ.get(REDIS_ENV)
            os.environ[REDIS_ENV] = redis_server.url
            box: dict = {}
            thread = threading.Thread(target=lambda: box.update(report=run_daily(
                dist_settings, store, operator="test", trigger="test", now=DAY0)))
            thread.start()
            from redis import Redis
            from rq import Queue
            from rq.registry import StartedJobRegistry

            conn = Redis.from_url(redis_server.url)
            started = StartedJobRegistry(queue=Queue("saigawatch-capture", connection=conn))
            while thread.is_alive() and "capture" not in killed:
                if "crawl" not in killed:
                    with store.session() as s:
                        pages = s.scalar(select(func.count()).select_from(Capture))
                    if pages >= 8:  # mid-crawl: kill a crawl worker (its part is retried)
                        killed["crawl"] = pages
                        workers.kill(crawler)
                        workers.start("crawl")
                elif started.count:  # a capture job is running: kill its worker mid-job
                    time.sleep(0.5)
                    killed["capture"] = started.get_job_ids()
                    workers.kill(capture)
                    workers.start("capture")
                time.sleep(0.1)
            thread.join(timeout=900)
            if old is None:
                os.environ.pop(REDIS_ENV, None)
            else:
                os.environ[REDIS_ENV] = old
            dist_result = _result(store)
            with store.session() as s:
                source_runs = [(r.source_name, r.status) for r in s.scalars(select(SourceRun))]
                stats = s.scalars(select(SourceRun.stats)).one()
                part_stats = {k: v for k, v in stats.items() if k in ("parts", "killed_parts")}
                part_stats["shared_waits"] = stats["scrapy"].get("politeness/shared_waits", 0)
        finally:
            workers.stop()
            store.dispose()
        yield {"single": single, "single_result": single_result, "dist": box.get("report"),
               "dist_result": dist_result, "killed": killed, "source_runs": source_runs,
               "part_stats": part_stats,
               "config": config, "env": env, "logs": tmp / "worker-logs"}


def test_distributed_run_completes(runs):
    report = runs["dist"]
    assert report is not None, "the distributed run-daily did not finish"
    assert report.ok, (report.failed_steps, report.results)
    assert runs["single"].ok
    assert set(runs["killed"]) == {"crawl", "capture"}, runs["killed"]
    assert report.results["crawl"]["crawl_parts"] == 2
    assert runs["source_runs"] == [("olx-kz-ru", "ok")]  # the parts' rows merged into one, as on one machine
    parts = runs["part_stats"]
    assert parts["parts"] + parts["killed_parts"] >= 2, parts  # (the kill may land before or after a part wrote its row)
    assert parts["shared_waits"] > 0, parts  # the per-domain delay is shared in Redis (the middleware is loaded)
    assert not report.results["crawl"]["failed_sources"]


def test_same_result_as_one_machine(runs):
    single, dist = runs["single_result"], runs["dist_result"]
    assert sorted(dist["listings"]) == sorted(single["listings"])
    assert dist["versions"] == single["versions"]
    assert dist["flagged"] == single["flagged"] and dist["flagged"]
    assert sorted(dist["captured"]) == sorted(single["captured"]) and dist["captured"]


def test_no_duplicates_and_each_page_fetched_once(runs):
    dist = runs["dist_result"]
    assert len(set(dist["listings"])) == len(dist["listings"])
    assert not [pid for pid, n in Counter(dist["captured"]).items() if n > 1], "a listing was captured twice"
    assert set(dist["pages"]) == set(runs["single_result"]["pages"])
    # Only the killed part's owed requests (taken from the queue, not finished) are fetched twice.
    twice = [url for url, n in Counter(dist["pages"]).items() if n > 1]
    assert len(twice) <= 40, f"{len(twice)} pages fetched twice: {twice[:5]}"


def test_run_summary_matches(runs):
    single, dist = runs["single"].results, runs["dist"].results
    assert dist["crawl"]["errors"] == single["crawl"]["errors"] == 0
    assert dist["crawl"]["pages_fetched"] >= single["crawl"]["pages_fetched"]
    # Exact whether or not the kill landed mid-crawl: each card counts once, whichever part (or retry) saw it.
    assert dist["crawl"]["listings_seen"] == single["crawl"]["listings_seen"]
    assert dist["crawl"]["listings_new"] == single["crawl"]["listings_new"]  # counted in Redis as they are stored
    assert dist["health"].get("alerts") == single["health"].get("alerts")
    assert dist["classify"]["classified"] == single["classify"]["classified"]
    assert dist["capture"]["captured"] == single["capture"]["captured"]


def test_workers_command_shows_workers_and_queues(runs):
    out = subprocess.run([sys.executable, "-m", "saigawatch", "--config", str(runs["config"]), "workers"],
                         env=runs["env"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "queues" in out.stdout and "capture" in out.stdout
