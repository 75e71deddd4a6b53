"""Custody entries are signed when written; one forged straight into the database fails, and stops export and hand-over."""
from __future__ import annotations

import pytest
from sqlalchemy import insert

from alerts.evidence import keys as keymod
from alerts.evidence import custody
from alerts.evidence.export import ExportError, export_case
from alerts.evidence.handover import HandoverError, record_handover
from store.models import CustodyEvent, Listing, utcnow
from tests.alerts.evidence.conftest import make_settings
from tests.alerts.evidence.helpers import store_listing


def _forge(session, listing: Listing, signature: str | None) -> None:
    """What someone with database access could do: a well-chained, well-hashed row, written with plain SQL."""
    last = custody.events_for(session, listing.id)[-1]
    row = CustodyEvent(listing_id=listing.id, at=utcnow(), actor="mallory", action="note",
                       details={"text": "evidence seen intact"}, prev_hash=last.entry_hash, entry_hash="")
    digest = custody.entry_hash(custody.entry_of(row, custody.listing_key(listing)))
    session.execute(insert(CustodyEvent).values(listing_id=listing.id, at=row.at, actor=row.actor, action=row.action,
                                                details=row.details, prev_hash=row.prev_hash, entry_hash=digest,
                                                signature=signature))


@pytest.mark.parametrize("forgery", ["unsigned", "other key", "copied signature"])
def test_an_entry_forged_in_the_database_fails_and_is_never_exported(forgery, tmp_path, signing_key, site,
                                                                      sqlite_store):
    settings = make_settings(tmp_path, signing_key, steps=["warc"])
    org = keymod.load_private_key(signing_key.private_path)
    lid = store_listing(sqlite_store, settings, site, f"FORGE-{forgery.replace(' ', '-')}")
    with sqlite_store.session() as session:
        listing = session.get(Listing, lid)
        first = custody.append_event(session, listing, "note", "aigerim", {"text": "seen"}, settings=settings)
        assert custody.check_listing_chain(session, listing, org.public_key()) == []
        evil = keymod.load_private_key(keymod.generate_key(tmp_path / "evil" / "k.pem").private_path)
        signature = {"unsigned": None, "copied signature": first.signature,
                     "other key": custody.sign_entry(evil, "0" * 64)}[forgery]
        _forge(session, listing, signature)
    with sqlite_store.session() as session:
        listing = session.get(Listing, lid)
        problems = [str(p) for p in custody.check_listing_chain(session, listing, org.public_key())]
        assert len(problems) == 1 and "line 2" in problems[0], problems
        assert {"unsigned": "not signed", "other key": "signed by key",
                "copied signature": "does not match the entry"}[forgery] in problems[0]
    with pytest.raises(ExportError, match="chain of custody does not verify"):
        export_case(settings, sqlite_store, [lid], "Подделка", "aigerim")
    with sqlite_store.session() as session, pytest.raises(HandoverError, match="does not verify"):
        record_handover(session, [lid], actor="aigerim", recipient="ОП", signer=org)


def test_no_entry_is_written_without_a_key(tmp_path, signing_key, site, sqlite_store, monkeypatch):
    settings = make_settings(tmp_path, signing_key, steps=["warc"])
    lid = store_listing(sqlite_store, settings, site, "NOKEY-2")
    monkeypatch.setattr(custody, "_signer", None)  # a process that never loaded the key
    missing = make_settings(tmp_path, signing_key, signing_key_path=str(tmp_path / "none" / "k.pem"))
    with sqlite_store.session() as session:
        listing = session.get(Listing, lid)
        with pytest.raises(custody.UnsignedCustodyError, match="no signing key at .*keys generate"):
            custody.append_event(session, listing, "note", "a", settings=missing)
        with pytest.raises(custody.UnsignedCustodyError, match="this process has no signing key"):
            custody.append_event(session, listing, "note", "a")
        with pytest.raises(HandoverError, match="no signing key is configured"):
            record_handover(session, [lid], actor="a", recipient="ОП", signer=None)
        assert custody.events_for(session, lid) == []
