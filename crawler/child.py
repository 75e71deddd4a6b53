"""The Scrapy child process of a crawl (`python -m crawler.child`): reads the job, runs the spiders, prints events.

Sources on the same domain run one after the other (politeness); different domains run in parallel.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any

from config.schema import CrawlSettings, SourceSettings
from crawler import runtime
from crawler.registry import domain_of, spider_for, spider_registry
from crawler.settings import base_settings, source_settings, with_extra
from store.work import die_with_parent

log = logging.getLogger("saigawatch.crawler")


def _drop_library_chatter(record: logging.LogRecord) -> bool:
    """Scrapy re-enables its INFO/DEBUG loggers per crawler; keep only its warnings in the crawl log."""
    return record.levelno >= logging.WARNING or not record.name.startswith(("scrapy", "twisted", "py.warnings"))


def _quiet_scrapy(verbose: bool) -> None:
    for noisy in ("scrapy", "twisted", "asyncio", "filelock", "PIL", "py.warnings"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def crawl_sources(crawl: CrawlSettings, sources: list[SourceSettings], rt: runtime.CrawlRuntime | None,
                  extra_settings: dict[str, Any] | None = None,
                  rechecks: dict[str, dict[str, int]] | None = None) -> None:
    """Run the spiders of `sources` in this process (blocks; Scrapy allows this once per process). With
    `rechecks` (source name → {platform id: listing id}) each spider only re-checks those listings."""
    from scrapy.crawler import AsyncCrawlerProcess, Crawler

    from crawler.known import KnownListings

    registry = spider_registry()
    groups: dict[str, list[SourceSettings]] = {}
    for source in sources:
        groups.setdefault(domain_of(source, spider_for(source, registry)), []).append(source)
    verbose = logging.getLogger().isEnabledFor(logging.DEBUG)
    _quiet_scrapy(verbose)
    # Scrapy merges the process's settings over each crawler's (equal priority, process wins): the extra
    # components (a distributed part's extensions and middlewares) must be in both, or they silently vanish.
    process = AsyncCrawlerProcess(with_extra(base_settings(), extra_settings))
    _quiet_scrapy(verbose)

    async def run_group(group: list[SourceSettings]) -> None:
        for source in group:
            cls = spider_for(source, registry)
            known = KnownListings()
            if rt is not None and rt.store is not None:
                with rt.store.session() as session:
                    known = KnownListings.load(session, cls.listing_platform(source))
            scrapy_settings = with_extra(source_settings(crawl, source), extra_settings)
            minimum = float(scrapy_settings.pop("SAIGAWATCH_MIN_DELAY", 0) or 0)  # e.g. evidence.liveness_delay_s
            if minimum > float(scrapy_settings.get("DOWNLOAD_DELAY") or 0):
                scrapy_settings["DOWNLOAD_DELAY"] = minimum
            scrapy_settings[runtime.RUNTIME_SETTING] = rt
            crawler = Crawler(cls, scrapy_settings)
            only = {"recheck": rechecks.get(source.name, {})} if rechecks is not None else {}
            try:
                await process.crawl(crawler, source=source, known=known, **only)
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
    """`python -m crawler.child`: read the job from stdin, crawl, print progress events on stdout."""
    die_with_parent()
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
        crawl_sources(crawl, sources, rt, job.get("scrapy_settings"), job.get("rechecks"))
    finally:
        rt.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(child_main())
