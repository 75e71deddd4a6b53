"""`saigawatch schedule`: crontab text handling, a real crontab(1) for a throwaway user, systemd units."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from config import load_config
from saigawatch.cli import app
from saigawatch.ops.schedule import MARKER, build_job, install_block, installed_line, remove_block, systemd_units

OTHER = "# backups\n30 2 * * * /usr/local/bin/backup-home\nMAILTO=admin@example.org\n"


def _job(config_file: Path, workdir: Path, **schedule):
    settings = load_config(config_file, overrides={"schedule": schedule} if schedule else None)
    return build_job(settings, config_file, workdir)


def test_install_is_idempotent_and_keeps_other_lines(config_file, tmp_path):
    job = _job(config_file, tmp_path, time="05:30")
    once = install_block(OTHER, job)
    assert once.startswith(OTHER)
    assert install_block(once, job) == once
    assert once.count(MARKER) == 2  # the daily run and the weekly maintenance (retention) job
    assert installed_line(once, job, maintenance=True) == job.maintenance_line()
    assert job.maintenance_line().split()[2:5] == ["*", "*", str(job.cron_time(None, "03:00", 0)[2])]
    line = installed_line(once, job)
    minute, hour = job.cron_time()  # cron runs on the server's local clock
    assert line.startswith(f"{minute} {hour} * * * cd ")
    assert job.cron_time(dt.timezone(dt.timedelta(hours=5))) == (30, 10)  # 05:30 UTC on a UTC+5 server
    assert job.cron_time(dt.timezone(dt.timedelta(hours=-3, minutes=-30))) == (0, 2)
    assert f"--config {config_file}" in line and "run-daily" in line and ">> " in line
    assert line.split()[5:7] == ["cd", str(tmp_path)]
    # a changed time replaces the entry instead of adding a second one
    later_job = _job(config_file, tmp_path, time="07:15")
    later = install_block(once, later_job)
    assert later.count(MARKER) == 2 and installed_line(later, job) == later_job.cron_line()


def test_remove_only_removes_ours(config_file, tmp_path):
    mine = _job(config_file, tmp_path)
    other_cfg = tmp_path / "other.yaml"
    other_cfg.write_text(config_file.read_text(), encoding="utf-8")
    theirs = _job(other_cfg, tmp_path)
    both = install_block(install_block(OTHER, mine), theirs)
    assert both.count(MARKER) == 4
    after, removed = remove_block(both, mine.marker)
    assert removed == 2 and installed_line(after, theirs) and installed_line(after, mine) is None
    assert installed_line(after, theirs, maintenance=True) and after.startswith(OTHER)
    cleared, removed = remove_block(both, None)
    assert removed == 4 and cleared == OTHER


def test_command_uses_absolute_paths_and_env_file(config_file, tmp_path):
    env = tmp_path / "secrets.env"
    job = _job(config_file, tmp_path, env_file=str(env), log_file="logs/sw.log")
    cmd = job.command()
    assert job.executable[0].startswith("/") and Path(job.executable[0]).exists()
    assert f"set -a && . {env} && set +a" in cmd
    assert f">> {tmp_path}/logs/cron-output.log 2>&1" in cmd
    assert "SAIGAWATCH_UNATTENDED=1" in cmd


def test_weekly_maintenance_backup_then_retention(config_file, tmp_path):
    job = _job(config_file, tmp_path, backup_dir="backups", backup_keep=4, maintenance_time="23:30",
               maintenance_weekday=0)
    cmd = job.maintenance_command()
    assert f"backup --output {tmp_path}/backups --keep 4" in cmd
    assert cmd.index(" backup ") < cmd.index(" retention ")  # back up before purging
    # 23:30 UTC on Sunday is 04:30 on Monday for a UTC+5 server
    assert job.cron_time(dt.timezone(dt.timedelta(hours=5)), "23:30", 0) == (30, 4, 1)
    assert job.maintenance_line(dt.timezone(dt.timedelta(hours=5))).startswith("30 4 * * 1 cd ")
    from config import load_config as _load
    off = build_job(_load(config_file, overrides={"retention": {"enabled": False}}), config_file, tmp_path)
    assert off.maintenance_command() is None and off.cron_block().count(MARKER) == 1


def test_systemd_units(config_file, tmp_path):
    units = systemd_units(_job(config_file, tmp_path, time="04:10", env_file="/etc/saigawatch.env"))
    service, timer = units["saigawatch-daily.service"], units["saigawatch-daily.timer"]
    assert "Type=oneshot" in service and f"WorkingDirectory={tmp_path}" in service
    assert f"--config {config_file} run-daily" in service and "EnvironmentFile=-/etc/saigawatch.env" in service
    assert "OnCalendar=*-*-* 04:10:00 UTC" in timer and "Persistent=true" in timer
    out = CliRunner().invoke(app, ["--config", str(config_file), "schedule", "install", "--systemd",
                                   "--unit-dir", str(tmp_path / "units"), "--workdir", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "units" / "saigawatch-daily.timer").read_text() == timer.replace("04:10", "06:00")
    maintenance = (tmp_path / "units" / "saigawatch-maintenance.timer").read_text()
    assert "OnCalendar=Sun *-*-* 03:00:00 UTC" in maintenance
    assert "ExecStart=" in (tmp_path / "units" / "saigawatch-maintenance.service").read_text()


@pytest.fixture
def cron_user():
    """A throwaway system user, so crontab(1) is exercised for real without touching root's crontab."""
    if os.geteuid() != 0 or not shutil.which("useradd") or not shutil.which("crontab"):
        pytest.skip("needs root, useradd and crontab(1) (Debian 'cron')")
    name = f"swcron{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True,
                   capture_output=True)
    try:
        yield name
    finally:
        subprocess.run(["crontab", "-u", name, "-r"], capture_output=True)
        subprocess.run(["userdel", name], capture_output=True)


