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
MAINTENANCE_UNIT = "saigawatch-maintenance"
MAINTENANCE_WAIT_S = 4 * 3600  # the weekly job waits this long for a run-daily that is still going


def register(app: click.Group) -> None:
    app.add_command(schedule)


WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]


@dataclass
class Job:
    """Everything the scheduled commands need, as absolute paths."""

    executable: list[str]
    config: Path
    workdir: Path
    env_file: Path | None
    output: Path
    utc_time: str  # HH:MM
    maintenance_time: str = "03:00"
    maintenance_weekday: int = 0  # cron numbering: 0 = Sunday
    backup_dir: Path | None = None
    backup_keep: int = 8
    retention: bool = True

    @property
    def marker(self) -> str:
        return f"{MARKER} config={self.config}"

    @property
    def maintenance_marker(self) -> str:
        return f"{self.marker} job=maintenance"

    def _prefix(self) -> list[str]:
        q = shlex.quote
        parts = [f"cd {q(str(self.workdir))}", f"mkdir -p {q(str(self.output.parent))}"]
        if self.env_file:
            parts.append(f"set -a && . {q(str(self.env_file))} && set +a")
        return parts

    def _run(self, *args: str) -> str:
        q = shlex.quote
        exe = " ".join(q(x) for x in self.executable)
        return f"{UNATTENDED_ENV}=1 {exe} --config {q(str(self.config))} {' '.join(args)} >> {q(str(self.output))} 2>&1"

    def command(self) -> str:
        """The shell command cron runs (/bin/sh) every day: cd, load secrets, run-daily, append output to a file."""
        return " && ".join([*self._prefix(), self._run("run-daily")])

    def maintenance_command(self) -> str | None:
        """The weekly job: a backup (if backup_dir is set), then the retention purge (if enabled)."""
        q = shlex.quote
        steps = []
        if self.backup_dir:
            steps.append(self._run("backup", "--output", q(str(self.backup_dir)), "--keep", str(self.backup_keep),
                                   "--wait-lock", str(MAINTENANCE_WAIT_S)))
        if self.retention:
            steps.append(self._run("retention", "--wait-lock", str(MAINTENANCE_WAIT_S)))
        if not steps:
            return None
        return " && ".join(self._prefix()) + " && { " + "; ".join(steps) + "; }"

    def cron_time(self, tz: dt.tzinfo | None = None, utc_time: str | None = None,
                  weekday: int | None = None) -> tuple[int, int] | tuple[int, int, int]:
        """(minute, hour) — or (minute, hour, weekday) — in the server's local time (cron's clock) for a UTC time."""
        hour, minute = (int(x) for x in (utc_time or self.utc_time).split(":"))
        now = dt.datetime.now(dt.timezone.utc).replace(hour=hour, minute=minute, second=0, microsecond=0)
        if weekday is not None:  # a date in this week with that (cron-numbered) weekday
            now += dt.timedelta(days=(weekday - (now.weekday() + 1) % 7) % 7)
        local = now.astimezone(tz) if tz else now.astimezone()
        if weekday is None:
            return local.minute, local.hour
        return local.minute, local.hour, (local.weekday() + 1) % 7

    def cron_line(self, tz: dt.tzinfo | None = None) -> str:
        minute, hour = self.cron_time(tz)
        return f"{minute} {hour} * * * {_cron_escape(self.command())}"

    def maintenance_line(self, tz: dt.tzinfo | None = None) -> str | None:
        command = self.maintenance_command()
        if command is None:
            return None
        minute, hour, weekday = self.cron_time(tz, self.maintenance_time, self.maintenance_weekday)
        return f"{minute} {hour} * * {weekday} {_cron_escape(command)}"

    def cron_block(self, tz: dt.tzinfo | None = None) -> str:
        block = f"{self.marker} (managed by 'saigawatch schedule'; run-daily at {self.utc_time} UTC)\n{self.cron_line(tz)}\n"
        maintenance = self.maintenance_line(tz)
        if maintenance:
            what = " and ".join(x for x, on in (("backup", self.backup_dir), ("retention", self.retention)) if on)
            block += (f"{self.maintenance_marker} (weekly {what}, {WEEKDAYS[self.maintenance_weekday]} "
                      f"{self.maintenance_time} UTC)\n{maintenance}\n")
        return block


def _cron_escape(command: str) -> str:
    """In a crontab an unescaped % ends the command; cron removes the backslash again."""
    return command.replace("%", "\\%")


def _executable() -> list[str]:
    """The absolute path of this installation's `saigawatch` script (the venv's), else python -m saigawatch."""
    candidate = Path(sys.executable).parent / "saigawatch"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return [str(candidate.absolute())]
    found = shutil.which("saigawatch")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "saigawatch"]


def _absolute(path: str | None, workdir: Path) -> Path | None:
    if not path:
        return None
    p = Path(path).expanduser()
    return p if p.is_absolute() else workdir / p


