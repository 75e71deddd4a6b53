"""The appeals register in the review UI: list, create from a listing, next-status form, permissions, statistics."""
from __future__ import annotations

import re

from alerts.evidence.custody import check_listing_chain, events_for
from alerts.evidence.keys import load_private_key, private_key_path
from alerts.review.appeals import create_appeal
from store.models import Appeal, AuditEvent, Listing

from .conftest import csrf_of


def _create(client, seeded, **fields):
    listing_id = seeded.ids["top"]
    token = csrf_of(client, f"/listings/{listing_id}")
    data = {"ids": str(listing_id), "case_name": "Алматы-рога", "country": "KZ", "authority": "УП г. Алматы",
            "next": f"/listings/{listing_id}", "csrf_token": token, **fields}
    return client.post("/appeals", data=data, follow_redirects=False)


def _draft(web_store, seeded, **kw) -> int:
    with web_store.session() as s:
        return create_appeal(s, case_name=kw.pop("case_name", "case-1"), listing_ids=[seeded.ids["top"]],
                             actor="anna", **kw).id


def _post_update(client, appeal_id, **fields):
    token = csrf_of(client, f"/appeals/{appeal_id}")
    return client.post(f"/appeals/{appeal_id}", data={"csrf_token": token, **fields}, follow_redirects=False)


def test_listing_page_offers_the_create_form_with_csrf(analyst, seeded):
    page = analyst.get(f"/listings/{seeded.ids['top']}").text
    form = re.search(r'<form method="post" action="/appeals".*?</form>', page, re.S).group(0)
    assert 'name="csrf_token"' in form and f'name="ids" value="{seeded.ids["top"]}"' in form
    assert 'name="country"' in form and '<option value="KZ" selected>Kazakhstan</option>' in form and "Create appeal" in form
    assert "<script" not in page.split("</head>")[1]  # no inline scripts (CSP)
    assert 'href="/appeals"' in page  # nav link


def test_create_from_a_listing_then_list_and_detail(analyst, seeded, web_store):
    r = _create(analyst, seeded)
    assert r.status_code == 303 and re.fullmatch(r"/appeals/\d+", r.headers["location"])
    appeal_id = int(r.headers["location"].rsplit("/", 1)[1])
    detail = analyst.get(r.headers["location"])
    assert "created as a draft" in detail.text and "Алматы-рога" in detail.text and "УП г. Алматы" in detail.text
    assert f'href="/listings/{seeded.ids["top"]}?back=/appeals/{appeal_id}"' in detail.text
    options = re.findall(r'<option value="(\w+)">', re.search(r'id="appeal-next-status">(.*?)</select>',
                                                               detail.text, re.S).group(1))
    assert options == ["submitted"]  # only the register's allowed transitions from draft
    listing = analyst.get("/appeals")
    assert listing.status_code == 200
    row = re.search(rf'<tr data-id="{appeal_id}" data-status="draft">(.*?)</tr>', listing.text, re.S).group(1)
    assert "Алматы-рога" in row and "Kazakhstan" in row and "УП г. Алматы" in row and ">1</td>" in row
    assert f'data-id="{appeal_id}"' not in analyst.get("/appeals?status=submitted").text
    assert f'data-id="{appeal_id}"' in analyst.get("/appeals?status=draft&country=KZ").text
    assert analyst.get("/appeals?status=bogus").status_code == 400
    with web_store.session() as s:
        appeal = s.get(Appeal, appeal_id)
        assert appeal.status == "draft" and [x.id for x in appeal.listings] == [seeded.ids["top"]]
        events = s.query(AuditEvent).filter_by(object_type="appeal", object_id=str(appeal_id)).all()
        assert [(e.action, e.actor) for e in events] == [("appeal_create", "anna")]  # audited once, by the register
    # the listing page links back to it
    assert f'href="/appeals/{appeal_id}"' in analyst.get(f"/listings/{seeded.ids['top']}").text


def test_create_with_a_bad_listing_shows_the_error_and_stores_nothing(analyst, seeded, web_store):
    r = _create(analyst, seeded, ids="999999", case_name="x")
    assert r.status_code == 303 and r.headers["location"] == f"/listings/{seeded.ids['top']}"
    assert "There is no listing with number 999999." in analyst.get(r.headers["location"]).text
    r = _create(analyst, seeded, country="FR")
    assert "Choose the country" in analyst.get(r.headers["location"]).text
    with web_store.session() as s:
        assert s.query(Appeal).count() == 0


