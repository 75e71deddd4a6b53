"""`saigawatch health`: each source's recent crawl history and its health alerts."""
from __future__ import annotations

import json

import click

from crawler.health import health_table
from saigawatch.context import get_context


def register(app: click.Group) -> None:
    app.add_command(health)


def _fmt(value, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


@click.command("health")
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@click.option("--runs", type=click.IntRange(1, 365), default=7, show_default=True,
              help="How many recent runs to show per source.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON (with each source's history).")
@click.option("--no-fail", is_flag=True, help="Exit 0 even when a source has an alert (default: exit 1, for monitoring).")
def health(sources: tuple[str, ...], runs: int, as_json: bool, no_fail: bool) -> None:
    """Show crawl health per source: listings per run, errors, blocks, duration, and alerts."""
    ctx = get_context()
    store = ctx.store()
    with store.session() as session:
        table = health_table(session, ctx.settings, runs=runs, sources=list(sources) or None)
    if as_json:
        click.echo(json.dumps([row.to_dict() for row in table], ensure_ascii=False, indent=2))
    else:
        header = ("SOURCE", "PLATFORM", "LAST RUN (UTC)", "STATUS", "LISTINGS", "AVG", "SHARE", "ERRORS", "BLOCKS",
                  "SECONDS", "HISTORY (newest first)")
        rows = []
        for r in table:
            last = r.last
            rows.append((
                r.source, r.platform, last.started_at.strftime("%Y-%m-%d %H:%M") if last else "never",
                last.status if last else "-", _fmt(last.listings if last else None), _fmt(r.trailing_average, 1),
                f"{r.share:.0%}" if r.share is not None else "-", _fmt(last.errors if last else None), str(r.blocks),
                _fmt(last.duration_s, 0) if last else "-",
                " ".join("B" if p.status == "blocked" else "x" if p.status in ("error", "not_configured") else str(p.listings)
                         for p in r.history),
            ))
        widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
        click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
        for row in rows:
            click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        alerts = [a for r in table for a in r.alerts]
        click.echo("")
        if alerts:
            click.echo(f"{len(alerts)} alert(s):")
            for a in alerts:
                click.echo(f"  {a.source}: {a.kind}: {a.message}")
        elif table:
            click.echo("all sources healthy")
        else:
            click.echo("no sources configured and no crawl history yet")
    if not no_fail and any(r.alerts for r in table):
        raise click.exceptions.Exit(1)
