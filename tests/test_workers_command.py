"""`saigawatch worker` / `workers` refuse clearly when distributed mode is off or Redis is not configured."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(config: Path, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if k != "SAIGAWATCH_REDIS_URL"}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "saigawatch", "--config", str(config), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [("workers",), ("worker", "--role", "crawl")])
def test_off_by_default(config_file, args):
    out = _run(config_file, *args)
    assert out.returncode != 0
    assert "distributed.enabled is false" in out.stderr


def test_missing_redis_url_names_the_variable(config_file):
    config_file.write_text(config_file.read_text() + "distributed:\n  enabled: true\n", encoding="utf-8")
    out = _run(config_file, "workers")
    assert out.returncode != 0
    assert "SAIGAWATCH_REDIS_URL" in out.stderr and "distributed.redis_url_env" in out.stderr


def test_unreachable_redis_is_one_clear_line_without_the_password(config_file):
    config_file.write_text(config_file.read_text() + "distributed:\n  enabled: true\n", encoding="utf-8")
    out = _run(config_file, "workers", env_extra={"SAIGAWATCH_REDIS_URL": "redis://:s3cret@127.0.0.1:1/0"})
    assert out.returncode != 0
    assert "cannot reach Redis" in out.stderr and "s3cret" not in out.stderr


def test_status_and_failed_job_retry_and_drop(redis_server, config_file):
    from redis import Redis

    from saigawatch.distributed import status
    from saigawatch.distributed.queues import queue

    conn = Redis.from_url(redis_server.url)
    q = queue(conn, "capture")
    job = q.enqueue("saigawatch.distributed.jobs.capture_listings", 1, [1], "x", job_id="status-test")
    q.remove(job)  # make it a failed job without running it
    from rq.registry import FailedJobRegistry

    FailedJobRegistry(queue=q).add(job, ttl=600, exc_string="boom")
    assert [f["id"] for f in status.failed_jobs(conn)] == ["status-test"]
    assert status.queue_lengths(conn)["capture"]["failed"] == 1
    with pytest.raises(KeyError, match="no failed job nope"):
        status.retry_failed(conn, ["nope"])
    assert status.retry_failed(conn, ["status-test"]) == ["status-test"]
    assert status.queue_lengths(conn)["capture"] == {"queued": 1, "running": 0, "failed": 0}
    q.remove(job)
    FailedJobRegistry(queue=q).add(job, ttl=600, exc_string="boom")
    assert status.drop_failed(conn, None) == ["status-test"]
    assert status.failed_jobs(conn) == []
    conn.flushdb()
