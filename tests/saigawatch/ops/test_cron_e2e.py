"""The scheduled job run exactly as cron runs it: /bin/sh, no tty, a bare environment, another working directory.

Against the demo marketplace and a real SMTP server on loopback: the digest arrives, a source whose markup
"changed" shows up as a health alert, logs land in the rotating file, and an overlapping run is refused.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import subprocess
import sys
from pathlib import Path

import pytest

from demo_marketplace.server import serve_in_thread
from saigawatch.runlock import run_lock
from tests.ops_support import MailSink, authenticator, free_port

pytestmark = pytest.mark.slow
SHIPPED = Path(__file__).resolve().parents[3] / "config" / "saigawatch.yaml"
SAIGAWATCH = str(Path(sys.executable).parent / "saigawatch")


@pytest.fixture
def mail():
    from aiosmtpd.controller import Controller

    sink, port = MailSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticator("robot", "s3cret"),
                            auth_require_tls=False)
    controller.start()
    yield port, sink
    controller.stop()


def _as_cron(line: str, home: Path) -> subprocess.CompletedProcess:
    """Run a crontab line the way cron(8) does: the command part through /bin/sh -c, from HOME, with
    only cron's environment, no terminal and no stdin."""
    command = line.split(None, 5)[5].replace("\\%", "%")
    env = {"HOME": str(home), "LOGNAME": "root", "USER": "root", "SHELL": "/bin/sh", "PATH": "/usr/bin:/bin"}
    return subprocess.run(["/bin/sh", "-c", command], cwd=home, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, start_new_session=True, timeout=240)


def _config(path: Path, base: str, smtp_port: int, env_file: Path) -> None:
    path.write_text(f"""extends: {SHIPPED}
storage: {{database_path: ./data/saigawatch.db, data_dir: ./data}}
crawl: {{politeness: {{download_delay: 0, obey_robots_txt: false}}}}
classifier: {{lexicon_dir: {SHIPPED.parent / "lexicons"}}}
sources:
  - {{name: olx-kz-ru, platform: olx, site: kz, language: ru, queries: ["рога сайги"], base_url: "{base}/olx-kz", max_pages: 2}}
  - {{name: avito-ru, platform: avito, language: ru, queries: ["рога сайги"], base_url: "{base}/avito", max_pages: 1}}
  # a "broken spider": the site changed its markup (here: Avito's spider meets OLX's pages)
  - {{name: avito-broken, platform: avito, language: ru, queries: ["рога сайги"], base_url: "{base}/olx-kz", max_pages: 1}}
notify:
  smtp: {{enabled: true, host: 127.0.0.1, port: {smtp_port}, recipients: [analysts@ngo.example]}}
web: {{public_url: "https://watch.ngo.example"}}
evidence: {{steps: [warc, context, environment]}}
schedule: {{time: "05:00", log_file: log/saigawatch.log, lock_file: run/run-daily.lock, backup_dir: backups,
            env_file: {env_file}}}
""", encoding="utf-8")


def test_scheduled_run_as_cron_runs_it(tmp_path, mail):
    smtp_port, sink = mail
    workdir, home, etc = tmp_path / "srv", tmp_path / "home", tmp_path / "etc"
    for d in (workdir, home, etc):
        d.mkdir()
    config = etc / "saigawatch.yaml"
    secrets = etc / "secrets.env"  # the only way secrets reach cron's bare environment
    secrets.write_text("SAIGAWATCH_SMTP_USER=robot\nSAIGAWATCH_SMTP_PASSWORD='s3cret'\n", encoding="utf-8")
    secrets.chmod(0o600)
    with serve_in_thread() as base:
        _config(config, str(base), smtp_port, secrets)
        subprocess.run([SAIGAWATCH, "--config", str(config), "init"], cwd=workdir, check=True, capture_output=True)
        lines = subprocess.run([SAIGAWATCH, "--config", str(config), "schedule", "show", "--line", "--workdir", str(workdir)],
                               cwd=tmp_path, check=True, capture_output=True, text=True).stdout.strip().splitlines()
        line, weekly = lines
        assert line.split()[:5][2:] == ["*", "*", "*"] and f"--config {config} run-daily" in line

        result = _as_cron(line, home)
        output = (workdir / "log" / "cron-output.log").read_text(encoding="utf-8")
        assert result.returncode == 0, output[-3000:]
        assert "Traceback" not in output

        # the digest reached the SMTP server, logged in with the credentials from the secrets file
        assert len(sink.messages) == 1 and sink.logins == ["robot"]
        message = email.message_from_bytes(sink.messages[0].original_content, policy=email.policy.default)
        assert message["Subject"].startswith("[SaigaWatch] ") and "на проверку" in message["Subject"]  # ru by default
        assert message["To"] == "analysts@ngo.example"
        mail_text = message.get_body(("plain",)).get_content()
        assert "https://watch.ngo.example/listings/" in mail_text
        # the broken source is a health alert (zero yield, "the site's markup may have changed"), worded in Russian
        assert "avito-broken: не найдено ни одного объявления: возможно, изменилась разметка сайта" in mail_text
        assert not [s for s in ("olx-kz-ru", "avito-ru") for w in ("найдено", "не найдено") if f"{s}: {w}" in mail_text]

        # everything ran relative to the configured working directory, logs in the rotating file
        assert (workdir / "data" / "saigawatch.db").exists() and not (home / "data").exists()
        log = (workdir / "log" / "saigawatch.log").read_text(encoding="utf-8")
        assert "step notify: done" in log and "notify: email sent to 1 recipient(s)" in log
        assert "step crawl: starting" not in output  # unattended: INFO goes to the log file, not cron's output

        # a report for the demo period renders from what the run stored
        today = dt.datetime.now(dt.timezone.utc).date().isoformat()
        for fmt in ("pdf", "csv"):
            out = subprocess.run([SAIGAWATCH, "--config", str(config), "report", "--from", today, "--to", today,
                                  "--format", fmt, "-o", str(tmp_path / f"report.{fmt}")],
                                 cwd=workdir, capture_output=True, text=True)
            assert out.returncode == 0, out.stderr
        assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF-")
        report_csv = (tmp_path / "report.csv").read_text(encoding="utf-8-sig")
        assert "by_platform,olx," in report_csv and "by_platform,avito," in report_csv

        # an overlapping run is refused with a clear message and does nothing
        with run_lock(workdir / "run" / "run-daily.lock"):
            second = _as_cron(line, home)
        assert second.returncode != 0
        tail = (workdir / "log" / "cron-output.log").read_text(encoding="utf-8")
        assert "another run is already running" in tail and "This run exits without doing anything" in tail
        assert len(sink.messages) == 1

        # the weekly maintenance job: a backup into the configured directory, then the retention purge
        maintenance = _as_cron(weekly, home)
        assert maintenance.returncode == 0, (workdir / "log" / "cron-output.log").read_text(encoding="utf-8")[-2000:]
        backups = list((workdir / "backups").glob("saigawatch-backup-*.tar"))
        assert len(backups) == 1 and backups[0].stat().st_size > 100_000
        assert "retention" in (workdir / "log" / "cron-output.log").read_text(encoding="utf-8")
