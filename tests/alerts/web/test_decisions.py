"""Decisions from the listing page, the keyboard API and the bulk action: saved, audited, shown in the queue."""
from __future__ import annotations

import re

from store.models import AuditEvent, Review

from .conftest import csrf_of


def _status_in_queue(client, listing_id, status="all"):
    """The status badge of a listing's row in the queue (walking the pages), or None if not listed."""
    for page in range(1, 10):
        html = client.get("/queue", params={"status": status, "page": page}).text
        row = re.search(rf'data-id="{listing_id}".*?</tr>', html, re.S)
        if row:
            return re.search(r'class="badge status-(\w+)"', row.group(0)).group(1)
        if 'rel="next"' not in html:
            return None
    return None


def test_form_decision_is_saved_audited_and_shown(analyst, seeded, web_store):
    listing_id = seeded.ids["top"]
    token = csrf_of(analyst, f"/listings/{listing_id}")
    r = analyst.post(f"/listings/{listing_id}/decide", data={"decision": "sale", "note": "тот же телефон",
                                                             "csrf_token": token, "next": "/queue?platform=olx"},
                     follow_redirects=False)
    # on to the next item of the same queue, keeping the way back: the next case, never a copy of this one
    # (the repost is in the top listing's case, so the decision was recorded on it too)
    assert r.status_code == 303 and r.headers["location"].endswith("?back=%2Fqueue%3Fplatform%3Dolx")
    next_id = int(r.headers["location"].split("?")[0].rsplit("/", 1)[1])
    assert next_id not in (listing_id, seeded.ids["repost"])
    with web_store.session() as s:
        assert s.query(Review).filter_by(listing_id=seeded.ids["repost"]).one().decision == "sale"
    assert "Decision saved: Confirmed sale" in analyst.get(r.headers["location"]).text
    with web_store.session() as s:
        review = s.query(Review).filter_by(listing_id=listing_id).one()
        assert (review.analyst, review.decision, review.note) == ("anna", "sale", "тот же телефон")
        event = s.query(AuditEvent).filter_by(action="review", object_id=str(listing_id)).one()
        assert event.actor == "anna" and event.details["decision"] == "sale" and event.details["review_id"] == review.id
    assert _status_in_queue(analyst, listing_id) == "sale"
    assert "тот же телефон" in analyst.get(f"/listings/{listing_id}").text


def test_keyboard_api_decision(analyst, seeded, web_store):
    listing_id = seeded.ids["kk"]
    token = csrf_of(analyst)
    r = analyst.post(f"/api/listings/{listing_id}/decision", json={"decision": "not_trade"},
                     headers={"X-CSRF-Token": token})
    assert r.status_code == 200
    body = r.json()["review"]
    assert body["decision"] == "not_trade" and body["analyst"] == "anna" and body["listing_id"] == listing_id
    assert _status_in_queue(analyst, listing_id) == "not_trade"
    # still in today's queue (flagged today), with its status
    assert _status_in_queue(analyst, listing_id, "open") == "not_trade"


def test_reviewed_backlog_leaves_the_daily_queue(analyst, seeded):
    listing_id = seeded.ids["backlog"]  # flagged days ago, unreviewed: in the open queue
    assert _status_in_queue(analyst, listing_id, "open") == "unreviewed"
    token = csrf_of(analyst)
    analyst.post(f"/api/listings/{listing_id}/decision", json={"decision": "unsure"}, headers={"X-CSRF-Token": token})
    assert _status_in_queue(analyst, listing_id, "open") is None
    assert _status_in_queue(analyst, listing_id, "unsure") == "unsure"


def test_bulk_not_trade(analyst, seeded, web_store):
    ids = [seeded.ids["kk"], seeded.ids["backlog"]]
    token = csrf_of(analyst, "/queue")
    r = analyst.post("/queue/bulk", data={"ids": [str(i) for i in ids], "decision": "not_trade", "csrf_token": token,
                                          "next": "/queue"}, follow_redirects=False)
    assert r.status_code == 303
    with web_store.session() as s:
        assert sorted(r.listing_id for r in s.query(Review).filter_by(decision="not_trade")) == sorted(ids)
        assert s.query(AuditEvent).filter_by(action="review.bulk").count() == 2
        bulk = s.query(AuditEvent).filter_by(action="review.bulk_action").one()
        assert bulk.details == {"decision": "not_trade", "listing_ids": sorted(ids)}
    assert "2 listings marked as Not trade." in analyst.get("/queue").text


def test_bulk_with_nothing_ticked_explains(analyst):
    r = analyst.post("/queue/bulk", data={"decision": "not_trade", "csrf_token": csrf_of(analyst, "/queue")})
    assert r.status_code == 200 and "Tick at least one listing first." in r.text


def test_reviews_are_training_data(analyst, seeded, web_store):
    """Reviews become training data (alerts.review.flagging.review_examples): sale|buy → trade, not_trade → not_trade; the row must carry listing and decision."""
    token = csrf_of(analyst)
    for key, decision in (("top", "sale"), ("other_platform", "buy"), ("kk", "not_trade")):
        analyst.post(f"/api/listings/{seeded.ids[key]}/decision", json={"decision": decision},
                     headers={"X-CSRF-Token": token})
    with web_store.session() as s:
        rows = {(r.listing.platform_listing_id, r.decision) for r in s.query(Review)}
    assert {("top-1", "sale"), ("vk-9", "buy"), ("kk-1", "not_trade")} <= rows
