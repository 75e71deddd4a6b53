"""The audit log: server times, a separate user-given time, a hash chain that `saigawatch audit verify` checks."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from alerts.evidence.keys import generate_key
from alerts.review.appeals import create_appeal, update_appeal
from alerts.review.audit import record_event
from config import load_config
from saigawatch.cli import app
from store.audit_chain import GENESIS, verify_chain
from store.listings import upsert_listing
from store.models import AuditEvent


def _events(store, n=3):
    with store.session() as s:
        for i in range(n):
            record_event(s, "anna", "review", "listing", i, {"decision": "sale", "n": i})
    with store.session() as s:
        record_event(s, "boss", "user.create", "user", "vera", {"role": "viewer"})
        record_event(s, "boss", "user.role", "user", "vera", {"role": "analyst"})


def test_entries_are_chained_in_order(store):
    _events(store)
    with store.session() as s:
        rows = s.query(AuditEvent).order_by(AuditEvent.id).all()
        assert rows[0].prev_hash == GENESIS
        assert all(b.prev_hash == a.entry_hash for a, b in zip(rows, rows[1:]))
        report = verify_chain(s)
    assert report.ok and report.entries == 5 and report.head == rows[-1].entry_hash


def test_the_log_is_append_only(store):
    _events(store, 1)
    with store.engine.begin() as conn, pytest.raises(DatabaseError, match="append-only"):
        conn.execute(text("UPDATE audit_log SET actor = 'mallory'"))
    with store.engine.begin() as conn, pytest.raises(DatabaseError, match="append-only"):
        conn.execute(text("DELETE FROM audit_log"))


def _drop_guard(store):
    with store.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_verify_finds_a_changed_and_a_removed_entry(sqlite_store):
    store = sqlite_store
    _events(store)
    _drop_guard(store)  # someone with direct database access
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET details = '{\"decision\": \"not_trade\", \"n\": 1}' WHERE id = 2"))
        conn.execute(text("DELETE FROM audit_log WHERE id = 4"))
    with store.session() as s:
        report = verify_chain(s)
    assert not report.ok
    assert [i for i, _ in report.problems] == [2, 5]
    assert "changed" in report.problems[0][1] and "removed" in report.problems[1][1]


def _cli(tmp_path, store, *args):
    config = tmp_path / "saigawatch.yaml"
    config.write_text(f"storage:\n  database_path: {store.engine.url.database}\n  data_dir: {tmp_path / 'data'}\n",
                      encoding="utf-8")
    return CliRunner().invoke(app, ["--config", str(config), *args], env={"SAIGAWATCH_DATABASE_URL": ""})


def test_cli_verify_reports_ok_and_broken(tmp_path, sqlite_store):
    store = sqlite_store
    _events(store)
    ok = _cli(tmp_path, store, "audit", "verify", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["ok"] is True and json.loads(ok.output)["entries"] == 5
    _drop_guard(store)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 3"))
    broken = _cli(tmp_path, store, "audit", "verify")
    assert broken.exit_code == 3 and "audit entry 3" in broken.output and "BROKEN" in broken.output


def test_backdated_appeal_step_keeps_the_server_time(sqlite_store, tmp_path):
    store = sqlite_store
    key = generate_key(tmp_path / "keys" / "signing_key.pem")  # the submission's custody links are signed with it
    settings = load_config(overrides={"evidence": {"signing_key_path": str(key.private_path)}})
    with store.session() as s:
        listing = upsert_listing(s, {"platform": "olx", "platform_listing_id": "a1", "url": "https://www.olx.kz/d/a1",
                                     "title": "Рога сайги", "text": "Продам рога сайги"}).listing
        appeal = create_appeal(s, case_name="Дело 1", listing_ids=[listing.id], actor="anna", country="KZ")
        backdated = dt.datetime(2026, 1, 5, 12, tzinfo=dt.timezone.utc)
        update_appeal(s, appeal.id, actor="anna", status="submitted", at=backdated, settings=settings)
    with store.session() as s:
        rows = s.query(AuditEvent).order_by(AuditEvent.id).all()
        assert [r.action for r in rows] == ["appeal_create", "appeal_update"]
        assert rows[1].happened_at == backdated and rows[1].at > backdated + dt.timedelta(days=300)
        assert rows[0].at <= rows[1].at  # server times run in order
        assert verify_chain(s).ok


def test_a_failed_write_leaves_the_chain_intact(sqlite_store):
    store = sqlite_store
    _events(store, 1)
    with pytest.raises(Exception):
        with store.session() as s:
            record_event(s, "anna", "review", "listing", 1, {"decision": "sale"})
            s.flush()
            raise RuntimeError("the request failed after the audit entry was written")
    with store.session() as s:  # several entries in one flush, after the rolled-back one
        for i in range(3):
            record_event(s, "anna", "review", "listing", i, {"decision": "unsure"})
    with store.session() as s:
        report = verify_chain(s)
    assert report.ok and report.entries == 6
