"""`saigawatch schedule install|show|remove`: a crontab entry (or systemd units) that runs run-daily every day."""
from __future__ import annotations

import datetime as dt
import os
import shlex
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from config import Settings, default_config_path
from saigawatch.context import UserError, get_context
from saigawatch.logs import CRON_OUTPUT, UNATTENDED_ENV

MARKER = "# saigawatch-schedule"  # followed by " config=<absolute config path>"; the next line is the job
UNIT_NAME = "saigawatch-daily"


def register(app: click.Group) -> None:
    app.add_command(schedule)


@dataclass
class Job:
    """Everything the scheduled command needs, as absolute paths."""

    executable: list[str]
    config: Path
    workdir: Path
    env_file: Path | None
    output: Path
    utc_time: str  # HH:MM

    @property
    def marker(self) -> str:
        return f"{MARKER} config={self.config}"

    def command(self) -> str:
        """The shell command cron runs (/bin/sh): cd, load secrets, run-daily, append output to a file."""
        q = shlex.quote
        parts = [f"cd {q(str(self.workdir))}", f"mkdir -p {q(str(self.output.parent))}"]
        if self.env_file:
            parts.append(f"set -a && . {q(str(self.env_file))} && set +a")
        exe = " ".join(q(x) for x in self.executable)
        parts.append(f"{UNATTENDED_ENV}=1 {exe} --config {q(str(self.config))} run-daily >> {q(str(self.output))} 2>&1")
        return " && ".join(parts)

    def cron_time(self, tz: dt.tzinfo | None = None) -> tuple[int, int]:
        """(minute, hour) in the server's local time (cron's clock) for the configured UTC time."""
        hour, minute = (int(x) for x in self.utc_time.split(":"))
        today = dt.datetime.now(dt.timezone.utc).replace(hour=hour, minute=minute, second=0, microsecond=0)
        local = today.astimezone(tz) if tz else today.astimezone()
        return local.minute, local.hour

    def cron_line(self, tz: dt.tzinfo | None = None) -> str:
        minute, hour = self.cron_time(tz)
        return f"{minute} {hour} * * * {self.command().replace('%', chr(92) + '%')}"

    def cron_block(self, tz: dt.tzinfo | None = None) -> str:
        return f"{self.marker} (managed by 'saigawatch schedule'; run-daily at {self.utc_time} UTC)\n{self.cron_line(tz)}\n"


def _executable() -> list[str]:
    """The absolute path of this installation's `saigawatch` script (the venv's), else python -m saigawatch."""
    candidate = Path(sys.executable).parent / "saigawatch"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return [str(candidate.absolute())]
    found = shutil.which("saigawatch")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "saigawatch"]


def build_job(settings: Settings, config_path: Path | None, workdir: Path | None = None) -> Job:
    """The job for this config; relative paths in the config are relative to `workdir` (default: current directory)."""
    config = Path(config_path or settings.config_path or default_config_path()).expanduser().absolute()
    workdir = Path(workdir or settings.schedule.workdir or os.getcwd()).expanduser().absolute()
    env_file = settings.schedule.env_file
    env_path = None
    if env_file:
        env_path = Path(env_file).expanduser()
        env_path = env_path if env_path.is_absolute() else workdir / env_path
    log_file = Path(settings.schedule.log_file).expanduser()
    log_dir = (log_file if log_file.is_absolute() else workdir / log_file).parent
    return Job(_executable(), config, workdir, env_path, log_dir / CRON_OUTPUT, settings.schedule.time)


# ---- crontab text ------------------------------------------------------------------------------

def remove_block(crontab: str, marker: str | None) -> tuple[str, int]:
    """Drop our entries (marker line plus the job line after it); marker None drops every SaigaWatch entry."""
    lines = crontab.splitlines()
    out: list[str] = []
    removed = 0
    skip_next = False
    for line in lines:
        if skip_next:
            skip_next = False
            if line.strip() and not line.lstrip().startswith("#"):
                continue
        if line.startswith(MARKER) and (marker is None or line == marker or line.startswith(marker + " ")):
            removed += 1
            skip_next = True
            continue
        out.append(line)
    text = "\n".join(out)
    return (text + "\n" if text.strip() else ""), removed


def install_block(crontab: str, job: Job, tz: dt.tzinfo | None = None) -> str:
    """The crontab with exactly one entry for this job's config (replacing an earlier one)."""
    text, _ = remove_block(crontab, job.marker)
    if text and not text.endswith("\n"):
        text += "\n"
    return text + job.cron_block(tz)


def installed_line(crontab: str, job: Job) -> str | None:
    lines = crontab.splitlines()
    for i, line in enumerate(lines):
        if line == job.marker or line.startswith(job.marker + " "):
            return lines[i + 1] if i + 1 < len(lines) else None
    return None


# ---- crontab(1) ----------------------------------------------------------------------------------

def _crontab_cmd(user: str | None) -> list[str]:
    exe = shutil.which("crontab")
    if not exe:
        raise UserError("crontab(1) not found: install the Debian 'cron' package (.ci/install-system-packages), "
                        "or use 'saigawatch schedule show --systemd' for a systemd timer")
    return [exe, "-u", user] if user else [exe]


