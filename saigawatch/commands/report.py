"""`saigawatch report`: the period summary NGOs put in their national reports, as HTML, PDF or CSV."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from alerts.reports import FORMATS, ReportError, build_report, render_report
from saigawatch.context import UserError, get_context


def register(app: click.Group) -> None:
    app.add_command(report)


def _date(ctx, param, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; expected YYYY-MM-DD") from None


@click.command("report")
@click.option("--from", "date_from", required=True, callback=_date, help="First day of the period (YYYY-MM-DD, UTC).")
@click.option("--to", "date_to", required=True, callback=_date, help="Last day of the period, inclusive (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True, help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write ('-' for standard output). Default: saigawatch-report-FROM_TO.FORMAT here.")
@click.option("--language", type=click.Choice(["ru", "en"]), default=None,
              help="Report language (default: reports.language).")
def report(date_from: dt.date, date_to: dt.date, fmt: str, output: Path | None, language: str | None) -> None:
    """Listings detected, flagged and confirmed by platform, country, language and month; sell vs buy;
    normalised prices; repeat sellers; appeals and outcomes. Charts are drawn offline with matplotlib."""
    if date_to < date_from:
        raise UserError(f"--to {date_to} is before --from {date_from}")
    ctx = get_context()
    store = ctx.store()
    try:
        with store.session() as session:
            data = build_report(session, ctx.settings, date_from, date_to)
        blob = render_report(data, fmt, language or ctx.settings.reports.language)
    except ReportError as exc:
        raise UserError(str(exc)) from None
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(blob)
        sys.stdout.buffer.flush()
        return
    path = output or Path(f"saigawatch-report-{date_from}_{date_to}.{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_bytes(blob)
    tmp.replace(path)
    t = data.totals
    click.echo(f"report {data.period}: {t['detected']} detected, {t['flagged']} flagged, {t['confirmed']} confirmed, "
               f"{len(data.appeals)} appeal(s) → {path} ({len(blob) / 1000:.0f} kB)")
