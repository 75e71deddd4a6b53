"""Unsigned custody entries from before migration 0004 export and verify as such; later unsigned ones are refused."""
import datetime as dt
import json

import pytest
import sqlalchemy as sa
from alembic import command

from alerts.evidence import custody
from alerts.evidence.capture import run_capture
from alerts.evidence.export import ExportError, export_case
from alerts.evidence.hashing import canonical_json, sha256_bytes
from alerts.evidence.manifest import iso
from alerts.evidence.verify import Trust, verify_bundle
from saigawatch.cli import main
from store import Store
from store.db import alembic_config, make_engine
from store.models import CustodyEvent, Listing, UTCDateTime
from tests.alerts.evidence.conftest import make_settings
from tests.alerts.evidence.helpers import store_listing
from tests.alerts.evidence.tamper import read, rewrite

OLD = dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.timezone.utc)
STEPS = ["warc", "context", "environment", "sign"]


def _store_from_before_0004(settings) -> Store:
    """A database that ran migrations up to 0003, holding one listing with two unsigned custody entries, then
    upgraded to the newest migration as an installer's `saigawatch init` does."""
    url = settings.storage.database_url()
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0003_audit_chain")
    listings = sa.table("listings", *(sa.column(c) for c in ("id", "platform", "platform_listing_id", "url", "title",
                                                             "text", "content_hash")),
                        sa.column("phones", sa.JSON), sa.column("handles", sa.JSON), sa.column("extra", sa.JSON),
                        sa.column("first_seen", UTCDateTime), sa.column("last_seen", UTCDateTime))
    events = sa.table("custody_events", *(sa.column(c) for c in ("listing_id", "actor", "action", "prev_hash",
                                                                 "entry_hash")),
                      sa.column("details", sa.JSON), sa.column("at", UTCDateTime))
    with engine.begin() as conn:
        conn.execute(listings.insert().values(id=1, platform="olx", platform_listing_id="OLD-1", url="http://old",
                                              title="old", text="", content_hash="x", phones=[], handles=[], extra={},
                                              first_seen=OLD, last_seen=OLD))
        prev = None
        for n, (action, actor) in enumerate([("captured", "crawler-bot"), ("reviewed", "aigerim")]):
            entry = {"listing": "olx:OLD-1", "at": iso(OLD + dt.timedelta(hours=n)), "actor": actor,
                     "action": action, "details": {"n": n}, "prev_hash": prev}
            entry["entry_hash"] = custody.entry_hash(entry)
            conn.execute(events.insert().values(listing_id=1, at=OLD + dt.timedelta(hours=n), actor=actor,
                                                action=action, details={"n": n}, prev_hash=prev,
                                                entry_hash=entry["entry_hash"]))
            prev = entry["entry_hash"]
    engine.dispose()
    store = Store(url)
    store.init()
    return store


@pytest.fixture(scope="module")
def legacy_case(tmp_path_factory, signing_key, site):
    tmp = tmp_path_factory.mktemp("legacy")
    settings = make_settings(tmp, signing_key, steps=STEPS)
    store = _store_from_before_0004(settings)
    lid = store_listing(store, settings, site, "OLD-1")
    assert lid == 1
    run_capture(settings, store, lid, operator="aigerim")
    bundle = export_case(settings, store, [lid], "Дело до подписи", "aigerim")
    with store.session() as session:
        since = custody.signing_introduced(session)
    return settings, store, bundle, since


def test_migration_records_when_signing_was_introduced(legacy_case):
    _, store, _, since = legacy_case
    assert since is not None and since > OLD + dt.timedelta(hours=1)
    with store.session() as session:
        stored = session.scalars(sa.select(CustodyEvent).order_by(CustodyEvent.id)).all()
    assert [e.signature is None for e in stored][:2] == [True, True] and all(e.signature for e in stored[2:])


def test_old_unsigned_entries_are_exported_and_named_as_such(legacy_case, signing_key, capsys, config_file):
    _, _, bundle, since = legacy_case
    lines = [json.loads(x) for x in read(bundle, "custody.jsonl").decode().splitlines()]
    assert [x.get("signature_status") for x in lines[:2]] == [custody.LEGACY] * 2
    assert all(x["signature"] and "signature_status" not in x for x in lines[2:])
    assert json.loads(read(bundle, "manifest.json"))["custody"]["signing_introduced"] == iso(since)
    assert "2 recorded before signing was introduced (unsigned)" in read(bundle, "VERIFY.txt").decode()
    report = verify_bundle(bundle, trust=Trust.build(public_key=signing_key.public_path))
    assert report.status == "verified", report.problems
    assert sum(custody.LEGACY in n for n in report.notes) == 2
    assert any("2 recorded before signing was introduced" in n for n in report.notes)
    assert main(["--config", str(config_file), "evidence", "verify", str(bundle), "--public-key", str(signing_key.public_path), "--lang", "en"]) == 0
    assert "custody.jsonl line 1 (olx:OLD-1): 2025-03-01T09:30:00Z captured by crawler-bot: recorded before " \
           "signing was introduced (unsigned)" in capsys.readouterr().out


