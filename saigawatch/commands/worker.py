"""`saigawatch worker --role crawl|classify|capture`: a long-lived worker of distributed mode (RQ on Redis)."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from saigawatch.context import UserError, get_context
from saigawatch.distributed.queues import ROLES, DistributedError, connect, queue


def register(app: click.Group) -> None:
    app.add_command(worker_command)


def worker_class(heartbeat: int):
    """RQ's forking worker, with a job heartbeat that lets a killed worker's job be retried within ~3 beats.

    RQ puts the job's process (the work horse) in a process group of its own, so killing the worker alone
    would leave the job running, unseen, while RQ runs it again elsewhere: the same crawl part twice at once.
    The horse here dies with its worker (and a crawl child with its horse), so a retry never runs beside it.
    """
    from rq import Worker

    from store.work import die_with_parent

    class SaigaWatchWorker(Worker):
        def get_heartbeat_ttl(self, job) -> int:
            return heartbeat * 3

        def main_work_horse(self, job, queue):
            die_with_parent()
            return super().main_work_horse(job, queue)

    return SaigaWatchWorker


@click.command("worker")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="Which jobs to take (repeatable: one worker may take several roles).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=None,
              help="Jobs at once (default: distributed.<role>_concurrency of the first role).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty (tests, one-off catch-up).")
def worker_command(roles: tuple[str, ...], concurrency: int | None, burst: bool) -> None:
    """Take crawl, classify or capture jobs from Redis until stopped (SIGTERM ends after the current job)."""
    ctx = get_context()
    settings = ctx.settings
    if not settings.distributed.enabled:
        raise UserError("distributed.enabled is false in the config: workers need distributed mode")
    if ctx.config_path:  # jobs load the same config in the worker's processes
        os.environ["SAIGAWATCH_CONFIG"] = str(Path(ctx.config_path).resolve())
    try:
        conn = connect(settings)
    except DistributedError as exc:
        raise UserError(str(exc)) from None
    ctx.store()  # fail now, clearly, if the database is not initialised
    dist = settings.distributed
    n = concurrency or getattr(dist, f"{roles[0]}_concurrency")
    queues = [queue(conn, role) for role in roles]
    cls = worker_class(dist.heartbeat_seconds)
    logging.getLogger("rq").setLevel(logging.INFO if ctx.verbose else logging.WARNING)
    click.echo(f"worker: roles {', '.join(roles)}, concurrency {n}, pid {os.getpid()}", err=True)
    if n == 1:
        worker = cls(queues, connection=conn, job_monitoring_interval=dist.heartbeat_seconds,
                     maintenance_interval=30)
        worker.work(burst=burst, with_scheduler=False, logging_level="WARNING")
        return
    from rq.worker_pool import WorkerPool

    pool = WorkerPool(queues, connection=conn, num_workers=n, worker_class=cls)
    pool.start(burst=burst, logging_level="WARNING")
