"""The daily pipeline: crawl → group into cases → classify → capture evidence → re-check liveness → health → notify."""
from __future__ import annotations

import datetime as dt
import importlib
import logging
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import select

from config import Settings
from store import Store
from store.models import CrawlRun, utcnow
from store.work import recover_captures

log = logging.getLogger("saigawatch.pipeline")

# (name, "module:function"); the order is the data flow. Each step returns a dict of stats.
STEPS: list[tuple[str, str]] = [
    ("crawl", "crawler.run:crawl_step"),
    ("group", "store.cases:group_step"),
    ("classify", "alerts.review.flagging:classify_step"),
    ("capture", "alerts.evidence.capture:capture_step"),
    ("liveness", "alerts.evidence.liveness:liveness_step"),
    ("health", "crawler.health:health_step"),
    ("notify", "alerts.notify:notify_step"),
]
# distributed.enabled: these steps hand their work to the workers over Redis and wait for it.
DISTRIBUTED_STEPS: dict[str, str] = {
    "crawl": "saigawatch.distributed.steps:crawl_step",
    "classify": "saigawatch.distributed.steps:classify_step",
    "capture": "saigawatch.distributed.steps:capture_step",
}


@dataclass
class PipelineContext:
    """What every step gets: settings, store, the run it belongs to and earlier steps' results."""

    settings: Settings
    store: Store
    crawl_run_id: int
    run_day: str
    now: dt.datetime
    sources: list[str] | None = None  # None: every enabled source
    operator: str = "saigawatch"
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class PipelineReport:
    crawl_run_id: int
    results: dict[str, dict[str, Any]]
    failed_steps: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.failed_steps


def load_step(path: str) -> Callable[[PipelineContext], dict[str, Any]]:
    module_name, func_name = path.split(":")
    return getattr(importlib.import_module(module_name), func_name)


def _close_interrupted_runs(store: Store, now: dt.datetime) -> int:
    """Runs left 'running' by a killed process (the caller holds the run lock, so none is live)."""
    with store.session() as session:
        stale = session.scalars(select(CrawlRun).where(CrawlRun.status == "running")).all()
        for run in stale:
            run.status = "interrupted"
            run.finished_at = run.finished_at or now
            run.errors = [*(run.errors or []), {"step": "pipeline", "error": "run was interrupted before it finished"}]
        return len(stale)


def run_daily(settings: Settings, store: Store, *, sources: list[str] | None = None, operator: str = "saigawatch",
              steps: list[str] | None = None, trigger: str = "daily", now: dt.datetime | None = None,
              on_step: Callable[[str, dict[str, Any]], None] | None = None) -> PipelineReport:
    """Run the pipeline once. Safe to repeat on the same day: every step only acts on what is new.

    A failing step is logged and recorded in the CrawlRun's errors; the following steps still run.
    """
    started = time.monotonic()
    ctx = begin_run(settings, store, sources=sources, operator=operator, trigger=trigger, now=now)
    failed: list[str] = []
    errors: list[dict[str, Any]] = []
    for name, path in STEPS:
        if steps is not None and name not in steps:
            continue
        if settings.distributed.enabled:
            path = DISTRIBUTED_STEPS.get(name, path)
        error = run_step(ctx, name, path)
        if error:
            failed.append(name)
            errors.append(error)
        if on_step:
            on_step(name, ctx.results[name])
    finish_run(store, ctx.crawl_run_id, ctx.results, failed, errors)
    return PipelineReport(ctx.crawl_run_id, ctx.results, failed, time.monotonic() - started)


def begin_run(settings: Settings, store: Store, *, sources: list[str] | None = None, operator: str = "saigawatch",
              trigger: str = "daily", now: dt.datetime | None = None) -> PipelineContext:
    """Close runs a killed process left 'running', open a new CrawlRun, and return its context."""
    now = now or utcnow()
    interrupted = _close_interrupted_runs(store, now)
    if interrupted:
        log.warning("marked %d earlier run(s) as interrupted", interrupted)
    with store.session() as session:
        recaptured = recover_captures(session, settings.storage.data_path)
    if recaptured:
        log.warning("removed %d incomplete evidence capture(s) left by a killed process; they are captured again",
                    len(recaptured))
    with store.session() as session:
        run = CrawlRun(started_at=now, status="running", trigger=trigger, run_day=now.date().isoformat(), stats={}, errors=[])
        session.add(run)
        session.flush()
        run_id = run.id
    return PipelineContext(settings=settings, store=store, crawl_run_id=run_id, run_day=now.date().isoformat(),
                           now=now, sources=sources, operator=operator)


def run_step(ctx: PipelineContext, name: str, path: str) -> dict[str, Any] | None:
    """Run one step into ctx.results[name]; the error entry when it failed (the next steps still run)."""
    t0 = time.monotonic()
    log.info("step %s: starting", name)
    error = None
    try:
        result = load_step(path)(ctx) or {}
    except Exception as exc:  # noqa: BLE001 - one failed step must not stop the others
        log.error("step %s failed: %s", name, exc)
        log.debug("%s", traceback.format_exc())
        error = {"step": name, "error": f"{type(exc).__name__}: {exc}"}
        result = {"error": f"{type(exc).__name__}: {exc}"}
    result.setdefault("seconds", round(time.monotonic() - t0, 3))
    ctx.results[name] = result
    log.info("step %s: done in %.1fs", name, result["seconds"])
    return error


def finish_run(store: Store, run_id: int, results: dict[str, dict[str, Any]], failed: list[str],
               errors: list[dict[str, Any]]) -> None:
    """Close the CrawlRun: finished or failed, its errors and every step's results (the run summary)."""
    with store.session() as session:
        run = session.get(CrawlRun, run_id)
        run.finished_at = utcnow()
        run.status = "failed" if failed else "finished"
        run.errors = [*(run.errors or []), *errors]
        pipeline_stats = {k: _jsonable(v) for k, v in results.items()}
        run.stats = {**(run.stats or {}), "pipeline": pipeline_stats}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)