def test_status_moves_only_along_allowed_transitions(analyst, seeded, web_store, web_settings):
    appeal_id = _draft(web_store, seeded, authority="ДП Алматы")
    r = _post_update(analyst, appeal_id, status="registered", registration_number="КУСП-1")
    assert r.status_code == 303
    page = analyst.get(r.headers["location"]).text
    assert "The appeal was not changed" in page and "cannot move to" in page
    with web_store.session() as s:
        appeal = s.get(Appeal, appeal_id)
        # nothing kept, not even the number the refused request carried
        assert appeal.status == "draft" and appeal.registration_number is None and len(appeal.history) == 1
    r = _post_update(analyst, appeal_id, status="submitted", note="отправлено почтой", date="2026-11-20")
    assert "saved: submitted" in analyst.get(r.headers["location"]).text
    with web_store.session() as s:
        appeal = s.get(Appeal, appeal_id)
        assert appeal.status == "submitted" and appeal.submitted_at.date().isoformat() == "2026-11-20"
        assert appeal.history[-1]["note"] == "отправлено почтой" and appeal.history[-1]["actor"] == "anna"
        update = s.query(AuditEvent).filter_by(action="appeal_update", object_id=str(appeal_id)).one()
        assert update.actor == "anna" and update.details["changes"]["status"] == "submitted"
        # the UI process signed the custody link as it wrote it, with the key from the settings
        listing = s.get(Listing, seeded.ids["top"])
        events = events_for(s, listing.id)
        assert events[-1].action == "handed_over" and events[-1].actor == "anna" and events[-1].signature
        public = load_private_key(private_key_path(web_settings)).public_key()
        assert check_listing_chain(s, listing, public) == []


def test_status_change_without_a_signing_key_changes_nothing(analyst, seeded, web_store, web_settings):
    appeal_id = _draft(web_store, seeded)
    private_key_path(web_settings).unlink()
    r = _post_update(analyst, appeal_id, status="submitted")
    page = analyst.get(r.headers["location"]).text
    assert "The appeal was not changed" in page and "never stored unsigned" in page
    with web_store.session() as s:
        assert s.get(Appeal, appeal_id).status == "draft" and events_for(s, seeded.ids["top"]) == []


def test_registered_needs_the_registration_number(analyst, seeded, web_store):
    appeal_id = _draft(web_store, seeded)
    _post_update(analyst, appeal_id, status="submitted")
    r = _post_update(analyst, appeal_id, status="registered", registration_number="  ", note="без номера")
    page = analyst.get(r.headers["location"]).text
    assert "needs the registration number" in page
    with web_store.session() as s:
        appeal = s.get(Appeal, appeal_id)
        assert appeal.status == "submitted" and appeal.registered_at is None and len(appeal.history) == 2
        assert s.query(AuditEvent).filter_by(action="appeal_update").count() == 1
    r = _post_update(analyst, appeal_id, status="registered", registration_number="КУСП №1234")
    page = analyst.get(r.headers["location"]).text
    assert "saved: registered" in page and "КУСП №1234" in page
    options = re.findall(r'<option value="(\w+)">', re.search(r'id="appeal-next-status">(.*?)</select>',
                                                               page, re.S).group(1))
    assert options == ["case_opened", "refused"]
    with web_store.session() as s:
        appeal = s.get(Appeal, appeal_id)
        assert appeal.status == "registered" and appeal.registration_number == "КУСП №1234"
    listing = analyst.get("/appeals").text
    assert "КУСП №1234" in listing


def test_errors_are_translated_for_russian_analysts(app, seeded, web_store):
    from starlette.testclient import TestClient

    from .conftest import login

    appeal_id = _draft(web_store, seeded)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "rusya")
        assert "Обращения" in client.get("/appeals").text
        r = _post_update(client, appeal_id, status="registered")
        assert "Обращение не изменено" in client.get(r.headers["location"]).text


def test_bad_date_and_closed_appeal(analyst, seeded, web_store):
    appeal_id = _draft(web_store, seeded)
    r = _post_update(analyst, appeal_id, status="submitted", date="31.11.2026")
    assert "enter the date as DD.MM.YYYY" in analyst.get(r.headers["location"]).text
    r = _post_update(analyst, appeal_id, status="submitted", date="2999-01-01")
    assert "in the future" in analyst.get(r.headers["location"]).text
    r = _post_update(analyst, appeal_id)
    assert "Nothing to save" in analyst.get(r.headers["location"]).text
    with web_store.session() as s:
        assert s.get(Appeal, appeal_id).status == "draft"
    assert analyst.get("/appeals/999999").status_code == 404