def _appended_unsigned(lines: list[dict], at: str) -> bytes:
    entry = {"listing": "olx:OLD-1", "at": at, "actor": "forger", "action": "note", "details": {"text": "x"},
             "prev_hash": lines[-1]["entry_hash"], "signature": None, "signature_status": custody.LEGACY}
    entry["entry_hash"] = custody.entry_hash(entry)
    return "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in [*lines, entry]).encode()


@pytest.mark.parametrize("at, why", [("2099-01-01T00:00:00Z", "after signing was introduced"),
                                     ("2025-03-01T08:00:00Z", "follows a signed entry")])
def test_an_unsigned_entry_appended_to_the_bundle_is_refused(legacy_case, signing_key, tmp_path, at, why):
    _, _, bundle, _ = legacy_case
    lines = [json.loads(x) for x in read(bundle, "custody.jsonl").decode().splitlines()]
    forged = rewrite(bundle, tmp_path / "forged.zip", change={"custody.jsonl": _appended_unsigned(lines, at)})
    report = verify_bundle(forged, trust=Trust.build(public_key=signing_key.public_path))
    assert report.status == "not_intact" and any(why in p for p in report.problems), report.problems


def test_an_old_unsigned_entry_edited_in_the_bundle_is_caught(legacy_case, signing_key, tmp_path):
    _, _, bundle, _ = legacy_case
    data = read(bundle, "custody.jsonl").replace(b'"crawler-bot"', b'"someone-else"', 1)
    report = verify_bundle(rewrite(bundle, tmp_path / "edited.zip", change={"custody.jsonl": data}),
                           trust=Trust.build(public_key=signing_key.public_path))
    assert any("line 1" in p and "entry was changed" in p for p in report.problems), report.problems


def test_a_signed_entry_marked_unsigned_is_caught(legacy_case, signing_key, tmp_path):
    _, _, bundle, _ = legacy_case
    lines = [json.loads(x) for x in read(bundle, "custody.jsonl").decode().splitlines()]
    lines[-1]["signature_status"] = custody.LEGACY
    data = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode()
    report = verify_bundle(rewrite(bundle, tmp_path / "marked.zip", change={"custody.jsonl": data}),
                           trust=Trust.build(public_key=signing_key.public_path))
    assert any("does not describe this entry" in p for p in report.problems), report.problems


def test_an_unsigned_entry_written_into_the_database_after_signing_stops_the_export(tmp_path, signing_key, site):
    settings = make_settings(tmp_path, signing_key, steps=STEPS)
    store = _store_from_before_0004(settings)
    lid = store_listing(store, settings, site, "OLD-1")
    with store.session() as session:
        listing = session.get(Listing, lid)
        head = custody.events_for(session, lid)[-1].entry_hash
        event = CustodyEvent(listing_id=lid, at=dt.datetime.now(dt.timezone.utc), actor="forger", action="note",
                             details={}, prev_hash=head, entry_hash="")
        event.entry_hash = custody.entry_hash(custody.entry_of(event, custody.listing_key(listing)))
        session.add(event)
    with pytest.raises(ExportError, match="after signing was introduced"):
        export_case(settings, store, [lid], "Дело", "aigerim", capture_missing=False)
    store.dispose()


def test_a_new_database_allows_no_unsigned_history(sqlite_store):
    with sqlite_store.session() as session:
        since = custody.signing_introduced(session)
    assert since is not None and dt.datetime.now(dt.timezone.utc) - since < dt.timedelta(minutes=5)
    entry = {"listing": "olx:1", "at": iso(since + dt.timedelta(seconds=1)), "actor": "x", "action": "note",
             "details": {}, "prev_hash": None, "signature": None}
    entry["entry_hash"] = sha256_bytes(canonical_json({k: v for k, v in entry.items() if k != "signature"}))
    problems = custody.check_chain([(1, entry)], public=object(), signing_since=since).problems
    assert problems and "after signing was introduced" in problems[0].message
