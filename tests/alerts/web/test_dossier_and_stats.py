"""Seller linking, repost detection and statistics on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt

from alerts.review.queue import record_review
from alerts.review import statistics as stats
from alerts.review.dossier import build_dossier
from store.cases import group_pending
from store.models import Appeal

from .conftest import NOW, add_listing


def test_dossier_follows_phones_and_handles_across_platforms(store):
    with store.session() as s:
        a = add_listing(s, "a", "Продам рога сайги", "рога сайги, звоните", seller="olx-1", phones=["+77011112233"])
        b = add_listing(s, "b", "Рога сайги продам", "рога сайги, звоните!", seller="olx-1")
        c = add_listing(s, "c", "Куплю рога", "куплю, пишите", platform="telegram", seller="tg-7",
                        phones=["+77011112233"], handles=["@steppe_horn"])
        d = add_listing(s, "d", "Рога", "только в личку", platform="vk", handles=["@steppe_horn"])
        unrelated = add_listing(s, "e", "Карабин", "карабин сайга", seller="olx-2", phones=["+77019999999"])
        ids = {k: v.id for k, v in dict(a=a, b=b, c=c, d=d, e=unrelated).items()}
        seller_id = a.seller_id
        group_pending(s)
    with store.session() as s:
        dossier = build_dossier(s, seller_id=seller_id)
        found = {l.id for l in dossier.listings}
        assert found == {ids["a"], ids["b"], ids["c"], ids["d"]}
        assert dossier.platforms == {"olx": 2, "telegram": 1, "vk": 1}
        assert "phone:+77011112233" in dossier.links[ids["c"]]
        assert "handle:@steppe_horn" in dossier.links[ids["d"]]
        assert dossier.phones == ["+77011112233"] and dossier.handles == ["@steppe_horn"]
        # one case: c shares a's phone, d shares c's handle; b (same account, words reordered) is an offer of its own
        assert [sorted(x.id for x in g) for g in dossier.duplicate_groups] == [sorted(ids[k] for k in "acd")]
        assert f"seller:{seller_id}" in dossier.links[ids["b"]]
        evidence = {a.seller.platform_seller_id: a.evidence for a in dossier.accounts}
        assert any("same phone +77011112233" in e for e in evidence["tg-7"])
        assert dossier.first_activity <= dossier.last_activity
        by_handle = build_dossier(s, handle="@steppe_horn")
        assert {l.id for l in by_handle.listings} == found


def test_statistics_count_weeks_platforms_languages_and_appeals(store):
    with store.session() as s:
        x = add_listing(s, "x", "Рога сайги", "рога сайги", platform="olx", lang="ru")
        y = add_listing(s, "y", "Киік мүйізі", "киік мүйізі", platform="telegram", lang="kk",
                        classified_at=NOW - dt.timedelta(days=7))
        add_listing(s, "z", "Карабин", "карабин", flagged=False)
        record_review(s, x.id, "anna", "sale")
        record_review(s, y.id, "anna", "not_trade")
        s.add(Appeal(case_name="Дело 1", status="registered", outcome=None))
        s.add(Appeal(case_name="Дело 2", status="closed", outcome="приговор"))
    with store.session() as s:
        data = stats.collect(s, now=NOW)
    assert data.totals == {"flagged": 2, "reviewed": 2, "confirmed": 1, "appeals": 2, "flagged_copies": 2, "sellers": 0}
    assert dict(data.platforms) == {"olx": [1, 1], "telegram": [1, 0]}
    assert dict(data.languages) == {"ru": [1, 1], "kk": [1, 0]}
    weeks = dict(data.weeks)
    assert sum(v[0] for v in weeks.values()) == 2 and sum(v[1] for v in weeks.values()) == 1
    assert data.appeals_by_status == {"registered": 1, "closed": 1} and data.appeal_outcomes == {"приговор": 1}
