"""The run lock (clear refusal, no stale locks, orphaned children) and the rotating log file."""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from saigawatch.logs import CRON_OUTPUT, setup_file_logging
from saigawatch.runlock import RunLocked, read_holder, run_lock
from tests.ops_support import ops_settings


def test_second_run_is_refused_with_holder_details(tmp_path):
    lock = tmp_path / "run.lock"
    with run_lock(lock):
        holder = read_holder(lock)
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
        with pytest.raises(RunLocked, match=rf"another run is already running \(pid {os.getpid()} on "):
            with run_lock(lock):
                pass
    with run_lock(lock):  # released on exit
        pass


def test_settings_object_is_accepted(tmp_path):
    settings = ops_settings(tmp_path)
    with run_lock(settings) as path:
        assert str(path) == settings.schedule.lock_file


HOLDER = textwrap.dedent("""
    import os, sys, time
    from saigawatch.runlock import run_lock
    with run_lock(sys.argv[1]):
        child = os.fork()
        if child == 0:          # a leftover child (e.g. a hung crawler) that inherited the open lock file
            time.sleep(60)
            os._exit(0)
        print(child, flush=True)
        time.sleep(60)
""")


def test_lock_kept_by_an_orphaned_child_is_broken(tmp_path, caplog):
    lock = tmp_path / "run.lock"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdout=subprocess.PIPE, text=True,
                            cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.getcwd()})
    child = int(proc.stdout.readline())
    try:
        with pytest.raises(RunLocked):  # the run itself is alive: the lock holds
            with run_lock(lock):
                pass
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        time.sleep(0.1)
        with caplog.at_level(logging.WARNING, logger="saigawatch.runlock"):
            with run_lock(lock):
                assert read_holder(lock)["pid"] == os.getpid()
        assert "breaking the run lock" in caplog.text
    finally:
        os.kill(child, signal.SIGKILL)
        proc.stdout.close()


def test_rotating_log_file_and_unattended_stderr(tmp_path, monkeypatch):
    settings = ops_settings(tmp_path, schedule={"log_file": str(tmp_path / "log" / "sw.log"), "log_max_bytes": 10_000,
                                                "log_backups": 2})
    (tmp_path / "log").mkdir()
    (tmp_path / "log" / CRON_OUTPUT).write_bytes(b"x" * 20_000)
    root = logging.getLogger()
    stream = logging.StreamHandler(sys.stderr)
    root.addHandler(stream)
    saved_level = root.level
    monkeypatch.setenv("SAIGAWATCH_UNATTENDED", "1")
    try:
        path = setup_file_logging(settings)
        assert setup_file_logging(settings) == path  # only one handler, however often it is called
        assert sum(1 for h in root.handlers if h.name == "saigawatch-file") == 1
        assert stream.level == logging.WARNING  # stderr (cron's output file) keeps only warnings and errors
        log = logging.getLogger("saigawatch.test")
        for i in range(300):
            log.info("line %d: %s", i, "ж" * 40)
        for h in root.handlers:
            h.flush()
        assert path.exists() and (tmp_path / "log" / "sw.log.1").exists() and (tmp_path / "log" / "sw.log.2").exists()
        assert not (tmp_path / "log" / "sw.log.3").exists()
        assert path.stat().st_size <= 10_000
        assert "Z INFO" in path.read_text(encoding="utf-8").splitlines()[-1]  # UTC timestamps
        assert (tmp_path / "log" / (CRON_OUTPUT + ".1")).stat().st_size == 20_000
    finally:
        for h in list(root.handlers):
            if h.name == "saigawatch-file" or h is stream:
                root.removeHandler(h)
                h.close()
        root.setLevel(saved_level)


def test_waiting_for_the_lock(tmp_path):
    import threading

    lock = tmp_path / "run.lock"
    release = threading.Event()

    def hold():
        with run_lock(lock):
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    with pytest.raises(RunLocked, match=r"after waiting 0.5 s\.$"):
        with run_lock(lock, wait_s=0.5, poll_s=0.1):
            pass
    assert time.monotonic() - t0 >= 0.5
    threading.Timer(0.3, release.set).start()
    with run_lock(lock, wait_s=5, poll_s=0.1):  # acquired once the holder finishes
        assert read_holder(lock)["pid"] == os.getpid()
    holder.join()
