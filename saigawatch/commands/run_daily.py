"""`saigawatch run-daily`: the whole daily cycle under a lock, safe to repeat on the same day."""
from __future__ import annotations

import getpass
import json

import click

from saigawatch.context import UserError, get_context
from saigawatch.logs import setup_file_logging
from saigawatch.pipeline import STEPS, run_daily
from saigawatch.runlock import RunLocked, run_lock


def register(app: click.Group) -> None:
    app.add_command(run_daily_command)


def _summary(name: str, result: dict) -> str:
    keys = [k for k, v in result.items() if isinstance(v, (int, float, str)) and k != "seconds"][:6]
    parts = ", ".join(f"{k}={result[k]}" for k in keys)
    return f"{name}: {parts}" if parts else name


@click.command("run-daily")
@click.option("--source", "sources", multiple=True, help="Only this source (repeatable); default: every enabled source.")
@click.option("--step", "steps", multiple=True, type=click.Choice([n for n, _ in STEPS]),
              help="Only this step (repeatable); default: all steps in order.")
@click.option("--operator", default=None, help="Name recorded as the operator in captures and custody logs.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's results as JSON.")
def run_daily_command(sources: tuple[str, ...], steps: tuple[str, ...], operator: str | None, as_json: bool) -> None:
    """Crawl all enabled sources, classify new or changed listings, flag, capture evidence and notify."""
    ctx = get_context()
    settings = ctx.settings
    for name in sources:
        try:
            settings.source(name)
        except KeyError:
            raise UserError(f"unknown source {name!r}; configured: {', '.join(s.name for s in settings.sources)}") from None
    setup_file_logging(settings)
    store = ctx.store()
    try:
        with run_lock(settings.schedule.lock_file):
            report = run_daily(
                settings, store, sources=list(sources) or None, steps=list(steps) or None,
                operator=operator or getpass.getuser(),
                on_step=None if as_json else lambda n, r: click.echo(_summary(n, r)),
            )
    except RunLocked as exc:
        raise UserError(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"crawl_run_id": report.crawl_run_id, "failed_steps": report.failed_steps,
                               "results": report.results}, ensure_ascii=False, default=str, indent=2))
    else:
        status = "finished" if report.ok else f"finished with failed steps: {', '.join(report.failed_steps)}"
        click.echo(f"run {report.crawl_run_id} {status} in {report.seconds:.1f}s")
    if not report.ok:
        raise click.exceptions.Exit(1)
