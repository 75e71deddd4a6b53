"""Cases in the web app: split a copy out, merge ticked cases (both audited), and /api/queue speaking of cases."""
from __future__ import annotations

from store.models import AuditEvent, Listing

from .conftest import csrf_of


def test_api_queue_rows_are_cases_with_their_copies(analyst, seeded):
    data = analyst.get("/api/queue").json()
    top = next(i for i in data["items"] if i["id"] == seeded.ids["top"])
    assert top["case"]["copies"] == 3 and top["case"]["platforms"] == ["olx", "vk"]
    assert {c["id"] for c in top["copies"]} == {seeded.ids[k] for k in ("top", "repost", "other_platform")}
    assert any(c["joined_because"] == "same phone +77011234567" for c in top["copies"])
    assert data["total"] == len(data["items"])  # one row per case


def test_split_then_merge_from_the_queue(analyst, seeded, web_store):
    token = csrf_of(analyst, "/queue")
    r = analyst.post("/cases/split", data={"split_listing": str(seeded.ids["other_platform"]), "csrf_token": token,
                                           "next": "/queue"}, follow_redirects=False)
    assert r.status_code == 303
    with web_store.session() as s:
        vk, top = s.get(Listing, seeded.ids["other_platform"]), s.get(Listing, seeded.ids["top"])
        assert vk.case_id != top.case_id and vk.case_reason["kind"] == "split"
    assert "Copy moved to a case of its own" in analyst.get("/queue").text
    r = analyst.post("/cases/merge", data={"ids": [str(seeded.ids["top"]), str(seeded.ids["other_platform"])],
                                           "csrf_token": token, "next": "/queue"}, follow_redirects=False)
    assert r.status_code == 303
    with web_store.session() as s:
        assert s.get(Listing, seeded.ids["other_platform"]).case_id == s.get(Listing, seeded.ids["top"]).case_id
        assert [e.action for e in s.query(AuditEvent).filter(AuditEvent.action.like("case.%")).order_by(AuditEvent.id)] \
            == ["case.split", "case.merge"]
    lone = analyst.post("/cases/split", data={"split_listing": str(seeded.ids["kk"]), "csrf_token": token},
                        follow_redirects=True)
    assert "only copy in its case" in lone.text
