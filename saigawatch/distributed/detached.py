"""run-daily --no-wait: the run's steps chained by RQ job dependencies and finished by the workers themselves."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rq.job import Job, JobStatus

from config import Settings, load_config
from saigawatch.distributed import runlock
from saigawatch.distributed.queues import connect
from saigawatch.distributed.steps import (_enqueue, add_capture_results, crawl_parts, crawl_summary, enqueue_captures,
                                          enqueue_crawl, plan_captures)
from saigawatch.pipeline import STEPS, PipelineContext, _jsonable, begin_run, finish_run, run_step
from store import Store
from store.models import CrawlRun

log = logging.getLogger("saigawatch.distributed")

_CAPTURE = [name for name, _ in STEPS].index("capture")  # steps before it: after_crawl; after it: finish


def start_run(settings: Settings, store: Store, *, sources: list[str] | None = None, steps: list[str] | None = None,
              operator: str = "saigawatch", trigger: str = "daily", now: dt.datetime | None = None,
              lock_token: str) -> int:
    """Open the run and enqueue its chain; returns the CrawlRun id at once (the lock passes to the final job).

    The chain: the crawl parts, then an after-crawl job (classify queue) that depends on them; it merges the
    parts' rows, runs the steps up to classify, enqueues the capture jobs and a final job that depends on them;
    the final job runs the remaining steps (liveness, health, notify), closes the run with its summary and
    releases the run lock. Each step's result is written to the CrawlRun as soon as it is known, so a job run
    again after its worker died carries on where the dead one stopped, and no step runs twice.
    """
    conn = connect(settings)
    ctx = begin_run(settings, store, sources=sources, operator=operator, trigger=trigger, now=now)
    runlock.attach(conn, lock_token, ctx.crawl_run_id)
    wanted = [name for name, _ in STEPS if steps is None or name in steps]
    parts = crawl_parts(conn, settings) if "crawl" in wanted else 0
    _update(store, ctx.crawl_run_id, plan={"steps": wanted, "parts": parts, "sources": sources, "operator": operator,
                                           "now": ctx.now.isoformat(), "failed": [], "errors": []})
    crawl_jobs = enqueue_crawl(conn, ctx, parts) if parts else []
    _enqueue(conn, "classify", settings, "saigawatch.distributed.detached.after_crawl",
             f"after-crawl-{ctx.crawl_run_id}", ctx.crawl_run_id, after=crawl_jobs)
    log.info("run %d: %d crawl part(s) enqueued; the workers finish the run", ctx.crawl_run_id, parts)
    return ctx.crawl_run_id


def after_crawl(crawl_run_id: int) -> dict[str, Any]:
    """Job: the crawl's summary, the steps up to classify, then the capture jobs and the final job."""
    settings = load_config()
    store = Store.from_settings(settings)
    try:
        ctx, plan = _load(settings, store, crawl_run_id)
        if plan is None:
            return {"skipped": "run already finished"}
        for name, path in STEPS[:_CAPTURE]:  # crawl, then what comes before capture, on this classify worker
            if name in plan["steps"] and name not in ctx.results:
                path = "saigawatch.distributed.detached:crawl_result" if name == "crawl" else path
                _record(store, ctx, plan, name, run_step(ctx, name, path))
        conn = connect(settings)
        captures: list[Job] = []
        if "capture" in plan["steps"] and "capture" not in ctx.results:
            stats, todo = plan_captures(ctx)
            captures = enqueue_captures(conn, ctx, todo) if todo else []
            plan["capture"] = {"stats": _jsonable(stats), "jobs": [j.id for j in captures]}
            _update(store, crawl_run_id, plan=plan)
        _enqueue(conn, "classify", settings, "saigawatch.distributed.detached.finish",
                 f"finish-{crawl_run_id}", crawl_run_id, after=captures)
        return {"capture_jobs": len(captures)}
    finally:
        store.dispose()


def crawl_result(ctx: PipelineContext) -> dict[str, Any]:
    """The crawl step's result once every part ended (a part that failed for good is the step's error)."""
    conn = connect(ctx.settings)
    parts = (_plan_of(ctx.store, ctx.crawl_run_id) or {}).get("parts") or 0
    jobs = Job.fetch_many([f"crawl-{ctx.crawl_run_id}-{p}" for p in range(parts)], connection=conn)
    failed = [f"crawl-{ctx.crawl_run_id}-{p}" for p, job in enumerate(jobs)
              if job is None or job.get_status() != JobStatus.FINISHED]
    error = f"{len(failed)} crawl job(s) failed: {', '.join(failed)}" if failed else None
    return crawl_summary(conn, ctx, parts, error)


