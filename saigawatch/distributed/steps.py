"""run-daily in distributed mode: the crawl, classify and capture steps enqueued for the workers, then awaited.

The coordinator (the machine running `run-daily`, under the run lock) seeds the crawl as N parts sharing one
Redis frontier, waits, then enqueues the classification and one capture job per flagged listing. Jobs whose
worker died are found by their missed heartbeats and run again (RQ retries). The results are read back from
the store, so the run summary, crawl health and digest are the same as on one machine.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from redis import Redis
from rq import Retry
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from sqlalchemy import select

from saigawatch.distributed.queues import connect, queue
from saigawatch.distributed.status import live_workers
from store.models import SourceRun, utcnow

log = logging.getLogger("saigawatch.distributed")

POLL_SECONDS = 0.5


class JobsFailed(Exception):
    """Some jobs failed for good (after their retries); the message lists them."""


def _enqueue(conn: Redis, role: str, settings, func: str, job_id: str, *args: Any) -> Job:
    dist = settings.distributed
    retry = Retry(max=dist.retries) if dist.retries else None
    return queue(conn, role).enqueue(func, *args, job_id=job_id, job_timeout=dist.job_timeout, retry=retry,
                                     result_ttl=7 * 86400, failure_ttl=30 * 86400)


def wait_for(conn: Redis, jobs: list[Job], settings, what: str) -> list[Any]:
    """Block until every job finished or failed for good; requeue jobs of dead workers meanwhile."""
    roles = {j.origin for j in jobs}
    pending = {j.id: j for j in jobs}
    results: dict[str, Any] = {}
    failed: dict[str, str] = {}
    while pending:
        for origin in roles:  # a worker killed mid-job: its heartbeat expires and the job is retried
            StartedJobRegistry(origin, connection=conn).cleanup()
        for job_id, job in list(pending.items()):
            status = job.get_status(refresh=True)
            if status == JobStatus.FINISHED:
                results[job_id] = job.return_value()
                del pending[job_id]
            elif status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                failed[job_id] = (job.latest_result().exc_string if job.latest_result() else str(status)) or ""
                del pending[job_id]
        if pending:
            time.sleep(POLL_SECONDS)
    if failed:
        lines = "; ".join(f"{jid}: {msg.strip().splitlines()[-1] if msg.strip() else 'failed'}"
                          for jid, msg in failed.items())
        raise JobsFailed(f"{len(failed)} {what} job(s) failed: {lines}")
    return [results[j.id] for j in jobs]


def crawl_parts(conn: Redis, settings) -> int:
    """How many crawl parts a run gets: distributed.crawl_parts, else one per live crawl worker slot."""
    if settings.distributed.crawl_parts:
        return settings.distributed.crawl_parts
    return max(1, sum(1 for w in live_workers(conn) if "crawl" in w["roles"]))


def crawl_step(ctx) -> dict[str, Any]:
    """Seed the crawl as N parts on the crawl queue, wait for them, and summarise the run from the store."""
    from crawler.run import select_sources, summarise

    conn = connect(ctx.settings)
    parts = crawl_parts(conn, ctx.settings)
    names = [s.name for s in select_sources(ctx.settings, ctx.sources)]
    now = ctx.now.isoformat() if ctx.now else None
    jobs = [_enqueue(conn, "crawl", ctx.settings, "saigawatch.distributed.jobs.crawl_part",
                     f"crawl-{ctx.crawl_run_id}-{part}", ctx.crawl_run_id, part, parts, ctx.sources, now)
            for part in range(parts)]
    log.info("crawl: %d part(s) enqueued for run %d", parts, ctx.crawl_run_id)
    error = None
    try:
        wait_for(conn, jobs, ctx.settings, "crawl")
    except JobsFailed as exc:
        error = str(exc)
    _close_killed_parts(ctx.store, ctx.crawl_run_id)
    summary = summarise(ctx.store, ctx.crawl_run_id, names)
    summary["crawl_parts"] = parts
    if error:
        summary["process_error"] = error
        summary["errors"] += 1
    return summary


def _close_killed_parts(store, crawl_run_id: int) -> None:
    """SourceRuns a killed crawl part left 'running': their work was redone by the retried part."""
    with store.session() as session:
        for row in session.scalars(select(SourceRun).where(SourceRun.crawl_run_id == crawl_run_id,
                                                           SourceRun.status == "running")):
            row.status = "retried"
            row.finished_at = row.finished_at or utcnow()
            row.status_detail = "the crawl worker running this part died; the part was run again"


def classify_step(ctx) -> dict[str, Any]:
    """Enqueue the run's classification for a classify worker and wait for its result."""
    conn = connect(ctx.settings)
    job = _enqueue(conn, "classify", ctx.settings, "saigawatch.distributed.jobs.classify_run",
                   f"classify-{ctx.crawl_run_id}", ctx.crawl_run_id, ctx.run_day, ctx.now.isoformat(), ctx.operator)
    return wait_for(conn, [job], ctx.settings, "classify")[0]


def capture_step(ctx) -> dict[str, Any]:
    """One capture job per listing to capture (as the single-machine step chooses them), awaited."""
    from alerts.evidence.capture import _listings_to_capture

    settings = ctx.settings
    if not settings.evidence.enabled:
        return {"captured": 0, "skipped": "evidence.enabled is false"}
    flagged = (ctx.results.get("classify") or {}).get("flagged_listing_ids") or []
    todo, skipped = _listings_to_capture(settings, ctx.store, flagged)
    limit = settings.evidence.max_captures_per_run
    deferred = max(0, len(todo) - limit)
    todo = todo[:limit]
    stats: dict[str, Any] = {"flagged": len(flagged), "captured": 0, "already_captured": skipped, "deferred": deferred,
                             "capture_ids": [], "failed_steps": {}, "errors": []}
    if not todo:
        return stats
    conn = connect(settings)
    jobs = [_enqueue(conn, "capture", settings, "saigawatch.distributed.jobs.capture_listing",
                     f"capture-{ctx.crawl_run_id}-{lid}", ctx.crawl_run_id, lid, ctx.operator) for lid in todo]
    try:
        results = wait_for(conn, jobs, settings, "capture")
    except JobsFailed as exc:
        stats["errors"].append({"error": str(exc)})
        results = [j.return_value() for j in jobs if j.get_status(refresh=True) == JobStatus.FINISHED]
    for result in results:
        if not result or not result.get("capture_id"):
            continue
        if result.get("already_captured"):
            stats["already_captured"] += 1
            continue
        stats["captured"] += 1
        stats["capture_ids"].append(result["capture_id"])
        for name, step in (result.get("steps") or {}).items():
            if step.get("status") == "error":
                stats["failed_steps"][name] = stats["failed_steps"].get(name, 0) + 1
                stats["errors"].append({"listing_id": result["listing_id"], "step": name, "error": step.get("error")})
    return stats
