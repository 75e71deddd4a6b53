"""The run-daily pipeline: step order, failure isolation, interrupted runs, and the run lock."""
import multiprocessing
import os
import signal
import time

import pytest
from sqlalchemy import select

import saigawatch.pipeline as pipeline
from saigawatch.runlock import RunLocked, run_lock
from store.models import CrawlRun


@pytest.fixture
def fake_steps(monkeypatch):
    calls = []

    def ok(ctx):
        calls.append(("ok", dict(ctx.results)))
        return {"done": 1}

    def boom(ctx):
        calls.append(("boom", None))
        raise RuntimeError("spider exploded")

    registry = {"tests.fake:ok": ok, "tests.fake:boom": boom}
    monkeypatch.setattr(pipeline, "load_step", registry.__getitem__)
    monkeypatch.setattr(pipeline, "STEPS", [("first", "tests.fake:ok"), ("second", "tests.fake:boom"), ("third", "tests.fake:ok")])
    return calls


def test_failed_step_is_recorded_and_others_run(settings, store, fake_steps):
    report = pipeline.run_daily(settings, store)
    assert [c[0] for c in fake_steps] == ["ok", "boom", "ok"]
    assert report.failed_steps == ["second"]
    assert fake_steps[2][1]["first"]["done"] == 1  # later steps see earlier results
    with store.session() as s:
        run = s.get(CrawlRun, report.crawl_run_id)
        assert run.status == "failed"
        assert run.finished_at is not None
        assert run.errors == [{"step": "second", "error": "RuntimeError: spider exploded"}]
        assert run.stats["pipeline"]["first"]["done"] == 1


def test_only_selected_steps(settings, store, fake_steps):
    report = pipeline.run_daily(settings, store, steps=["first"])
    assert report.ok and list(report.results) == ["first"]


def test_stale_running_run_is_marked_interrupted(settings, store, fake_steps):
    with store.session() as s:
        s.add(CrawlRun(status="running"))
    pipeline.run_daily(settings, store, steps=["first"])
    with store.session() as s:
        statuses = [r.status for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id))]
    assert statuses == ["interrupted", "finished"]


def _hold_lock(path, ready):
    with run_lock(path):
        ready.set()
        time.sleep(60)


def test_second_run_is_refused_and_a_killed_holder_releases(tmp_path):
    lock = tmp_path / "run.lock"
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold_lock, args=(lock, ready))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(RunLocked, match="already running"):
            with run_lock(lock):
                pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join()
    assert lock.exists()  # the file stays behind, but it does not block
    with run_lock(lock):
        pass
