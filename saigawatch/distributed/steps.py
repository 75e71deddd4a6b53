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
from rq.job import Dependency, Job, JobStatus
from rq.registry import StartedJobRegistry
from sqlalchemy import select

from saigawatch.distributed.queues import connect, queue
from saigawatch.distributed.status import live_workers
from store.models import SourceRun, utcnow

log = logging.getLogger("saigawatch.distributed")

POLL_SECONDS = 0.5
CAPTURE_CHUNK = 4  # listings per capture job: one browser start each, and spread over the capture workers


class JobsFailed(Exception):
    """Some jobs failed for good (after their retries); the message lists them."""


def _enqueue(conn: Redis, role: str, settings, func: str, job_id: str, *args: Any, after: list[Job] | None = None) -> Job:
    """Enqueue with the configured retries; `after`: only once those jobs ended (finished or failed for good)."""
    dist = settings.distributed
    retry = Retry(max=dist.retries) if dist.retries else None
    depends = Dependency(jobs=after, allow_failure=True) if after else None
    return queue(conn, role).enqueue(func, *args, job_id=job_id, job_timeout=dist.job_timeout, retry=retry,
                                     result_ttl=7 * 86400, failure_ttl=30 * 86400, depends_on=depends)


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


def enqueue_crawl(conn: Redis, ctx, parts: int | None = None) -> list[Job]:
    """Seed the crawl of the run as N parts on the crawl queue (sharing one frontier)."""
    parts = parts or crawl_parts(conn, ctx.settings)
    now = ctx.now.isoformat() if ctx.now else None
    jobs = [_enqueue(conn, "crawl", ctx.settings, "saigawatch.distributed.jobs.crawl_part",
                     f"crawl-{ctx.crawl_run_id}-{part}", ctx.crawl_run_id, part, parts, ctx.sources, now)
            for part in range(parts)]
    log.info("crawl: %d part(s) enqueued for run %d", parts, ctx.crawl_run_id)
    return jobs


def crawl_step(ctx) -> dict[str, Any]:
    """Seed the crawl as N parts on the crawl queue, wait for them, and summarise the run from the store."""
    conn = connect(ctx.settings)
    jobs = enqueue_crawl(conn, ctx)
    error = None
    try:
        wait_for(conn, jobs, ctx.settings, "crawl")
    except JobsFailed as exc:
        error = str(exc)
    return crawl_summary(conn, ctx, len(jobs), error)


def crawl_summary(conn: Redis, ctx, parts: int, error: str | None) -> dict[str, Any]:
    """The crawl step's result once its parts are done: their rows merged, summarised from the store."""
    from crawler.run import select_sources, summarise

    names = [s.name for s in select_sources(ctx.settings, ctx.sources)]
    _merge_part_rows(ctx.store, conn, ctx.crawl_run_id)
    summary = summarise(ctx.store, ctx.crawl_run_id, names)
    summary["crawl_parts"] = parts
    if error:
        summary["process_error"] = error
        summary["errors"] += 1
    return summary


