"""`saigawatch workers`: live workers, queue lengths and failed jobs of distributed mode; retry or drop failed jobs."""
from __future__ import annotations

import json

import click

from saigawatch.context import UserError, get_context
from saigawatch.distributed import status
from saigawatch.distributed.queues import DistributedError, connect


def register(app: click.Group) -> None:
    app.add_command(workers_command)


@click.command("workers")
@click.option("--retry", "retry", multiple=True, metavar="JOB",
              help="Put this failed job back on its queue (repeatable; 'all' for every failed job).")
@click.option("--drop", "drop", multiple=True, metavar="JOB",
              help="Delete this failed job for good (repeatable; 'all' for every failed job).")
@click.option("--json", "as_json", is_flag=True, help="Print everything as JSON.")
def workers_command(retry: tuple[str, ...], drop: tuple[str, ...], as_json: bool) -> None:
    """Show the current run's progress, the live workers, the queue lengths and the failed jobs (distributed mode)."""
    ctx = get_context()
    settings = ctx.settings
    if not settings.distributed.enabled:
        raise UserError("distributed.enabled is false in the config: there are no workers")
    try:
        conn = connect(settings)
    except DistributedError as exc:
        raise UserError(str(exc)) from None
    try:
        if retry:
            done = status.retry_failed(conn, None if "all" in retry else list(retry))
            click.echo(f"retried {len(done)} job(s): {', '.join(done) or '-'}")
        if drop:
            done = status.drop_failed(conn, None if "all" in drop else list(drop))
            click.echo(f"dropped {len(done)} job(s): {', '.join(done) or '-'}")
    except KeyError as exc:
        raise UserError(str(exc.args[0])) from None
    if retry or drop:
        return
    workers, queues, failed = status.live_workers(conn), status.queue_lengths(conn), status.failed_jobs(conn)
    run = status.run_progress(conn, ctx.store())
    if as_json:
        click.echo(json.dumps({"run": run, "workers": workers, "queues": queues, "failed": failed}, indent=2,
                              default=str))
        return
    if run and run.get("crawl_run_id") is not None:
        todo = [s for s in run["steps"] if s not in run["done"]]
        click.echo(f"run {run['crawl_run_id']}: {run['status']}, started {run['started_at']}"
                   + (f"; steps done: {', '.join(run['done']) or '-'}" if run["done"] or todo else "")
                   + (f"; to do: {', '.join(todo)}" if run["status"] == "running" and todo else "")
                   + (f"; failed: {', '.join(run['failed'])}" if run["failed"] else ""))
    if run and run.get("lock"):
        click.echo(f"run lock: {run['lock']}")
    click.echo(f"{len(workers)} live worker(s)")
    for w in workers:
        click.echo(f"  {w['host']} pid {w['pid']}  {'/'.join(w['roles']):<16} {w['state']:<9} {w['job'] or ''}")
    click.echo("queues")
    for role, counts in queues.items():
        click.echo(f"  {role:<9} queued {counts['queued']}, running {counts['running']}, failed {counts['failed']}")
    if failed:
        click.echo(f"{len(failed)} failed job(s) (retry: saigawatch workers --retry JOB|all; drop: --drop JOB|all)")
        for f in failed:
            click.echo(f"  {f['id']}  {f['role']}  {f['ended_at'] or ''}  {f['error']}")