def read_crontab(user: str | None = None) -> str:
    result = subprocess.run([*_crontab_cmd(user), "-l"], capture_output=True, text=True)
    if result.returncode != 0:
        if "no crontab for" in result.stderr:
            return ""
        raise UserError(f"crontab -l failed: {result.stderr.strip() or result.returncode}")
    return result.stdout


def write_crontab(text: str, user: str | None = None) -> None:
    if text.strip():
        result = subprocess.run([*_crontab_cmd(user), "-"], input=text, capture_output=True, text=True)
    else:
        result = subprocess.run([*_crontab_cmd(user), "-r"], capture_output=True, text=True)
        if result.returncode != 0 and "no crontab for" in result.stderr:
            return
    if result.returncode != 0:
        raise UserError(f"crontab refused the new table: {result.stderr.strip() or result.returncode}")


# ---- systemd ---------------------------------------------------------------------------------------

def systemd_units(job: Job) -> dict[str, str]:
    """A oneshot service and a daily timer at the configured UTC time."""
    exe = " ".join(shlex.quote(x) for x in job.executable)
    env_line = f"EnvironmentFile=-{job.env_file}\n" if job.env_file else ""
    service = (
        "[Unit]\n"
        "Description=SaigaWatch daily run (crawl, classify, evidence, notify)\n"
        "Wants=network-online.target\nAfter=network-online.target\n\n"
        "[Service]\nType=oneshot\n"
        f"WorkingDirectory={job.workdir}\n"
        f"Environment={UNATTENDED_ENV}=1\n"
        f"{env_line}"
        f"ExecStart={exe} --config {job.config} run-daily\n"
        "Nice=10\nTimeoutStartSec=12h\n"
    )
    timer = (
        "[Unit]\nDescription=Run SaigaWatch every day\n\n"
        f"[Timer]\nOnCalendar=*-*-* {job.utc_time}:00 UTC\nPersistent=true\nUnit={UNIT_NAME}.service\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    return {f"{UNIT_NAME}.service": service, f"{UNIT_NAME}.timer": timer}


def _dst_warning() -> str | None:
    local = dt.datetime.now().astimezone().tzinfo
    year = dt.datetime.now().year
    offsets = {dt.datetime(year, m, 1, 12, tzinfo=dt.timezone.utc).astimezone(local).utcoffset() for m in (1, 7)}
    if len(offsets) > 1:
        return ("note: this server's time zone changes with daylight saving; cron uses local time, so the run "
                "will move by an hour twice a year (reinstall after the change, or use --systemd, which keeps UTC)")
    return None


def _check_env_file(job: Job) -> list[str]:
    notes = []
    if job.env_file:
        if not job.env_file.exists():
            notes.append(f"warning: schedule.env_file {job.env_file} does not exist yet; the job will fail until it does")
        elif job.env_file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            notes.append(f"warning: {job.env_file} holds secrets but is readable by others: chmod 600 {job.env_file}")
    return notes


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
@click.option("--line", "line_only", is_flag=True, help="Print only the crontab line (for scripts and tests).")
def show(user: str | None, workdir: Path | None, systemd: bool, line_only: bool) -> None:
    """Show the job that would be installed and whether it is installed now."""
    job = _job(workdir)
    if systemd:
        for name, text in systemd_units(job).items():
            click.echo(f"# /etc/systemd/system/{name}\n{text}")
        return
    if line_only:
        click.echo(job.cron_line())
        return
    minute, hour = job.cron_time()
    click.echo(f"run-daily every day at {job.utc_time} UTC ({hour:02d}:{minute:02d} server time)")
    click.echo(f"config:      {job.config}")
    click.echo(f"working dir: {job.workdir}")
    click.echo(f"log file:    {log_path_for(job)} (rotating); cron output: {job.output}")
    if job.env_file:
        click.echo(f"secrets:     {job.env_file}")
    click.echo("crontab entry:")
    click.echo(job.cron_block())
    current = installed_line(read_crontab(user), job) if shutil.which("crontab") else None
    if current is None:
        click.echo("status: not installed (run 'saigawatch schedule install')")
    elif current == job.cron_line():
        click.echo("status: installed")
    else:
        click.echo(f"status: installed, but differs from the above; 'saigawatch schedule install' updates it:\n  {current}")


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
    for note in _check_env_file(job):
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
        click.echo(f"then: systemctl daemon-reload && systemctl enable --now {UNIT_NAME}.timer")
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
    warning = _dst_warning()
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
        click.echo(f"systemctl disable --now {UNIT_NAME}.timer && rm /etc/systemd/system/{UNIT_NAME}.service "
                   f"/etc/systemd/system/{UNIT_NAME}.timer && systemctl daemon-reload")
        return
    job = _job(workdir)
    before = read_crontab(user)
    after, removed = remove_block(before, None if remove_all else job.marker)
    if not removed:
        click.echo("no SaigaWatch entry in the crontab; nothing changed")
        return
    write_crontab(after, user)
    click.echo(f"removed {removed} SaigaWatch entr{'y' if removed == 1 else 'ies'} from the crontab")