def test_real_crontab_cycle(cron_user, config_file, tmp_path):
    def crontab() -> str:
        r = subprocess.run(["crontab", "-u", cron_user, "-l"], capture_output=True, text=True)
        return r.stdout if r.returncode == 0 else ""

    subprocess.run(["crontab", "-u", cron_user, "-"], input=OTHER, text=True, check=True)
    runner = CliRunner()
    base = ["--config", str(config_file), "schedule"]
    opts = ["--user", cron_user, "--workdir", str(tmp_path)]
    r = runner.invoke(app, [*base, "install", *opts])
    assert r.exit_code == 0, r.output
    assert "installed: run-daily every day at 06:00 UTC" in r.output
    table = crontab()
    assert table.startswith(OTHER) and table.count(MARKER) == 2
    r = runner.invoke(app, [*base, "install", *opts])
    assert "already installed" in r.output and crontab() == table
    r = runner.invoke(app, [*base, "show", *opts])
    assert "status: installed" in r.output
    r = runner.invoke(app, [*base, "show", "--line", *opts])
    daily, weekly = r.output.strip().splitlines()
    assert daily in table and weekly in table and " retention " in weekly
    r = runner.invoke(app, [*base, "remove", *opts])
    assert r.exit_code == 0 and "removed 2 SaigaWatch entries" in r.output
    assert crontab() == OTHER
    r = runner.invoke(app, [*base, "remove", *opts])
    assert "nothing changed" in r.output
    # root's own crontab was never touched
    assert cron_user not in subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout


def test_check_reports_problems_and_sends_a_test_digest(config_file, tmp_path, monkeypatch):
    from aiosmtpd.controller import Controller

    from tests.ops_support import MailSink, authenticator, free_port

    monkeypatch.chdir(tmp_path)  # `check` moves into the job's working directory
    for name in ("SAIGAWATCH_SMTP_USER", "SAIGAWATCH_SMTP_PASSWORD"):  # `check` loads the secrets file into
        monkeypatch.setenv(name, "-")                                   # the environment: restore it afterwards
        monkeypatch.delenv(name)
    sink, port = MailSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticator("robot", "pw"),
                            auth_require_tls=False)
    controller.start()
    try:
        env_file = tmp_path / "secrets.env"
        env_file.write_text("export SAIGAWATCH_SMTP_USER=robot\n", encoding="utf-8")
        env_file.chmod(0o644)
        site = tmp_path / "site.yaml"  # on top of config_file: a second schedule block in it would be a duplicate key
        site.write_text(f"extends: {config_file}\n"
                        f"schedule: {{env_file: {env_file}, lock_file: {tmp_path}/run.lock, log_file: {tmp_path}/log/sw.log}}\n"
                        f"notify: {{smtp: {{enabled: true, port: {port}, recipients: [a@ngo.test]}}}}\n", encoding="utf-8")
        config_file = site
        runner = CliRunner()
        base = ["--config", str(config_file), "schedule", "check", "--workdir", str(tmp_path)]
        r = runner.invoke(app, base)
        assert r.exit_code == 1
        assert "[FAIL] database" in r.output and "saigawatch init" in r.output
        assert "[warn] " in r.output and "chmod 600" in r.output
        assert "[FAIL] SAIGAWATCH_SMTP_PASSWORD is not set" in r.output
        runner.invoke(app, ["--config", str(config_file), "init"])
        env_file.write_text("SAIGAWATCH_SMTP_USER=robot\nSAIGAWATCH_SMTP_PASSWORD='pw'\n", encoding="utf-8")
        env_file.chmod(0o600)
        r = runner.invoke(app, [*base, "--notify"])
        assert "[ok  ] secrets file" in r.output and "SAIGAWATCH_SMTP_PASSWORD" in r.output
        assert "[ok  ] database" in r.output and "[warn] no run yet" in r.output
        assert "[ok  ] test digest via email: sent" in r.output, r.output
        assert r.exit_code == 0 and "ready for unattended runs" in r.output
        sent = email.message_from_bytes(sink.messages[0].original_content, policy=email.policy.default)
        assert sent["Subject"].startswith("[SaigaWatch] тест ") and sink.logins == ["robot"]  # notify.language: ru
    finally:
        controller.stop()
