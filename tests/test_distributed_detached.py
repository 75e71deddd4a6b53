"""run-daily --no-wait in distributed mode: the workers chain the steps and close the run (real redis-server)."""
from __future__ import annotations

import json
import os

import pytest
from redis import Redis

from config import load_config
from demo_marketplace.command import DEMO_CONFIG, demo_origin, point_sources_at
from demo_marketplace.server import serve_in_thread
from saigawatch.distributed import runlock
from saigawatch.distributed.detached import finish
from saigawatch.pipeline import STEPS
from store import Store
from store.models import CrawlRun
from tests.distributed_config import REDIS_ENV, ROOT, saigawatch as _saigawatch, write_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def test_no_wait_run_is_finished_by_the_workers(tmp_path, redis_server, monkeypatch):
    """One worker (all roles, --burst) finishes a run run-daily only enqueued: the summary is written once, and
    the Redis run lock keeps a second run out meanwhile until the run's final job releases it."""
    settings = load_config(DEMO_CONFIG)
    settings.sources = [s for s in settings.sources if s.name == "olx-kz-ru"]
    host, port = demo_origin(settings)
    with serve_in_thread(port=0, host=host) as base_url:
        point_sources_at(settings, f"http://{host}:{port}", base_url)
        base_url.set_day(0)
        config = write_config(tmp_path, settings.sources, crawl_parts=1, wait=False)
        env = {**os.environ, REDIS_ENV: redis_server.url, "PYTHONPATH": str(ROOT)}
        store = Store.from_settings(load_config(config))
        store.init()
        conn = Redis.from_url(redis_server.url)
        conn.delete(runlock.KEY)

        out = _saigawatch(config, env, "run-daily", "--json")
        assert out.returncode == 0, out.stderr
        run_id = json.loads(out.stdout)["crawl_run_id"]
        with store.session() as s:
            assert s.get(CrawlRun, run_id).status == "running"  # returned at once: the workers have the run
        assert json.loads(conn.get(runlock.KEY))["crawl_run_id"] == run_id
        shown = _saigawatch(config, env, "workers", "--json")
        assert shown.returncode == 0, shown.stderr
        progress = json.loads(shown.stdout)["run"]
        assert (progress["crawl_run_id"], progress["status"], progress["done"]) == (run_id, "running", [])
        assert progress["steps"] == [name for name, _ in STEPS] and "finished by the workers" in progress["lock"]
        assert json.loads(shown.stdout)["queues"]["crawl"]["queued"] == 1

        again = _saigawatch(config, env, "run-daily", "--no-wait")
        assert again.returncode != 0 and f"run {run_id}, still being finished by the workers" in again.stderr

        worker = _saigawatch(config, env, "worker", "--role", "crawl", "--role", "classify", "--role", "capture",
                             "--burst", timeout=240)
        assert worker.returncode == 0, worker.stderr

    with store.session() as s:
        run = s.get(CrawlRun, run_id)
        status, stats, errors = run.status, run.stats, run.errors
    assert status == "finished", errors
    pipeline = stats["pipeline"]
    assert list(pipeline) == [name for name, _ in STEPS]
    assert pipeline["crawl"]["pages_fetched"] > 0 and pipeline["crawl"]["errors"] == 0
    assert pipeline["classify"]["classified"] > 0
    assert conn.get(runlock.KEY) is None, "the final job did not release the run lock"
    shown = _saigawatch(config, env, "workers")
    assert shown.returncode == 0, shown.stderr
    assert f"run {run_id}: finished" in shown.stdout and "run lock" not in shown.stdout

    # The final job run again (a retry after its worker died) changes nothing: the summary and digest are once.
    monkeypatch.setenv(REDIS_ENV, redis_server.url)
    monkeypatch.setenv("SAIGAWATCH_CONFIG", str(config))
    assert finish(run_id) == {"skipped": "run already finished"}
    with store.session() as s:
        assert s.get(CrawlRun, run_id).stats == stats
    store.dispose()
