"""`saigawatch crawl`: crawl one, several or all enabled sources into a new CrawlRun."""
from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click

from saigawatch.context import UserError, get_context

log = logging.getLogger("saigawatch.crawl")


def register(app: click.Group) -> None:
    app.add_command(crawl_command)


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The crawl's result in plain words: totals, then one line per source."""
    lines = [
        f"pages fetched: {summary['pages_fetched']}",
        f"listings stored: {summary['listings_stored']} ({summary['listings_new']} new, "
        f"{summary['listings_changed']} changed, {summary['listings_unchanged']} unchanged)",
        f"listings seen again without refetching: {summary['listings_touched']}",
        f"listings removed: {summary['listings_removed']}",
        f"photos stored: {summary['images_stored']}",
        f"errors: {summary['errors']}",
    ]
    for name, src in summary["sources"].items():
        detail = f" ({src['status_detail']})" if src.get("status_detail") else ""
        lines.append(f"  {name}: {src['status']}{detail}, {src.get('pages_fetched', 0)} pages, "
                     f"{src.get('listings_new', 0)} new, {src.get('listings_changed', 0)} changed, "
                     f"{src.get('listings_removed', 0)} removed, {src.get('errors', 0)} errors")
    for alert in summary.get("alerts", []):
        lines.append(f"ALERT {alert}")
    if summary.get("process_error"):
        lines.append(f"error: {summary['process_error']}")
    return lines


def progress_printer(enabled: bool):
    """An on_event callback: a rich status line on a terminal, plain log lines otherwise."""
    if enabled and sys.stderr.isatty():
        from rich.console import Console

        console = Console(stderr=True)
        status = console.status("crawling…")
        status.start()
        counts: dict[str, int] = {}

        def on_event(event: dict[str, Any]) -> None:
            source = event.get("source", "")
            if event.get("event") == "progress":
                counts[source] = int(event.get("pages", 0))
            elif event.get("event") == "source_done":
                counts[source] = int(event.get("pages_fetched", 0))
                console.log(f"{source}: {event.get('status')}, {event.get('pages_fetched')} pages, "
                            f"{event.get('listings_new')} new, {event.get('listings_changed')} changed")
            status.update(f"crawling… {sum(counts.values())} pages ({', '.join(counts)})")

        on_event.stop = status.stop  # type: ignore[attr-defined]
        return on_event

    def on_log(event: dict[str, Any]) -> None:
        if event.get("event") == "source_start":
            log.info("crawling %s (%s)", event.get("source"), event.get("platform"))
        elif event.get("event") == "source_done":
            log.info("%s: %s, %s pages, %s new, %s changed, %s removed", event.get("source"), event.get("status"),
                     event.get("pages_fetched"), event.get("listings_new"), event.get("listings_changed"),
                     event.get("listings_removed"))

    on_log.stop = lambda: None  # type: ignore[attr-defined]
    return on_log


@click.command("crawl")
@click.option("--source", "sources", multiple=True, metavar="NAME",
              help="Crawl this configured source (repeatable; a disabled source runs when named).")
@click.option("--all", "all_sources", is_flag=True, help="Crawl every enabled source (the default without --source).")
@click.option("--json", "as_json", is_flag=True, help="Print the crawl summary as JSON.")
def crawl_command(sources: tuple[str, ...], all_sources: bool, as_json: bool) -> None:
    """Crawl sources now: fetch search pages and new or changed ads, store them, print what was fetched."""
    from sqlalchemy import select

    from crawler.errors import CrawlConfigError
    from crawler.registry import select_sources
    from crawler.run import run_crawl
    from saigawatch.runlock import RunLocked, run_lock
    from store.models import CrawlRun, utcnow

    if sources and all_sources:
        raise UserError("use either --source NAME (repeatable) or --all, not both")
    ctx = get_context()
    settings = ctx.settings
    try:
        selected = select_sources(settings, list(sources) or None)
    except CrawlConfigError as exc:
        raise UserError(str(exc)) from None
    if not selected:
        raise UserError("no enabled source in the configuration: add one under 'sources:' or name one with --source")
    store = ctx.store()
    progress = progress_printer(not as_json)
    try:
        with run_lock(settings.schedule.lock_file):
            now = utcnow()
            with store.session() as session:
                for stale in session.scalars(select(CrawlRun).where(CrawlRun.status == "running")):
                    stale.status = "interrupted"
                    stale.finished_at = stale.finished_at or now
                run = CrawlRun(started_at=now, status="running", trigger="manual", run_day=now.date().isoformat(),
                               stats={}, errors=[])
                session.add(run)
                session.flush()
                run_id = run.id
            try:
                summary = run_crawl(settings, store, run_id, [s.name for s in selected], on_event=progress,
                                    verbose=ctx.verbose)
            except CrawlConfigError as exc:
                raise UserError(str(exc)) from None
            finally:
                progress.stop()
                with store.session() as session:
                    run = session.get(CrawlRun, run_id)
                    if run.status == "running":
                        run.status = "failed"
                        run.finished_at = utcnow()
            with store.session() as session:
                run = session.get(CrawlRun, run_id)
                run.finished_at = utcnow()
                run.status = "failed" if summary.get("process_error") else "finished"
    except RunLocked as exc:
        raise UserError(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"crawl_run_id": run_id, **summary}, ensure_ascii=False, default=str, indent=2))
    else:
        click.echo(f"crawl run {run_id} finished")
        for line in summary_lines(summary):
            click.echo(line)
    if summary.get("process_error"):
        raise click.exceptions.Exit(1)
