"""The CLI side of the review UI: users, queue, export and serve."""
from __future__ import annotations

import csv
import io
import json

import pytest

from saigawatch.cli import app as cli_app, main
from store import Store
from store.models import AuditEvent, User

from .conftest import NOW, add_listing


@pytest.fixture
def cli_config(config_file):
    assert main(["--config", str(config_file), "init"]) == 0
    return config_file


def _store(config_file):
    from config import load_config

    return Store.from_settings(load_config(config_file))


def test_users_add_list_disable_passwd(cli_config, capsys, monkeypatch):
    cfg = ["--config", str(cli_config)]
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main([*cfg, "users", "add", "olga", "--role", "admin", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main([*cfg, "users", "add", "pavel", "--password-stdin"]) == 1
    assert "too short" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert main([*cfg, "users", "add", "olga", "--password-stdin"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main([*cfg, "users", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["username"] == "olga" and rows[0]["role"] == "admin" and rows[0]["state"] == "active"
    assert main([*cfg, "users", "disable", "olga"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("another-password\n"))
    assert main([*cfg, "users", "passwd", "olga", "--password-stdin"]) == 0
    assert main([*cfg, "users", "disable", "nobody"]) == 1
    assert "no user named 'nobody'" in capsys.readouterr().err
    store = _store(cli_config)
    with store.session() as s:
        assert s.query(User).filter_by(username="olga").one().disabled
        actions = [e.action for e in s.query(AuditEvent).order_by(AuditEvent.id)]
        assert actions == ["user.create", "user.disable", "user.password"]
    store.dispose()


def _seed(cli_config):
    store = _store(cli_config)
    with store.session() as s:
        add_listing(s, "q1", "Продам рога сайги", "Продам рога сайги", score=0.9)
        add_listing(s, "q2", "Рога антилопы", "рога антилопы", score=0.6, platform="avito")
        add_listing(s, "q3", "Карабин Сайга", "карабин", score=0.1, flagged=False)
    store.dispose()


def test_queue_prints_todays_flagged_listings(cli_config, capsys):
    _seed(cli_config)
    cfg = ["--config", str(cli_config)]
    assert main([*cfg, "queue", "--day", NOW.date().isoformat()]) == 0
    out = capsys.readouterr().out
    assert "2 cases" in out and out.index("Продам рога сайги") < out.index("Рога антилопы")
    assert "Карабин" not in out
    assert main([*cfg, "queue", "--json", "--platform", "avito"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [i["platform_listing_id"] for i in data["items"]] == ["q2"] and data["counts"]["unreviewed"] == 1
    assert main([*cfg, "queue", "--day", "yesterday"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_export_csv_and_json(cli_config, tmp_path, capsys):
    _seed(cli_config)
    cfg = ["--config", str(cli_config)]
    out_csv = tmp_path / "out" / "flags.csv"
    assert main([*cfg, "export", "--format", "csv", "--output", str(out_csv)]) == 0
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert sorted(r["platform_listing_id"] for r in rows) == ["q1", "q2"]
    assert rows[0]["flagged"] == "True" and "рога сайги" in rows[0]["matched_terms"]
    assert main([*cfg, "export", "--format", "json", "--all"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 3 and {d["platform_listing_id"] for d in data} == {"q1", "q2", "q3"}
    assert data[0]["score"] == 0.9 and data[0]["decision"] is None
    store = _store(cli_config)
    with store.session() as s:
        exports = s.query(AuditEvent).filter_by(action="export").all()
        assert [e.details["rows"] for e in exports] == [2, 3]
    store.dispose()
    assert main([*cfg, "export", "--since", "soon"]) == 1


def test_serve_has_host_and_port_options():
    params = {p.name for p in cli_app.commands["serve"].params}
    assert {"host", "port"} <= params


def test_serve_refuses_an_uninitialised_database(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"storage:\n  database_path: {tmp_path / 'none.db'}\n  data_dir: {tmp_path / 'var'}\n", encoding="utf-8")
    assert main(["--config", str(cfg), "serve"]) == 2
    assert "saigawatch init" in capsys.readouterr().err
