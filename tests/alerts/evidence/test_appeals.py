"""The appeals register: allowed transitions, registration numbers, custody links, statistics, CLI."""
import datetime as dt
import json

import pytest
from sqlalchemy import select

from alerts.review.appeals import AppealError, appeal_dict, appeal_stats, create_appeal, list_appeals, update_appeal, year_range
from alerts.evidence import keys as keymod
from alerts.evidence.custody import check_listing_chain, events_for
from saigawatch.cli import main
from store.listings import upsert_listing
from store.models import AuditEvent, Classification, Listing, Review

T0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc)


def _listing(session, pid: str, flagged: bool = True) -> int:
    listing = upsert_listing(session, {"platform": "olx", "platform_listing_id": pid, "url": f"https://olx.kz/d/{pid}",
                                       "title": "Рога сайги"}, T0).listing
    session.add(Classification(listing_id=listing.id, content_hash=listing.content_hash, model_version="m",
                               score=0.9, flagged=flagged, created_at=T0))
    session.flush()
    return listing.id


def test_life_of_an_appeal(store, ev_settings, signing_key):
    with store.session() as session:
        a, b = _listing(session, "A1"), _listing(session, "A2")
        appeal = create_appeal(session, case_name="Алматы-1", listing_ids=[a, b], actor="aigerim",
                               authority="УП г. Алматы", at=T0)
        assert appeal.status == "draft"
        with pytest.raises(AppealError, match="can go to submitted, not registered"):
            update_appeal(session, appeal.id, actor="aigerim", status="registered")
        update_appeal(session, appeal.id, actor="aigerim", status="submitted", at=T0 + dt.timedelta(days=1),
                      settings=ev_settings)
        with pytest.raises(AppealError, match="registration number"):
            update_appeal(session, appeal.id, actor="aigerim", status="registered")
        update_appeal(session, appeal.id, actor="aigerim", status="registered", registration_number="ЕРДР 2026-123",
                      at=T0 + dt.timedelta(days=5), settings=ev_settings)
        update_appeal(session, appeal.id, actor="aigerim", status="case_opened", at=T0 + dt.timedelta(days=20))
        update_appeal(session, appeal.id, actor="aigerim", status="court", at=T0 + dt.timedelta(days=90))
        update_appeal(session, appeal.id, actor="aigerim", status="closed", outcome="приговор: штраф",
                      at=T0 + dt.timedelta(days=120))
        with pytest.raises(AppealError, match="no other status"):
            update_appeal(session, appeal.id, actor="aigerim", status="court")
        view = appeal_dict(appeal)
        assert [h["status"] for h in view["history"]] == ["draft", "submitted", "registered", "case_opened", "court",
                                                           "closed"]
        assert view["registration_number"] == "ЕРДР 2026-123" and view["closed_at"].startswith("2026-06-29")
        # submitting and registering are links in each listing's custody chain
        listing = session.get(Listing, a)
        actions = [e.action for e in events_for(session, a)]
        assert actions == ["handed_over", "registered"]
        assert events_for(session, a)[1].details["registration_number"] == "ЕРДР 2026-123"
        public = keymod.load_private_key(signing_key.private_path).public_key()
        assert check_listing_chain(session, listing, public) == []  # each link signed as it was written
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "appeal")).all().count(
            "appeal_update") == 5


def test_refused_path_and_errors(sqlite_store, ev_settings):
    with sqlite_store.session() as session:
        a = _listing(session, "R1")
        with pytest.raises(AppealError, match="no listing with id 999"):
            create_appeal(session, case_name="x", listing_ids=[999], actor="a")
        with pytest.raises(AppealError, match="country"):
            create_appeal(session, case_name="x", listing_ids=[a], actor="a", country="CN")
        appeal = create_appeal(session, case_name="x", listing_ids=[a], actor="a")
        update_appeal(session, appeal.id, actor="a", status="submitted", settings=ev_settings)
        update_appeal(session, appeal.id, actor="a", status="refused", outcome="отказ в регистрации")
        assert appeal_dict(appeal)["next_statuses"] == ["closed"]
        with pytest.raises(AppealError, match="nothing to update"):
            update_appeal(session, appeal.id, actor="a")
        with pytest.raises(AppealError, match="no appeal with id 42"):
            update_appeal(session, 42, actor="a", status="submitted")
        assert [x.id for x in list_appeals(session, status="refused")] == [appeal.id]
        assert list_appeals(session, listing_id=a)[0].id == appeal.id


