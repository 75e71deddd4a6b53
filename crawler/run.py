"""Run the crawl of the configured sources: the `crawl` command and the pipeline's crawl step.

Scrapy's reactor can run once per process, so every crawl runs in a child process
(`python -m crawler.run`, job as JSON on stdin, progress events as JSON lines on stdout). The child dies
with its parent, writes every item in its own transaction and every response to WARC as it goes, so a
crawl killed half-way keeps all it stored; the next crawl skips what is stored and unchanged.
Sources on the same domain run one after the other (politeness); different domains run in parallel.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import inspect
import json
import logging
import os
import pkgutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from config import Settings
from config.schema import CrawlSettings, SourceSettings
from crawler.errors import CrawlConfigError  # noqa: F401  (re-exported: callers catch it from here)
from crawler import runtime
from crawler.settings import base_settings, source_settings
from store import Store
from store.models import CrawlRun, SourceRun, utcnow

log = logging.getLogger("saigawatch.crawler")


# --------------------------------------------------------------------------- spiders

def spider_registry() -> dict[str, type]:
    """Spider name → class, from every module in crawler/spiders (a broken module is logged and skipped)."""
    import crawler.spiders as package
    from crawler.spiders.base import SaigaSpider

    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.name == "base":
            continue
        try:
            module = importlib.import_module(f"{package.__name__}.{info.name}")
        except Exception:  # noqa: BLE001 - one broken platform must not stop the others
            log.exception("spider module %s failed to import", info.name)
            continue
        for obj in vars(module).values():
            if (inspect.isclass(obj) and issubclass(obj, SaigaSpider) and obj.__module__ == module.__name__
                    and obj.name):
                found[obj.name] = obj
    return found


def spider_for(source: SourceSettings, registry: dict[str, type] | None = None) -> type:
    """The spider class of a source: `<platform>_<site>` when the source names a site, else `<platform>`."""
    registry = registry if registry is not None else spider_registry()
    names = [f"{source.platform}_{source.site}"] if source.site else []
    names.append(source.platform)
    for name in names:
        if name in registry:
            return registry[name]
    raise CrawlConfigError(
        f"source {source.name!r}: no spider for platform {source.platform!r}"
        + (f" site {source.site!r}" if source.site else "")
        + f" (looked for {', '.join(names)}; available: {', '.join(sorted(registry)) or 'none'})")


def select_sources(settings: Settings, names: list[str] | None) -> list[SourceSettings]:
    """Named sources (even if disabled), or every enabled source."""
    if not names:
        return [s for s in settings.sources if s.enabled]
    out = []
    for name in names:
        try:
            out.append(settings.source(name))
        except KeyError:
            known = ", ".join(s.name for s in settings.sources) or "none"
            raise CrawlConfigError(f"unknown source {name!r}; configured sources: {known}") from None
    return out


def validate_sources(sources: list[SourceSettings]) -> None:
    """Raise CrawlConfigError (naming source and key) for the first source that cannot be crawled."""
    problems = source_problems(sources)
    if problems:
        raise CrawlConfigError(next(iter(problems.values())))


def source_problems(sources: list[SourceSettings]) -> dict[str, str]:
    """Source name → why it cannot be crawled (no spider for its platform, invalid options); empty when all can."""
    registry = spider_registry()
    problems: dict[str, str] = {}
    for source in sources:
        try:
            cls = spider_for(source, registry)
            check = getattr(cls, "validate_source", None)
            if check is not None:
                check(source)  # raises CrawlConfigError naming the source and key
        except CrawlConfigError as exc:
            problems[source.name] = str(exc)
    return problems


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


def domain_of(source: SourceSettings, cls: type) -> str:
    url = source.base_url or getattr(cls, "default_base_url", "") or source.name
    return urlsplit(url).netloc or url


# --------------------------------------------------------------------------- parent side

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
    """Crawl the sources in a child process and return the summary read back from the store.

    `scrapy_settings` are added to every source's (a distributed crawl part: crawler.distributed).
    """
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
    job = {
        "database_url": store.url,
        "data_dir": str(settings.storage.data_path.resolve()),
        "warc_max_bytes": settings.storage.warc_max_bytes,
        "crawl_run_id": crawl_run_id,
        "crawl": settings.crawl.model_dump(mode="json"),
        "sources": [s.model_dump(mode="json") for s in selected],
        "now": now.isoformat() if now else None,
        "verbose": verbose,
        "scrapy_settings": scrapy_settings or {},
    }
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.Popen([sys.executable, "-m", "crawler.run"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
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
        rc = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    summary = summarise(store, crawl_run_id, names)
    if rc != 0:
        summary["process_error"] = f"crawl process exited with status {rc}"
        summary["errors"] += 1
    return summary


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


# --------------------------------------------------------------------------- child side

def _die_with_parent() -> None:
    """Linux: get SIGKILL when the parent dies, so a killed `saigawatch crawl` leaves no orphan crawler."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            os._exit(1)
    except (OSError, AttributeError):
        pass


