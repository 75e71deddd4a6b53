"""The scheduled jobs: the daily run-daily and weekly maintenance as crontab lines or systemd units, and crontab(1)."""
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

from config import Settings, default_config_path
from saigawatch.context import UserError
from saigawatch.logs import CRON_OUTPUT, UNATTENDED_ENV

MARKER = "# saigawatch-schedule"  # followed by " config=<absolute config path>"; the next line is the job
UNIT_NAME = "saigawatch-daily"
MAINTENANCE_UNIT = "saigawatch-maintenance"
MAINTENANCE_WAIT_S = 4 * 3600  # the weekly job waits this long for a run-daily that is still going


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
        return f"{minute} {hour} * * * {cron_escape(self.command())}"

    def maintenance_line(self, tz: dt.tzinfo | None = None) -> str | None:
        command = self.maintenance_command()
        if command is None:
            return None
        minute, hour, weekday = self.cron_time(tz, self.maintenance_time, self.maintenance_weekday)
        return f"{minute} {hour} * * {weekday} {cron_escape(command)}"

    def cron_block(self, tz: dt.tzinfo | None = None) -> str:
        block = f"{self.marker} (managed by 'saigawatch schedule'; run-daily at {self.utc_time} UTC)\n{self.cron_line(tz)}\n"
        maintenance = self.maintenance_line(tz)
        if maintenance:
            what = " and ".join(x for x, on in (("backup", self.backup_dir), ("retention", self.retention)) if on)
            block += (f"{self.maintenance_marker} (weekly {what}, {WEEKDAYS[self.maintenance_weekday]} "
                      f"{self.maintenance_time} UTC)\n{maintenance}\n")
        return block


def cron_escape(command: str) -> str:
    """In a crontab an unescaped % ends the command; cron removes the backslash again."""
    return command.replace("%", "\\%")


def saigawatch_executable() -> list[str]:
    """The absolute path of this installation's `saigawatch` script (the venv's), else python -m saigawatch."""
    candidate = Path(sys.executable).parent / "saigawatch"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return [str(candidate.absolute())]
    found = shutil.which("saigawatch")
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "saigawatch"]


def absolute_path(path: str | None, workdir: Path) -> Path | None:
    if not path:
        return None
    p = Path(path).expanduser()
    return p if p.is_absolute() else workdir / p


def build_job(settings: Settings, config_path: Path | None, workdir: Path | None = None) -> Job:
    """The job for this config; relative paths in the config are relative to `workdir` (default: current directory)."""
    sched = settings.schedule
    config = Path(config_path or settings.config_path or default_config_path()).expanduser().absolute()
    workdir = Path(workdir or sched.workdir or os.getcwd()).expanduser().absolute()
    log_dir = absolute_path(sched.log_file, workdir).parent
    return Job(saigawatch_executable(), config, workdir, absolute_path(sched.env_file, workdir), log_dir / CRON_OUTPUT, sched.time,
               sched.maintenance_time, sched.maintenance_weekday, absolute_path(sched.backup_dir, workdir),
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


def dst_warning() -> str | None:
    local = dt.datetime.now().astimezone().tzinfo
    year = dt.datetime.now().year
    offsets = {dt.datetime(year, m, 1, 12, tzinfo=dt.timezone.utc).astimezone(local).utcoffset() for m in (1, 7)}
    if len(offsets) > 1:
        return ("note: this server's time zone changes with daylight saving; cron uses local time, so the run "
                "will move by an hour twice a year (reinstall after the change, or use --systemd, which keeps UTC)")
    return None


def env_file_warnings(job: Job) -> list[str]:
    """What is wrong with the job's secrets file before it is installed (missing, readable by others)."""
    notes = []
    if job.env_file:
        if not job.env_file.exists():
            notes.append(f"warning: schedule.env_file {job.env_file} does not exist yet; the job will fail until it does")
        elif job.env_file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            notes.append(f"warning: {job.env_file} holds secrets but is readable by others: chmod 600 {job.env_file}")
    return notes


def cron_daemon_running() -> bool:
    """Whether a cron daemon (cron, crond, cronie, busybox crond) runs on this machine, from /proc."""
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in ("cron", "crond", "cronie"):
                return True
        except OSError:
            continue
    return False