def test_yearly_statistics(store, ev_settings):
    with store.session() as session:
        ids = [_listing(session, f"S{i}") for i in range(4)]
        _listing(session, "S9", flagged=False)
        session.add(Review(listing_id=ids[0], analyst="a", decision="sale", created_at=T0))
        session.add(Review(listing_id=ids[1], analyst="a", decision="not_trade", created_at=T0))
        one = create_appeal(session, case_name="1", listing_ids=ids[:2], actor="a", at=T0)
        two = create_appeal(session, case_name="2", listing_ids=ids[2:], actor="a", at=T0)
        create_appeal(session, case_name="3", listing_ids=ids[:1], actor="a", at=T0)
        for appeal, last in ((one, "case_opened"), (two, "refused")):
            update_appeal(session, appeal.id, actor="a", status="submitted", at=T0, settings=ev_settings)
            if last == "case_opened":
                update_appeal(session, appeal.id, actor="a", status="registered", registration_number="1", at=T0,
                              settings=ev_settings)
            update_appeal(session, appeal.id, actor="a", status=last, at=T0)
        stats = appeal_stats(session, start=year_range(2026)[0], end=year_range(2026)[1]).as_dict()
        assert stats["listings_found"] == 4 and stats["listings_confirmed"] == 1
        assert stats["appeals_created"] == 3 and stats["appeals_filed"] == 2
        assert (stats["registered"], stats["refused"], stats["cases_opened"]) == (1, 1, 1)
        assert stats["by_status"]["draft"] == 1
        assert appeal_stats(session, start=year_range(2025)[0], end=year_range(2025)[1]).appeals_filed == 0


def test_appeals_cli(config_file, capsys, signing_key):
    with config_file.open("a", encoding="utf-8") as f:
        f.write(f"evidence:\n  signing_key_path: {signing_key.private_path}\n")
    assert main(["--config", str(config_file), "init"]) == 0
    from config import load_config
    from store import Store

    settings = load_config(config_file)
    store = Store(settings.storage.database_url())
    with store.session() as session:
        lid = _listing(session, "CLI1")
    capsys.readouterr()
    base = ["--config", str(config_file), "appeals"]
    assert main([*base, "new", str(lid), "--case", "Дело 1", "--authority", "ДП Алматы"]) == 0
    assert "appeal 1 created" in capsys.readouterr().out
    assert main([*base, "update", "1", "--status", "registered"]) == 1
    assert "can go to submitted" in capsys.readouterr().err
    assert main([*base, "update", "1", "--status", "submitted", "--date", "2026-03-02"]) == 0
    assert main([*base, "update", "1", "--status", "registered", "--number", "КУСП 77"]) == 0
    capsys.readouterr()
    assert main([*base, "show", "1", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "registered" and shown["submitted_at"].startswith("2026-03-02")
    assert main([*base, "list"]) == 0
    listed = capsys.readouterr().out
    assert "registered" in listed and "№КУСП 77" in listed
    assert main([*base, "stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["registered"] == 1
    assert main([*base, "update", "1", "--date", "03/02/2026", "--note", "x"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err
    with store.session() as session:  # the CLI process signed each custody link as it wrote it
        public = keymod.load_private_key(signing_key.private_path).public_key()
        assert [e.action for e in events_for(session, lid)] == ["handed_over", "registered"]
        assert check_listing_chain(session, session.get(Listing, lid), public) == []
    store.dispose()


def test_appeal_status_without_a_signing_key_is_refused_and_nothing_changes(config_file, capsys, tmp_path):
    with config_file.open("a", encoding="utf-8") as f:
        f.write(f"evidence:\n  signing_key_path: {tmp_path / 'nokey' / 'signing_key.pem'}\n")
    assert main(["--config", str(config_file), "init"]) == 0
    from config import load_config
    from store import Store

    store = Store(load_config(config_file).storage.database_url())
    with store.session() as session:
        lid = _listing(session, "NOKEY1")
    base = ["--config", str(config_file), "appeals"]
    assert main([*base, "new", str(lid), "--case", "Дело 2"]) == 0
    capsys.readouterr()
    assert main([*base, "update", "1", "--status", "submitted"]) == 1
    err = capsys.readouterr().err
    assert "signed when they are written" in err and "no signing key at" in err and "keys generate" in err
    with store.session() as session:  # no unsigned link, and the appeal did not move
        assert events_for(session, lid) == []
        assert appeal_dict(list_appeals(session)[0])["status"] == "draft"
    store.dispose()