def _drop_library_chatter(record: logging.LogRecord) -> bool:
    """Scrapy re-enables its INFO/DEBUG loggers per crawler; keep only its warnings in the crawl log."""
    return record.levelno >= logging.WARNING or not record.name.startswith(("scrapy", "twisted", "py.warnings"))


def _quiet_scrapy(verbose: bool) -> None:
    for noisy in ("scrapy", "twisted", "asyncio", "filelock", "PIL", "py.warnings"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def crawl_sources(crawl: CrawlSettings, sources: list[SourceSettings], rt: runtime.CrawlRuntime | None,
                  extra_settings: dict[str, Any] | None = None) -> None:
    """Run the spiders of `sources` in this process (blocks; Scrapy allows this once per process)."""
    from scrapy.crawler import AsyncCrawlerProcess, Crawler

    from crawler.known import KnownListings

    runtime.install(rt)
    registry = spider_registry()
    groups: dict[str, list[SourceSettings]] = {}
    for source in sources:
        groups.setdefault(domain_of(source, spider_for(source, registry)), []).append(source)
    verbose = logging.getLogger().isEnabledFor(logging.DEBUG)
    _quiet_scrapy(verbose)
    process = AsyncCrawlerProcess(base_settings())
    _quiet_scrapy(verbose)

    async def run_group(group: list[SourceSettings]) -> None:
        for source in group:
            cls = spider_for(source, registry)
            known = KnownListings()
            if rt is not None and rt.store is not None:
                with rt.store.session() as session:
                    known = KnownListings.load(session, cls.platform)
            scrapy_settings = source_settings(crawl, source)
            for key, value in (extra_settings or {}).items():  # dict settings (EXTENSIONS, …) are merged
                base = scrapy_settings.get(key)
                scrapy_settings[key] = {**base, **value} if isinstance(base, dict) and isinstance(value, dict) else value
            crawler = Crawler(cls, scrapy_settings)
            try:
                await process.crawl(crawler, source=source, known=known)
            except Exception:  # noqa: BLE001 - one failed source must not stop the others
                log.exception("source %s failed", source.name)

    async def main() -> None:
        from twisted.internet import reactor

        try:
            await asyncio.gather(*(run_group(g) for g in groups.values()))
        finally:
            reactor.callLater(0, reactor.stop)

    from twisted.internet import reactor

    reactor.callWhenRunning(lambda: asyncio.ensure_future(main()))
    process.start(stop_after_crawl=False, install_signal_handlers=True)


def child_main() -> int:
    """`python -m crawler.run`: read the job from stdin, crawl, print progress events on stdout."""
    _die_with_parent()
    job = json.loads(sys.stdin.read())
    logging.basicConfig(level=logging.DEBUG if job.get("verbose") else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    _quiet_scrapy(bool(job.get("verbose")))
    if not job.get("verbose"):
        for handler in logging.getLogger().handlers:
            handler.addFilter(_drop_library_chatter)
    crawl = CrawlSettings(**job["crawl"])
    sources = [SourceSettings(**s) for s in job["sources"]]
    clock = runtime.RunClock(start=dt.datetime.fromisoformat(job["now"])) if job.get("now") else runtime.RunClock()

    def emit(event: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()

    rt = runtime.CrawlRuntime(database_url=job["database_url"], data_dir=Path(job["data_dir"]),
                              crawl_run_id=job["crawl_run_id"], clock=clock, warc_max_bytes=job["warc_max_bytes"],
                              on_event=emit)
    try:
        crawl_sources(crawl, sources, rt, job.get("scrapy_settings"))
    finally:
        rt.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(child_main())
