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
@click.option("--wait/--no-wait", default=None,
              help="Distributed mode: wait for the workers to finish the run, or return at once and let them "
                   "finish it (default: distributed.wait).")
def run_daily_command(sources: tuple[str, ...], steps: tuple[str, ...], operator: str | None, as_json: bool,
                      wait: bool | None) -> None:
    """Crawl all enabled sources, classify new or changed listings, flag, capture evidence and notify."""
    ctx = get_context()
    settings = ctx.settings
    for name in sources:
        try:
            settings.source(name)
        except KeyError:
            raise UserError(f"unknown source {name!r}; configured: {', '.join(s.name for s in settings.sources)}") from None
    if wait is False and not settings.distributed.enabled:
        raise UserError("--no-wait needs distributed mode (distributed.enabled in the config): on one machine "
                        "run-daily does the work itself")
    setup_file_logging(settings)
    store = ctx.store()
    operator = operator or getpass.getuser()
    try:
        with run_lock(settings.schedule.lock_file):
            if not settings.distributed.enabled:
                report = run_daily(settings, store, sources=list(sources) or None, steps=list(steps) or None,
                                   operator=operator,
                                   on_step=None if as_json else lambda n, r: click.echo(_summary(n, r)))
            else:
                report = _distributed(settings, store, list(sources) or None, list(steps) or None, operator,
                                      settings.distributed.wait if wait is None else wait, as_json)
    except RunLocked as exc:
        raise UserError(str(exc)) from None
    if report is None:
        return
    if as_json:
        click.echo(json.dumps({"crawl_run_id": report.crawl_run_id, "failed_steps": report.failed_steps,
                               "results": report.results}, ensure_ascii=False, default=str, indent=2))
    else:
        status = "finished" if report.ok else f"finished with failed steps: {', '.join(report.failed_steps)}"
        click.echo(f"run {report.crawl_run_id} {status} in {report.seconds:.1f}s")
    if not report.ok:
        raise click.exceptions.Exit(1)


def _distributed(settings, store, sources, steps, operator: str, wait: bool, as_json: bool):
    """Under the Redis run lock too: wait for the workers (the report), or enqueue the run and return (None)."""
    from saigawatch.distributed import runlock
    from saigawatch.distributed.detached import start_run
    from saigawatch.distributed.queues import DistributedError, connect

    try:
        conn = connect(settings)
    except DistributedError as exc:
        raise UserError(str(exc)) from None
    token = runlock.acquire(conn, settings, store)
    if wait:
        try:
            return run_daily(settings, store, sources=sources, steps=steps, operator=operator,
                             on_step=None if as_json else lambda n, r: click.echo(_summary(n, r)))
        finally:
            runlock.release(conn, token=token)
    try:
        run_id = start_run(settings, store, sources=sources, steps=steps, operator=operator, lock_token=token)
    except BaseException:
        runlock.release(conn, token=token)
        raise
    if as_json:
        click.echo(json.dumps({"crawl_run_id": run_id, "status": "enqueued"}))
    else:
        click.echo(f"run {run_id} enqueued; the workers finish it (see `saigawatch workers`)")
    return None
