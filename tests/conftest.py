"""Shared fixtures: fresh databases on SQLite and on a real PostgreSQL server, settings, CLI runner."""
from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from config import Settings, load_config
from store import Store
from tests.postgres_server import PostgresServer, PostgresUnavailable

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_db_counter = itertools.count()


@pytest.fixture(scope="session", autouse=True)
def every_wacz_passes_the_reference_validator():
    """Every archive.wacz the suite builds is checked with py-wacz's `wacz validate` as it is built."""
    import alerts.evidence.export
    import alerts.evidence.wacz
    from tests.alerts.evidence.wacz_validator import validating

    with pytest.MonkeyPatch.context() as mp:
        checked = validating(alerts.evidence.wacz.build_wacz)
        mp.setattr(alerts.evidence.wacz, "build_wacz", checked)
        mp.setattr(alerts.evidence.export, "build_wacz", checked)
        yield


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the whole session; skipped (with the reason) outside CI if unavailable."""
    try:
        server = PostgresServer().start()
    except (PostgresUnavailable, OSError, RuntimeError) as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not available here: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server for the whole session; skipped outside CI if redis-server is not installed."""
    from tests.redis_server import RedisServer, RedisUnavailable

    try:
        server = RedisServer().start()
    except (RedisUnavailable, OSError, RuntimeError) as exc:
        if IN_CI:
            pytest.fail(f"redis-server is required in CI: {exc}")
        pytest.skip(f"redis-server not available here: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    """A URL to an empty database, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"t{os.getpid()}_{next(_db_counter)}")


@pytest.fixture
def store(db_url) -> Store:
    """An initialised (migrated) store on each backend."""
    s = Store(db_url)
    s.init()
    yield s
    s.dispose()


@pytest.fixture
def sqlite_store(tmp_path) -> Store:
    """An initialised SQLite store, for tests that need a store but not both backends."""
    s = Store(f"sqlite:///{tmp_path / 'test.db'}")
    s.init()
    yield s
    s.dispose()


@pytest.fixture
def settings(tmp_path) -> Settings:
    """The shipped config with storage redirected into the test's temp dir."""
    return load_config(overrides={
        "storage": {"database_path": str(tmp_path / "sw.db"), "data_dir": str(tmp_path / "var")},
        "schedule": {"lock_file": str(tmp_path / "run-daily.lock"), "log_file": str(tmp_path / "log" / "saigawatch.log")},
    })


@pytest.fixture
def config_file(tmp_path) -> Path:
    """A config YAML extending the shipped one, with storage in the temp dir; tests may append to it."""
    shipped = Path(__file__).resolve().parent.parent / "config" / "saigawatch.yaml"
    path = tmp_path / "saigawatch.yaml"
    path.write_text(
        f"extends: {shipped}\nstorage:\n  database_path: {tmp_path / 'sw.db'}\n  data_dir: {tmp_path / 'var'}\n"
        f"schedule:\n  lock_file: {tmp_path / 'run-daily.lock'}\n  log_file: {tmp_path / 'log' / 'saigawatch.log'}\n",
        encoding="utf-8",
    )
    return path


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI, a test skipped because a system package is missing fails instead: the project installs them."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and call.when in ("setup", "call"):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if "not installed" in reason or "needs root" in reason:
            report.outcome = "failed"
            report.longrepr = f"skipped in CI, but the project's install script should provide it: {reason}"