def _merge_part_rows(store, conn: Redis, crawl_run_id: int) -> None:
    """One SourceRun per source, as on one machine: the parts' rows summed into the first, the others deleted.

    A part killed mid-crawl left its row 'running' and never wrote its totals: the figures come from Redis,
    where every part added them up as it went (crawler.distributed.SharedStatsCollector), and the number of
    listings seen is the size of the run's shared seen set (each card counted once, by any part).
    """
    from crawler.distributed import SHARED_STATS
    from crawler.run import merge_part_summaries

    base = f"saigawatch:crawl:{crawl_run_id}"
    with store.session() as session:
        rows = session.scalars(select(SourceRun).where(SourceRun.crawl_run_id == crawl_run_id)
                               .order_by(SourceRun.id)).all()
        by_source: dict[str, list[SourceRun]] = {}
        for row in rows:
            by_source.setdefault(row.source_name, []).append(row)
        for name, parts in by_source.items():
            finished = [r for r in parts if r.status != "running"] or parts
            keep = finished[0]
            summary: dict[str, Any] = {}
            scrapy: dict[str, Any] = {}
            errors: list = []
            for row in finished:
                stats = row.stats or {}
                summary = merge_part_summaries(summary, stats.get("summary") or {}) if summary else dict(
                    stats.get("summary") or {})
                for key, value in (stats.get("scrapy") or {}).items():
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        scrapy[key] = scrapy.get(key, 0) + value
                    else:
                        scrapy.setdefault(key, value)
                errors += stats.get("errors") or []
            killed = [r for r in parts if r.status == "running"]
            keep.errors_count = sum(r.errors_count or 0 for r in parts)
            counts = {k.decode(): int(v) for k, v in conn.hgetall(f"{base}:{name}:counts").items()}
            summary.update({field: counts.get(field, 0) for field in SHARED_STATS.values()})
            keep.pages_fetched, keep.listings_new, keep.listings_changed = (
                summary["pages_fetched"], summary["listings_new"], summary["listings_changed"])
            keep.listings_seen = summary["listings_seen"] = conn.scard(f"{base}:{name}:seen-listings")
            if keep.status == "running":  # every part of this source was killed and none finished
                keep.status = "interrupted"
                keep.status_detail = "every crawl part of this source was killed"
            keep.started_at = min(r.started_at for r in parts)
            keep.finished_at = max((r.finished_at for r in parts if r.finished_at), default=utcnow())
            keep.stats = {"summary": {**summary, "status": keep.status}, "scrapy": scrapy, "errors": errors,
                          "parts": len(finished), "killed_parts": len(killed)}
            for row in parts:
                if row is not keep:
                    session.delete(row)
    for key in conn.scan_iter(match=f"saigawatch:crawl:{crawl_run_id}:*", count=500):
        conn.delete(key)


def classify_step(ctx) -> dict[str, Any]:
    """Enqueue the run's classification for a classify worker and wait for its result."""
    conn = connect(ctx.settings)
    job = _enqueue(conn, "classify", ctx.settings, "saigawatch.distributed.jobs.classify_run",
                   f"classify-{ctx.crawl_run_id}", ctx.crawl_run_id, ctx.run_day, ctx.now.isoformat(), ctx.operator)
    return wait_for(conn, [job], ctx.settings, "classify")[0]


def capture_step(ctx) -> dict[str, Any]:
    """Capture jobs of CAPTURE_CHUNK listings each (chosen as the single-machine step chooses them), awaited."""
    settings = ctx.settings
    stats, todo = plan_captures(ctx)
    if not todo:
        return stats
    conn = connect(settings)
    jobs = enqueue_captures(conn, ctx, todo)
    try:
        done = wait_for(conn, jobs, settings, "capture")
    except JobsFailed as exc:
        stats["errors"].append({"error": str(exc)})
        done = [j.return_value() for j in jobs if j.get_status(refresh=True) == JobStatus.FINISHED]
    return add_capture_results(stats, done)


def plan_captures(ctx) -> tuple[dict[str, Any], list[int]]:
    """The capture step's starting stats and the listings to capture (alerts.evidence.capture.capture_plan)."""
    from alerts.evidence.capture import capture_plan

    if not ctx.settings.evidence.enabled:
        return {"captured": 0, "skipped": "evidence.enabled is false"}, []
    todo, stats = capture_plan(ctx)
    return stats, todo


def enqueue_captures(conn: Redis, ctx, todo: list[int]) -> list[Job]:
    """One capture job per CAPTURE_CHUNK listings."""
    chunks = [todo[i:i + CAPTURE_CHUNK] for i in range(0, len(todo), CAPTURE_CHUNK)]
    return [_enqueue(conn, "capture", ctx.settings, "saigawatch.distributed.jobs.capture_listings",
                     f"capture-{ctx.crawl_run_id}-{chunk[0]}", ctx.crawl_run_id, chunk, ctx.operator)
            for chunk in chunks]


def add_capture_results(stats: dict[str, Any], done: list) -> dict[str, Any]:
    """Count the capture jobs' results (lists of per-listing results) into the capture step's stats."""
    for result in (r for chunk in done for r in (chunk or [])):
        if result.get("error"):
            stats["errors"].append({"listing_id": result["listing_id"], "error": result["error"]})
            continue
        if not result.get("capture_id"):
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