def build_job(settings: Settings, config_path: Path | None, workdir: Path | None = None) -> Job:
    """The job for this config; relative paths in the config are relative to `workdir` (default: current directory)."""
    sched = settings.schedule
    config = Path(config_path or settings.config_path or default_config_path()).expanduser().absolute()
    workdir = Path(workdir or sched.workdir or os.getcwd()).expanduser().absolute()
    log_dir = _absolute(sched.log_file, workdir).parent
    return Job(_executable(), config, workdir, _absolute(sched.env_file, workdir), log_dir / CRON_OUTPUT, sched.time,
               sched.maintenance_time, sched.maintenance_weekday, _absolute(sched.backup_dir, workdir),
               sched.backup_keep, settings.retention.enabled)


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


def installed_line(crontab: str, job: Job, maintenance: bool = False) -> str | None:
    """The installed daily (or maintenance) line for this job's config, if any."""
    lines = crontab.splitlines()
    marker = job.maintenance_marker if maintenance else job.marker
    for i, line in enumerate(lines):
        if line == marker or line.startswith(marker + " ("):
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
    """A oneshot service and a daily timer at the configured UTC time (plus the weekly maintenance pair)."""
    exe = " ".join(shlex.quote(x) for x in job.executable)
    env_line = f"EnvironmentFile=-{job.env_file}\n" if job.env_file else ""

    def service(description: str, commands: list[str]) -> str:
        starts = "".join(f"ExecStart={exe} --config {job.config} {c}\n" for c in commands)
        return ("[Unit]\n"
                f"Description={description}\n"
                "Wants=network-online.target\nAfter=network-online.target\n\n"
                "[Service]\nType=oneshot\n"
                f"WorkingDirectory={job.workdir}\n"
                f"Environment={UNATTENDED_ENV}=1\n"
                f"{env_line}{starts}"
                "Nice=10\nTimeoutStartSec=12h\n")

    def timer(description: str, calendar: str, unit: str) -> str:
        return (f"[Unit]\nDescription={description}\n\n"
                f"[Timer]\nOnCalendar={calendar}\nPersistent=true\nUnit={unit}.service\n\n"
                "[Install]\nWantedBy=timers.target\n")

    units = {
        f"{UNIT_NAME}.service": service("SaigaWatch daily run (crawl, classify, evidence, notify)", ["run-daily"]),
        f"{UNIT_NAME}.timer": timer("Run SaigaWatch every day", f"*-*-* {job.utc_time}:00 UTC", UNIT_NAME),
    }
    commands = []
    if job.backup_dir:
        commands.append(f"backup --output {job.backup_dir} --keep {job.backup_keep} --wait-lock {MAINTENANCE_WAIT_S}")
    if job.retention:
        commands.append(f"retention --wait-lock {MAINTENANCE_WAIT_S}")
    if commands:
        units[f"{MAINTENANCE_UNIT}.service"] = service("SaigaWatch weekly maintenance (backup, retention)", commands)
        units[f"{MAINTENANCE_UNIT}.timer"] = timer(
            "SaigaWatch weekly maintenance", f"{WEEKDAYS[job.maintenance_weekday]} *-*-* {job.maintenance_time}:00 UTC",
            MAINTENANCE_UNIT)
    return units


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
    loaded = _load_env_file(job.env_file)  # and the secrets the job will have (e.g. SAIGAWATCH_DATABASE_URL)
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
        path = _absolute(rel, job.workdir)
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
        daemon = _cron_daemon_running()
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
        from alerts.notify import build_digest, send_digest
        from alerts.notify.digest import Digest, review_base_url

        if store is not None and last is not None:
            with store.session() as session:
                digest = build_digest(session, settings, last.id, (last.stats or {}).get("pipeline") or {})
        else:
            now = dt.datetime.now(dt.timezone.utc)
            digest = Digest(run_id=0, run_day=now.date().isoformat(), generated_at=now.isoformat(timespec="seconds"),
                            review_url=review_base_url(settings))
        test_settings = settings.model_copy(update={"notify": n.model_copy(update={
            "smtp": n.smtp.model_copy(update={"subject_prefix": f"{n.smtp.subject_prefix} test"}),
            "send_when_empty": True})})
        for channel, status in send_digest(test_settings, digest).items():
            if status != "disabled":
                report(status.startswith("sent"), f"test digest via {channel}: {status}")
    click.echo("")
    click.echo("ready for unattended runs" if not problems else f"{problems} problem(s) to fix")
    if problems:
        raise click.exceptions.Exit(1)


def _cron_daemon_running() -> bool:
    """Whether a cron daemon (cron, crond, cronie, busybox crond) runs on this machine, from /proc."""
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in ("cron", "crond", "cronie"):
                return True
        except OSError:
            continue
    return False


def _load_env_file(env_file: Path | None) -> list[str]:
    """Put a KEY=value secrets file into this process's environment, as the cron line's `. file` does.

    Simple lines only (optional `export`, optional quotes); variables already set are kept. Returns the names.
    """
    names: list[str] = []
    if not env_file or not env_file.exists():
        return names
    for line in env_file.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export "):].strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = (x.strip() for x in line.split("=", 1))
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        names.append(key)
        os.environ.setdefault(key, value)
    return names
