"""Files SaigaWatch writes are 0600 in 0700 folders whatever the umask; doctor reports looser ones; backups keep
the session secret out, or encrypted with a passphrase."""
from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from alerts.web.security import SECRET_KEY_FILE, load_secret_key
from config import load_config
from saigawatch.cli import app
from saigawatch.ops.backup import BackupError, create_backup, read_manifest, restore_backup, verify_backup
from store import Store

PASSPHRASE = "correct horse battery staple"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def saigawatch(config: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real CLI in a child process started with a loose umask (022), as a normal shell would."""
    return subprocess.run([sys.executable, "-m", "saigawatch", "-c", str(config), *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})}, preexec_fn=lambda: os.umask(0o022))


@pytest.fixture
def installed(config_file, monkeypatch):
    """An initialised installation with its session secret (set up in this process)."""
    monkeypatch.delenv("SAIGAWATCH_SECRET_KEY", raising=False)
    monkeypatch.delenv("SAIGAWATCH_BACKUP_PASSPHRASE", raising=False)
    settings = load_config(config_file)
    store = Store.from_settings(settings)
    store.init()
    load_secret_key(settings)
    yield settings, store
    store.dispose()


def doctor(config: Path, *args: str):
    return CliRunner().invoke(app, ["-c", str(config), "doctor", *args])


def test_everything_written_is_private_whatever_the_umask(config_file, tmp_path, monkeypatch):
    monkeypatch.delenv("SAIGAWATCH_SECRET_KEY", raising=False)
    assert saigawatch(config_file, "init").returncode == 0
    settings = load_config(config_file)
    old = os.umask(0o022)
    try:  # the review UI's first start, in a loose-umask process
        load_secret_key(settings)
    finally:
        os.umask(old)
    assert saigawatch(config_file, "backup").returncode == 0  # also writes the log file
    db = tmp_path / "sw.db"
    old = os.umask(0o022)
    try:  # a writer in a loose-umask process: SQLite gives -wal/-shm the database file's mode
        con = sqlite3.connect(db)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE IF NOT EXISTS probe (x)")
        con.execute("INSERT INTO probe VALUES (1)")
        con.commit()
        for side in ("-wal", "-shm"):
            assert _mode(db.with_name(db.name + side)) == 0o600
    finally:
        os.umask(old)
        con.close()
    data = settings.storage.data_path
    log = Path(settings.schedule.log_file)
    backups = list((data / "backups").glob("*.tar"))
    assert backups and log.exists()
    for path in (db, log, backups[0], data / SECRET_KEY_FILE):
        assert _mode(path) == 0o600, path
    for folder in (data, data / "backups", log.parent):
        assert _mode(folder) == 0o700, folder
    with tarfile.open(backups[0]) as tar:
        assert all(m.mode == 0o600 for m in tar.getmembers())
    result = doctor(config_file)
    assert result.exit_code == 0 and "permissions OK" in result.output, result.output


def test_doctor_reports_and_fixes_loose_permissions(installed, config_file, tmp_path):
    data = installed[0].storage.data_path
    loose_file = data / "warc" / "old.warc.gz"
    loose_file.parent.mkdir(parents=True)
    loose_file.write_bytes(b"x")
    os.chmod(loose_file, 0o644)
    os.chmod(loose_file.parent, 0o755)
    os.chmod(tmp_path / "sw.db", 0o664)
    result = doctor(config_file)
    assert result.exit_code == 1
    assert f"{loose_file}: file mode 0644, expected 0600" in result.output
    assert f"{loose_file.parent}: folder mode 0755, expected 0700" in result.output
    assert f"{tmp_path / 'sw.db'}: file mode 0664" in result.output
    assert doctor(config_file, "--fix").exit_code == 0
    assert _mode(loose_file) == 0o600 and _mode(loose_file.parent) == 0o700 and _mode(tmp_path / "sw.db") == 0o600
    assert doctor(config_file).exit_code == 0


def test_backups_leave_out_the_session_secret_or_encrypt_it(installed, tmp_path, monkeypatch):
    settings, store = installed
    secret = (settings.storage.data_path / SECRET_KEY_FILE).read_bytes()
    plain = create_backup(settings, store, tmp_path / "plain.tar")
    assert plain.secrets == "left out"
    with tarfile.open(plain.path) as tar:
        assert not any(SECRET_KEY_FILE in n for n in tar.getnames())
        assert all(secret.strip() not in tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())

    monkeypatch.setenv("SAIGAWATCH_BACKUP_PASSPHRASE", PASSPHRASE)
    sealed = create_backup(settings, store, tmp_path / "sealed.tar")
    assert sealed.secrets == "encrypted"
    with tarfile.open(sealed.path) as tar:
        assert f"secrets/{SECRET_KEY_FILE}.enc" in tar.getnames()
        assert all(secret.strip() not in tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())
    assert verify_backup(sealed.path)[0] == len(read_manifest(sealed.path)["files"])

    restored = restore_backup(sealed.path, tmp_path / "r1")
    assert restored.secrets == "restored"
    assert (tmp_path / "r1" / SECRET_KEY_FILE).read_bytes() == secret and _mode(tmp_path / "r1" / SECRET_KEY_FILE) == 0o600
    monkeypatch.setenv("SAIGAWATCH_BACKUP_PASSPHRASE", "not the passphrase at all")
    with pytest.raises(BackupError, match="wrong passphrase"):
        restore_backup(sealed.path, tmp_path / "r2")
    monkeypatch.delenv("SAIGAWATCH_BACKUP_PASSPHRASE")
    without = restore_backup(sealed.path, tmp_path / "r3")
    assert without.secrets.startswith("left out") and not (tmp_path / "r3" / SECRET_KEY_FILE).exists()
    monkeypatch.setenv("SAIGAWATCH_BACKUP_PASSPHRASE", "short")
    with pytest.raises(BackupError, match="too short"):
        create_backup(settings, store, tmp_path / "short.tar")
