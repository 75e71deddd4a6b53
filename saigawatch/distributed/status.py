"""What `saigawatch workers` shows and does: live workers, queue lengths, failed jobs; retry or drop them."""
from __future__ import annotations

from typing import Any

from redis import Redis
from rq import Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry

from saigawatch.distributed.queues import PREFIX, ROLES, queue


def live_workers(conn: Redis) -> list[dict[str, Any]]:
    """Workers with a live heartbeat (a dead one drops out when its key expires)."""
    out = []
    for worker in Worker.all(connection=conn):
        roles = [q.name.removeprefix(f"{PREFIX}-") for q in worker.queues if q.name.startswith(f"{PREFIX}-")]
        if not roles:
            continue
        job = worker.get_current_job_id()
        out.append({"name": worker.name, "host": worker.hostname, "pid": worker.pid, "roles": roles,
                    "state": worker.get_state(), "job": job,
                    "last_heartbeat": worker.last_heartbeat.isoformat() if worker.last_heartbeat else None})
    return sorted(out, key=lambda w: (w["roles"], w["host"] or "", w["pid"] or 0))


def queue_lengths(conn: Redis) -> dict[str, dict[str, int]]:
    out = {}
    for role in ROLES:
        q = queue(conn, role)
        out[role] = {"queued": len(q), "running": StartedJobRegistry(queue=q).count,
                     "failed": FailedJobRegistry(queue=q).count}
    return out


def failed_jobs(conn: Redis) -> list[dict[str, Any]]:
    out = []
    for role in ROLES:
        registry = FailedJobRegistry(queue=queue(conn, role))
        for job in Job.fetch_many(registry.get_job_ids(), connection=conn):
            if job is None:
                continue
            result = job.latest_result()
            error = (result.exc_string or "").strip().splitlines()[-1:] if result else []
            out.append({"id": job.id, "role": role, "function": job.func_name,
                        "ended_at": job.ended_at.isoformat() if job.ended_at else None,
                        "error": error[0] if error else ""})
    return out


def _failed(conn: Redis, job_ids: list[str] | None) -> list[tuple[FailedJobRegistry, str]]:
    """(registry, job id) for the named failed jobs, or all of them; unknown ids are a clear error."""
    found = []
    for role in ROLES:
        registry = FailedJobRegistry(queue=queue(conn, role))
        found += [(registry, jid) for jid in registry.get_job_ids()]
    if job_ids is None:
        return found
    known = {jid for _, jid in found}
    missing = [jid for jid in job_ids if jid not in known]
    if missing:
        raise KeyError(f"no failed job {', '.join(missing)}; failed jobs: {', '.join(sorted(known)) or 'none'}")
    return [(r, jid) for r, jid in found if jid in job_ids]


def retry_failed(conn: Redis, job_ids: list[str] | None = None) -> list[str]:
    """Put failed jobs back on their queue (all when job_ids is None)."""
    done = []
    for registry, jid in _failed(conn, job_ids):
        registry.requeue(jid)
        done.append(jid)
    return done


def drop_failed(conn: Redis, job_ids: list[str] | None = None) -> list[str]:
    """Delete failed jobs for good (all when job_ids is None)."""
    done = []
    for registry, jid in _failed(conn, job_ids):
        registry.remove(jid, delete_job=True)
        done.append(jid)
    return done


def run_progress(conn: Redis, store) -> dict[str, Any] | None:
    """The run holding the distributed run lock (or else the newest run): its status and the steps done so far."""
    from sqlalchemy import select

    from saigawatch.distributed.runlock import holder
    from store.models import CrawlRun

    held = holder(conn)
    with store.session() as session:
        if held.get("crawl_run_id") is not None:
            run = session.get(CrawlRun, held["crawl_run_id"])
        else:
            run = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).first()
        if held and held.get("crawl_run_id") is None:  # a waiting run-daily has not opened its run yet, or waits
            lock = f"run-daily pid {held.get('pid', '?')} on {held.get('host', '?')} since {held.get('since', '?')}"
        else:
            lock = f"run {held['crawl_run_id']} (finished by the workers) since {held.get('since', '?')}" if held else ""
        if run is None:
            return {"lock": lock} if lock else None
        stats = run.stats or {}
        plan = stats.get("detached") or {}
        return {"crawl_run_id": run.id, "status": run.status, "started_at": run.started_at.isoformat(timespec="seconds"),
                "finished_at": run.finished_at.isoformat(timespec="seconds") if run.finished_at else None,
                "steps": plan.get("steps") or [], "done": list(stats.get("pipeline") or {}),
                "failed": plan.get("failed") or [e.get("step") for e in run.errors or [] if isinstance(e, dict)],
                "lock": lock}
