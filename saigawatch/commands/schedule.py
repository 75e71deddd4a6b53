"""`saigawatch schedule install|show|remove`: a crontab entry (or systemd units) that runs run-daily every day."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
from pathlib import Path

import click

from saigawatch.context import UserError, get_context
from saigawatch.ops.env_file import load_env_file
from saigawatch.ops.schedule import (MAINTENANCE_UNIT, UNIT_NAME, WEEKDAYS, Job, absolute_path, build_job,
                                     cron_daemon_running, dst_warning, env_file_warnings, install_block,
                                     installed_line, read_crontab, remove_block, systemd_units, write_crontab)



def register(app: click.Group) -> None:
    app.add_command(schedule)


# ---- commands --------------------------------------------------------------------------------------

_user_option = click.option("--user", "user", default=None,
                            help="Manage this user's crontab (crontab -u; needs root). Default: the current user's.")
_workdir_option = click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
                               help="Directory the job runs in (relative paths in the config are relative to it). "
                                    "Default: schedule.workdir, else the current directory.")
_systemd_option = click.option("--systemd", "systemd", is_flag=True,
                               help="Use a systemd service and timer instead of crontab.")


@click.group("schedule")
def schedule() -> None:
    """Run run-daily every day at schedule.time (UTC) from cron or a systemd timer."""


def _job(workdir: Path | None) -> Job:
    ctx = get_context()
    return build_job(ctx.settings, ctx.config_path, workdir)


@schedule.command("show")
@_user_option
@_workdir_option
@_systemd_option
@click.option("--line", "line_only", is_flag=True,
              help="Print only the crontab lines: the daily run, then the weekly maintenance job if any.")
def show(user: str | None, workdir: Path | None, systemd: bool, line_only: bool) -> None:
    """Show the job that would be installed and whether it is installed now."""
    job = _job(workdir)
    if systemd:
        for name, text in systemd_units(job).items():
            click.echo(f"# /etc/systemd/system/{name}\n{text}")
        return
    if line_only:
        click.echo(job.cron_line())
        if job.maintenance_line():
            click.echo(job.maintenance_line())
        return
    minute, hour = job.cron_time()
    click.echo(f"run-daily every day at {job.utc_time} UTC ({hour:02d}:{minute:02d} server time)")
    click.echo(f"config:      {job.config}")
    click.echo(f"working dir: {job.workdir}")
    click.echo(f"log file:    {log_path_for(job)} (rotating); cron output: {job.output}")
    if job.env_file:
        click.echo(f"secrets:     {job.env_file}")
    if job.maintenance_command():
        what = ", then ".join(x for x, on in ((f"backup into {job.backup_dir} (keep {job.backup_keep})", job.backup_dir),
                                              ("retention purge", job.retention)) if on)
        click.echo(f"weekly:      {WEEKDAYS[job.maintenance_weekday]} {job.maintenance_time} UTC: {what}")
    click.echo("crontab entries:")
    click.echo(job.cron_block())
    crontab = read_crontab(user) if shutil.which("crontab") else ""
    current = installed_line(crontab, job)
    if current is None:
        click.echo("status: not installed (run 'saigawatch schedule install')")
    elif current == job.cron_line() and installed_line(crontab, job, maintenance=True) == job.maintenance_line():
        click.echo("status: installed")
    else:
        click.echo("status: installed, but differs from the above; 'saigawatch schedule install' updates it")


def log_path_for(job: Job) -> Path:
    ctx = get_context()
    log_file = Path(ctx.settings.schedule.log_file).expanduser()
    return log_file if log_file.is_absolute() else job.workdir / log_file


@schedule.command("install")
@_user_option
@_workdir_option
@_systemd_option
@click.option("--unit-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --systemd: write the unit files into this directory (e.g. /etc/systemd/system) "
                   "instead of printing them.")
def install(user: str | None, workdir: Path | None, systemd: bool, unit_dir: Path | None) -> None:
    """Install (or update) the daily job; running it again changes nothing."""
    job = _job(workdir)
    if not job.config.exists():
        raise UserError(f"config file {job.config} does not exist")
    for note in env_file_warnings(job):
        click.echo(note, err=True)
    job.output.parent.mkdir(parents=True, exist_ok=True)
    if systemd:
        units = systemd_units(job)
        if unit_dir is None:
            for name, text in units.items():
                click.echo(f"# save as /etc/systemd/system/{name}\n{text}")
        else:
            unit_dir.mkdir(parents=True, exist_ok=True)
            for name, text in units.items():
                (unit_dir / name).write_text(text, encoding="utf-8")
                click.echo(f"wrote {unit_dir / name}")
        timers = " ".join(n for n in units if n.endswith(".timer"))
        click.echo(f"then: systemctl daemon-reload && systemctl enable --now {timers}")
        return
    before = read_crontab(user)
    after = install_block(before, job)
    if after == before:
        click.echo("schedule already installed; nothing changed")
    else:
        write_crontab(after, user)
        minute, hour = job.cron_time()
        click.echo(f"installed: run-daily every day at {job.utc_time} UTC ({hour:02d}:{minute:02d} server time)")
        click.echo(job.cron_line())
    warning = dst_warning()
    if warning:
        click.echo(warning, err=True)


@schedule.command("remove")
@_user_option
@_workdir_option
@_systemd_option
@click.option("--all", "remove_all", is_flag=True, help="Remove every SaigaWatch entry, whatever config it uses.")
def remove(user: str | None, workdir: Path | None, systemd: bool, remove_all: bool) -> None:
    """Remove the daily job for this config (other crontab lines are left alone)."""
    if systemd:
        names = [f"{u}.{kind}" for u in (UNIT_NAME, MAINTENANCE_UNIT) for kind in ("timer", "service")]
        click.echo(f"systemctl disable --now {UNIT_NAME}.timer {MAINTENANCE_UNIT}.timer; "
                   f"rm -f {' '.join('/etc/systemd/system/' + n for n in names)}; systemctl daemon-reload")
        return
    job = _job(workdir)
    before = read_crontab(user)
    after, removed = remove_block(before, None if remove_all else job.marker)
    if not removed:
        click.echo("no SaigaWatch entry in the crontab; nothing changed")
        return
    write_crontab(after, user)
    click.echo(f"removed {removed} SaigaWatch entr{'y' if removed == 1 else 'ies'} from the crontab")


@schedule.command("check")
@_user_option
@_workdir_option
@click.option("--notify", "send_test", is_flag=True,
              help="Also send the latest run's digest (marked as a test) through every enabled channel.")
def check(user: str | None, workdir: Path | None, send_test: bool) -> None:
    """Check that unattended runs can work: database, directories, secrets, crontab, last run, notifications."""
    from sqlalchemy import select

    from store import StoreError
    from store.models import CrawlRun

    ctx = get_context()
    settings = ctx.settings
    job = _job(workdir)
    problems = 0

    def report(ok: bool | None, text: str) -> None:
        nonlocal problems
        mark = {True: "ok  ", False: "FAIL", None: "warn"}[ok]
        problems += ok is False
        click.echo(f"[{mark}] {text}")

    if not job.workdir.is_dir():
        raise UserError(f"working directory {job.workdir} does not exist")
    os.chdir(job.workdir)  # relative paths in the config mean what they will mean for the scheduled job
    loaded = load_env_file(job.env_file)  # and the secrets the job will have (e.g. SAIGAWATCH_DATABASE_URL)
    report(True, f"config {job.config} is valid; working directory {job.workdir}")
    report(bool(job.executable) and Path(job.executable[0]).exists(), f"command {' '.join(job.executable)}")
    store = None
    try:
        store = ctx.store()
        report(True, f"database {store.engine.url.render_as_string(hide_password=True)} is initialised")
    except StoreError as exc:
        report(False, str(exc))
    for label, rel in (("data directory", settings.storage.data_dir), ("log directory", str(Path(settings.schedule.log_file).parent)),
                       ("lock directory", str(Path(settings.schedule.lock_file).parent))):
        path = absolute_path(rel, job.workdir)
        target = path if path.exists() else next((p for p in path.parents if p.exists()), Path("/"))
        report(os.access(target, os.W_OK), f"{label} {path} is writable")
    if job.env_file:
        if not job.env_file.exists():
            report(False, f"schedule.env_file {job.env_file} does not exist")
        elif job.env_file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            report(None, f"{job.env_file} holds secrets but is readable by others: chmod 600 {job.env_file}")
        else:
            report(True, f"secrets file {job.env_file} (mode 600): {', '.join(loaded) or 'empty'}")
    n = settings.notify
    needed = []
    if n.smtp.enabled and os.environ.get(n.smtp.username_env):
        needed.append(n.smtp.password_env)
    if n.telegram.enabled:
        needed.append(n.telegram.token_env)
    for name in needed:
        present = bool(os.environ.get(name))
        report(present, f"{name} is {'set' if present else 'not set (in the environment or schedule.env_file)'}")
    channels = [c for c, on in (("email", n.smtp.enabled), ("telegram", n.telegram.enabled), ("webhook", n.webhook.enabled)) if on]
    report(True if channels else None, f"notification channels: {', '.join(channels) or 'none enabled (no digest will be sent)'}")
    if shutil.which("crontab"):
        daemon = cron_daemon_running()
        report(True if daemon else None, "cron daemon is running" if daemon else
               "no cron daemon is running: start it (systemctl enable --now cron) or use a systemd timer")
        installed = installed_line(read_crontab(user), job)
        if installed is None:
            report(None, "no crontab entry for this config (run 'saigawatch schedule install', or use a systemd timer)")
        else:
            report(installed == job.cron_line(), "crontab entry installed" + ("" if installed == job.cron_line()
                                                                               else " but outdated: run 'schedule install'"))
    last = None
    if store is not None:
        with store.session() as session:
            last = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).first()
        if last is None:
            report(None, "no run yet")
        else:
            age = dt.datetime.now(dt.timezone.utc) - last.started_at
            report(None if age > dt.timedelta(hours=26) or last.status != "finished" else True,
                   f"last run {last.id}: {last.status}, started {last.started_at:%Y-%m-%d %H:%M} UTC "
                   f"({age.total_seconds() / 3600:.0f} h ago)")
    if send_test:
        from alerts.notify import send_test_digest

        for channel, status in send_test_digest(settings, store, last).items():
            if status != "disabled":
                report(status.startswith("sent"), f"test digest via {channel}: {status}")
    click.echo("")
    click.echo("ready for unattended runs" if not problems else f"{problems} problem(s) to fix")
    if problems:
        raise click.exceptions.Exit(1)