def finish(crawl_run_id: int) -> dict[str, Any]:
    """Job: the capture results, the remaining steps, the run summary; then the run lock is released."""
    settings = load_config()
    store = Store.from_settings(settings)
    conn = connect(settings)
    try:
        ctx, plan = _load(settings, store, crawl_run_id)
        if plan is None:  # a retry after the run was closed: nothing twice (summary, digest)
            runlock.release(conn, crawl_run_id=crawl_run_id)
            return {"skipped": "run already finished"}
        if "capture" in plan["steps"] and "capture" not in ctx.results:
            _record(store, ctx, plan, "capture", run_step(ctx, "capture", "saigawatch.distributed.detached:capture_result"))
        for name, path in STEPS[_CAPTURE + 1:]:
            if name in plan["steps"] and name not in ctx.results:
                _record(store, ctx, plan, name, run_step(ctx, name, path))
        finish_run(store, crawl_run_id, ctx.results, plan["failed"], [])
        runlock.release(conn, crawl_run_id=crawl_run_id)
        log.info("run %d finished by the workers%s", crawl_run_id,
                 f" with failed steps: {', '.join(plan['failed'])}" if plan["failed"] else "")
        return {"crawl_run_id": crawl_run_id, "failed_steps": plan["failed"]}
    finally:
        store.dispose()


def capture_result(ctx: PipelineContext) -> dict[str, Any]:
    """The capture step's result from its jobs (those that failed for good are listed as errors)."""
    plan = _plan_of(ctx.store, ctx.crawl_run_id) or {}
    capture = plan.get("capture") or {}
    stats = dict(capture.get("stats") or {"captured": 0})
    ids = capture.get("jobs") or []
    if not ids:
        return stats
    jobs = Job.fetch_many(ids, connection=connect(ctx.settings))
    done = [j.return_value() for j in jobs if j is not None and j.get_status() == JobStatus.FINISHED]
    lost = [jid for jid, j in zip(ids, jobs) if j is None or j.get_status() != JobStatus.FINISHED]
    if lost:
        stats.setdefault("errors", []).append({"error": f"{len(lost)} capture job(s) failed: {', '.join(lost)}"})
    return add_capture_results(stats, done)


def _plan_of(store: Store, crawl_run_id: int) -> dict[str, Any] | None:
    with store.session() as session:
        run = session.get(CrawlRun, crawl_run_id)
        return (run.stats or {}).get("detached") if run is not None else None


def _load(settings: Settings, store: Store, crawl_run_id: int) -> tuple[PipelineContext, dict[str, Any] | None]:
    """The run's context with the results recorded so far; plan None when the run is closed (or unknown)."""
    with store.session() as session:
        run = session.get(CrawlRun, crawl_run_id)
        if run is None:
            raise LookupError(f"crawl run {crawl_run_id} is not in the store")
        stats = dict(run.stats or {})
        status, run_day = run.status, run.run_day
    plan = stats.get("detached") or {}
    ctx = PipelineContext(settings=settings, store=store, crawl_run_id=crawl_run_id, run_day=run_day,
                          now=dt.datetime.fromisoformat(plan.get("now") or dt.datetime.now(dt.timezone.utc).isoformat()),
                          sources=plan.get("sources"), operator=plan.get("operator") or "saigawatch",
                          results=dict(stats.get("pipeline") or {}))
    return ctx, (plan if status == "running" and plan else None)


def _record(store: Store, ctx: PipelineContext, plan: dict[str, Any], name: str, error: dict | None) -> None:
    """Write one step's result (and its error) to the CrawlRun before the next step starts."""
    if error:
        plan["failed"].append(name)
        plan["errors"].append(error)
    _update(store, ctx.crawl_run_id, plan=plan, step=(name, ctx.results[name]), error=error)


def _update(store: Store, crawl_run_id: int, *, plan: dict[str, Any], step: tuple[str, dict] | None = None,
            error: dict | None = None) -> None:
    with store.session() as session:
        run = session.get(CrawlRun, crawl_run_id)
        stats = dict(run.stats or {})
        stats["detached"] = _jsonable(plan)
        if step:
            stats["pipeline"] = {**(stats.get("pipeline") or {}), step[0]: _jsonable(step[1])}
        run.stats = stats
        if error:
            run.errors = [*(run.errors or []), error]
