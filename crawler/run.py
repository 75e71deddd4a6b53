"""Run the crawl of the configured sources: the `crawl` command and the pipeline's crawl step (parent side).

Scrapy's reactor can run once per process, so every crawl runs in a child process
(`python -m crawler.child`, job as JSON on stdin, progress events as JSON lines on stdout). The child dies
with its parent, writes every item in its own transaction and every response to WARC as it goes, so a
crawl killed half-way keeps all it stored; the next crawl skips what is stored and unchanged.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from config import Settings
from config.schema import SourceSettings
from crawler.errors import CrawlConfigError
from crawler.registry import select_sources, source_problems
from store import Store
from store.models import CrawlRun, SourceRun, utcnow

log = logging.getLogger("saigawatch.crawler")


def _record_unusable(store: Store, crawl_run_id: int, sources: list[SourceSettings], problems: dict[str, str]) -> None:
    """A source that cannot run gets an 'error' SourceRun saying why; the other sources still run."""
    now = utcnow()
    with store.session() as session:
        for source in sources:
            if source.name in problems:
                log.error("source %s cannot be crawled: %s", source.name, problems[source.name])
                session.add(SourceRun(crawl_run_id=crawl_run_id, source_name=source.name, platform=source.platform,
                                      started_at=now, finished_at=now, status="error",
                                      status_detail=problems[source.name], errors_count=1,
                                      stats={"errors": [{"type": "config", "message": problems[source.name]}]}))


def _mark_interrupted(store: Store, crawl_run_id: int, now: dt.datetime) -> None:
    """SourceRuns left 'running' by a killed earlier crawl are closed as 'interrupted'."""
    with store.session() as session:
        stale = session.scalars(select(SourceRun).where(SourceRun.status == "running",
                                                        SourceRun.crawl_run_id != crawl_run_id)).all()
        for row in stale:
            row.status = "interrupted"
            row.finished_at = row.finished_at or now
            row.status_detail = row.status_detail or "the crawl process ended before this source finished"


def run_crawl(settings: Settings, store: Store, crawl_run_id: int, sources: list[str] | None = None,
              now: dt.datetime | None = None, on_event: Callable[[dict[str, Any]], None] | None = None,
              verbose: bool = False, scrapy_settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Crawl the sources in a child process and return the summary read back from the store."""
    selected = select_sources(settings, sources)
    problems = source_problems(selected)
    if problems and sources and len(problems) == len(selected):
        raise CrawlConfigError("; ".join(problems.values()))
    _mark_interrupted(store, crawl_run_id, utcnow())
    _record_unusable(store, crawl_run_id, selected, problems)
    names = [s.name for s in selected]
    selected = [s for s in selected if s.name not in problems]
    if not selected:
        return summarise(store, crawl_run_id, names)
    # scrapy_settings: added to every source's (a distributed crawl part: crawler.distributed)
    rc = run_child(child_job(settings, store, selected, crawl_run_id, now, verbose=verbose,
                             scrapy_settings=scrapy_settings or {}), on_event)
    summary = summarise(store, crawl_run_id, names)
    if rc != 0:
        summary["process_error"] = f"crawl process exited with status {rc}"
        summary["errors"] += 1
    return summary


def child_job(settings: Settings, store: Store, sources: list[SourceSettings], crawl_run_id: int | None,
              now: dt.datetime | None, **extra: Any) -> dict[str, Any]:
    """The job (JSON) a crawl child process runs: where to store, the crawl settings, the sources, the clock."""
    return {
        "database_url": store.url,
        "data_dir": str(settings.storage.data_path.resolve()),
        "warc_max_bytes": settings.storage.warc_max_bytes,
        "crawl_run_id": crawl_run_id,
        "crawl": settings.crawl.model_dump(mode="json"),
        "sources": [s.model_dump(mode="json") for s in sources],
        "now": now.isoformat() if now else None,
        "verbose": False,
        **extra,
    }


def run_child(job: dict[str, Any], on_event: Callable[[dict[str, Any]], None] | None = None) -> int:
    """Run `python -m crawler.child` on `job`, passing its progress events to on_event; its exit status."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.Popen([sys.executable, "-m", "crawler.child"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=env, cwd=os.getcwd())
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(job).encode("utf-8"))
    proc.stdin.close()
    try:
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if on_event:
                on_event(event)
        return proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise


def summarise(store: Store, crawl_run_id: int, source_names: list[str]) -> dict[str, Any]:
    """Per-source and total figures of one crawl run (what crawl_step returns and notifications read)."""
    totals = {"pages_fetched": 0, "listings_seen": 0, "listings_new": 0, "listings_changed": 0,
              "listings_unchanged": 0, "listings_touched": 0, "listings_removed": 0, "images_stored": 0, "errors": 0}
    per_source: dict[str, Any] = {}
    blocked, not_configured, failed = [], [], []
    with store.session() as session:
        run = session.get(CrawlRun, crawl_run_id)
        rows = session.scalars(select(SourceRun).where(SourceRun.crawl_run_id == crawl_run_id)
                               .order_by(SourceRun.id)).all()
        for row in rows:
            summary = dict((row.stats or {}).get("summary") or {})
            summary.update(status=row.status, status_detail=row.status_detail, pages_fetched=row.pages_fetched,
                           listings_new=row.listings_new, listings_changed=row.listings_changed)
            summary.setdefault("errors", row.errors_count)
            for key in totals:
                totals[key] += int(summary.get(key) or 0)
            if row.source_name in per_source:  # several crawl parts (distributed mode) ran this source
                summary = merge_part_summaries(per_source[row.source_name], summary)
            per_source[row.source_name] = summary
            if row.status == "blocked":
                blocked.append(row.source_name)
            elif row.status == "not_configured":
                not_configured.append(row.source_name)
            elif row.status in ("error", "interrupted", "running"):
                failed.append(row.source_name)
        missing = [n for n in source_names if n not in per_source]
        alerts = [f"source {n} blocked: {per_source[n].get('status_detail')}" for n in blocked]
        if run is not None:
            run.stats = {**(run.stats or {}), "crawl_totals": totals}
    return {**totals, "listings_stored": totals["listings_new"] + totals["listings_changed"]
            + totals["listings_unchanged"], "sources": per_source, "blocked_sources": blocked,
            "not_configured_sources": not_configured, "failed_sources": failed + missing, "alerts": alerts}


_STATUS_RANK = {"ok": 0, "interrupted": 1, "error": 2, "not_configured": 3, "blocked": 4}


def merge_part_summaries(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """One source's summary from two crawl parts: numbers added, the worse status kept."""
    out = dict(a)
    for key, value in b.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(a.get(key), (int, float)):
            out[key] = a[key] + value
        elif key not in out or out[key] in (None, "", {}):
            out[key] = value
    if _STATUS_RANK.get(b.get("status"), 1) > _STATUS_RANK.get(a.get("status"), 1):
        out["status"], out["status_detail"] = b.get("status"), b.get("status_detail")
    return out


def crawl_step(ctx) -> dict[str, Any]:
    """Pipeline step: crawl ctx.sources (or every enabled source) into ctx.crawl_run_id."""
    def progress(event: dict[str, Any]) -> None:
        if event.get("event") == "source_done":
            log.info("crawl %s: %s, %s pages, %s new, %s changed", event.get("source"), event.get("status"),
                     event.get("pages_fetched"), event.get("listings_new"), event.get("listings_changed"))
    return run_crawl(ctx.settings, ctx.store, ctx.crawl_run_id, ctx.sources, now=ctx.now, on_event=progress)