def test_csrf_is_required(analyst, seeded, web_store):
    appeal_id = _draft(web_store, seeded)
    r = analyst.post(f"/appeals/{appeal_id}", data={"status": "submitted"})
    assert r.status_code == 403
    r = analyst.post("/appeals", data={"ids": str(seeded.ids["top"]), "case_name": "x"})
    assert r.status_code == 403
    with web_store.session() as s:
        assert s.get(Appeal, appeal_id).status == "draft" and s.query(Appeal).count() == 1


def test_viewer_gets_403_and_anonymous_is_sent_to_login(viewer, anon, seeded, web_store):
    appeal_id = _draft(web_store, seeded)
    assert viewer.get("/appeals").status_code == 403
    assert viewer.get(f"/appeals/{appeal_id}").status_code == 403
    token = csrf_of(viewer)
    assert viewer.post(f"/appeals/{appeal_id}", data={"status": "submitted", "csrf_token": token}).status_code == 403
    assert viewer.post("/appeals", data={"ids": str(seeded.ids["top"]), "case_name": "v",
                                         "csrf_token": token}).status_code == 403
    assert 'href="/appeals"' not in viewer.get("/stats").text
    for path in ("/appeals", f"/appeals/{appeal_id}"):
        r = anon.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    with web_store.session() as s:
        assert s.get(Appeal, appeal_id).status == "draft" and s.query(Appeal).count() == 1


def test_admin_can_use_the_register(admin, seeded):
    r = _create(admin, seeded)
    assert r.status_code == 303 and admin.get(r.headers["location"]).status_code == 200


def test_statistics_count_the_new_appeal(analyst, seeded):
    def police_appeals(page: str) -> int:
        return int(re.search(r'<span class="big">(\d+)</span>police appeals?', page).group(1))

    before = police_appeals(analyst.get("/stats").text)
    _create(analyst, seeded)
    stats = analyst.get("/stats").text
    assert police_appeals(stats) == before + 1
    assert re.search(r"<td>draft</td><td class=\"num\">1</td>", stats)
    register = analyst.get("/appeals").text
    assert re.search(r"Appeals created</td><td class=\"num\">1</td>", register)


def test_evidence_bundle_is_linked_and_shown(analyst, seeded, web_store):
    from store.models import EvidenceBundle

    with web_store.session() as s:
        bundle = EvidenceBundle(case_name="Алматы-2026-11", created_by="anna", path="case.zip", sha256="sha256:" + "ab" * 32,
                                listing_ids=[seeded.ids["top"]], language="ru")
        s.add(bundle)
        s.flush()
        bundle_id = bundle.id
    form = analyst.get(f"/listings/{seeded.ids['top']}").text
    # the bundle that holds this listing alone is chosen for the appeal
    assert re.search(rf'<option value="{bundle_id}" selected data-mixed="0">', form)
    r = _create(analyst, seeded, case_name="", bundle_id=str(bundle_id))
    page = analyst.get(r.headers["location"]).text
    assert f'href="/evidence/bundles/{bundle_id}"' in page and "sha256:abab" in page
    appeal_id = int(r.headers["location"].rsplit("/", 1)[1])
    with web_store.session() as s:
        appeal = s.get(Appeal, appeal_id)
        assert appeal.bundle_id == bundle_id and appeal.case_name == "Алматы-2026-11"  # named after the bundle
    # adding a listing from the appeal page, the history names it
    r = _post_update(analyst, appeal_id, add_listing=str(seeded.ids["repost"]))
    page = analyst.get(r.headers["location"]).text
    assert f'href="/listings/{seeded.ids["repost"]}?back=/appeals/{appeal_id}"' in page
    assert f"Listings: #{seeded.ids['top']} #{seeded.ids['repost']}" in page


def test_kazakh_pages_are_translated(app, seeded, web_store):
    from starlette.testclient import TestClient

    from .conftest import csrf_of as token_of, login

    appeal_id = _draft(web_store, seeded)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "rusya")
        client.post("/account/language", data={"language": "kk", "csrf_token": token_of(client), "next": "/appeals"})
        register = client.get("/appeals").text
        assert "Өтініштер" in register and "Жылдық есепке арналған сандар" in register and "жоба" in register
        assert "Келесі қадам" in client.get(f"/appeals/{appeal_id}").text
