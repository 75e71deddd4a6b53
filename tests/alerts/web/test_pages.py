"""Every page of the review UI, rendered in-process for the roles that may see it."""
from __future__ import annotations

import re

from store.cases import group_pending
from store.models import AuditEvent

from .conftest import NOW, XSS_TEXT, add_listing


def test_queue_page_lists_flagged_listings_by_score(analyst, seeded):
    r = analyst.get("/queue")
    assert r.status_code == 200
    ids = [int(x) for x in re.findall(r'<tr class="row[^"]*" data-id="(\d+)"', r.text)]
    assert ids[0] == seeded.ids["xss"] and seeded.ids["top"] in ids
    assert seeded.ids["not_flagged"] not in ids and seeded.ids["reviewed_old"] not in ids  # rifle; reviewed backlog
    assert 'data-status="open"' in r.text
    # counts per status and pagination (page size 5 in the test config)
    assert re.search(r'data-status="sale">\s*Confirmed sale <span class="count">1</span>', r.text)
    # one row per case: the repost and the same-phone VK post are copies inside the top listing's case
    assert seeded.ids["repost"] not in ids and seeded.ids["other_platform"] not in ids
    assert "show all 3 copies" in r.text and "same phone +77011234567" in r.text and 'value="%d"' % seeded.ids["repost"] in r.text


def test_queue_filters_and_search(analyst, seeded):
    r = analyst.get("/queue", params={"platform": "vk"})
    assert re.findall(r'data-id="(\d+)"', r.text) == [str(seeded.ids["top"])]  # the case holding the VK copy
    r = analyst.get("/queue", params={"q": "КИІК"})
    assert re.findall(r'data-id="(\d+)"', r.text) == [str(seeded.ids["kk"])]
    r = analyst.get("/queue", params={"status": "sale"})
    assert re.findall(r'data-id="(\d+)"', r.text) == [str(seeded.ids["reviewed_old"])]
    bad = analyst.get("/queue", params={"min_score": "high"})
    assert bad.status_code == 400 and "min_score" in bad.text


def test_listing_page_highlights_matches_at_their_offsets(analyst, seeded):
    r = analyst.get(f"/listings/{seeded.ids['top']}")
    assert r.status_code == 200
    assert '<mark class="m-intent" title="Продам · intent">Продам</mark> <mark class="m-product" title="рога сайги · horn or horn product">рога сайги</mark>, пара' in r.text
    # text of the newest version, with the diff against the first one
    assert "Цена за <del>грамм.</del><ins>грамм, торг.</ins>" in r.text
    assert "<del>150 000 KZT</del> → <ins>140 000 KZT</ins>" in r.text
    # dates, reasons, photos from the local store only, evidence status
    for text in ("First seen", "Last seen", "Posted", "still online", "horn or a horn product is named: «рога сайги»",
                 "sell or buy wording: «Продам»", f'src="/media/images/{seeded.image_id}"', "Not downloaded: timeout",
                 "sha256:abc", "web archive (WARC) — done"):
        assert text in r.text, text
    assert "img.example" not in r.text.replace('title="https://img.example/missing.jpg"', "")
    assert 'href="https://www.olx.kz/d/obyavlenie/top-1.html" target="_blank" rel="noopener noreferrer nofollow"' in r.text


def test_listing_page_escapes_hostile_content(analyst, seeded):
    r = analyst.get(f"/listings/{seeded.ids['xss']}")
    assert r.status_code == 200
    assert "<script>window.__pwned" not in r.text and "<img src=x" not in r.text
    assert "&lt;script&gt;window.__pwned = 1;" in r.text
    assert 'onerror="window' not in r.text and "<svg onload" not in r.text
    assert 'href="javascript:' not in r.text  # the scraped javascript: URL is never a link
    assert "Original link is not a web address" in r.text
    # only our own script, loaded from our origin
    assert re.findall(r"<script[^>]*>", r.text) == ['<script src="/static/app.js" defer>']
    assert XSS_TEXT not in r.text


def test_stored_capture_is_served_as_inert_text(analyst, seeded):
    r = analyst.get(f"/captures/{seeded.capture_id}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-security-policy"].startswith("sandbox")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>window.__pwned=6</script>" in r.text and "hostile page" in r.text
    d = analyst.get(f"/captures/{seeded.capture_id}?download=1")
    assert d.headers["content-type"] == "application/octet-stream"
    assert "attachment" in d.headers["content-disposition"]
    assert d.content.startswith(b"<html>")


def test_photo_is_served_from_the_data_dir(analyst, seeded):
    r = analyst.get(f"/media/images/{seeded.image_id}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content[:3] == b"\xff\xd8\xff"


def test_seller_dossier_links_platforms_by_phone_and_finds_reposts(analyst, seeded):
    r = analyst.get(f"/sellers/{seeded.seller_ids['s-100']}")
    assert r.status_code == 200
    for key in ("top", "repost", "other_platform"):
        assert f'href="/listings/{seeded.ids[key]}"' in r.text, key
    assert "vk-u9" in r.text and "s-100" in r.text  # both accounts
    assert "+77011234567" in r.text and "@hornbuyer" in r.text
    assert "Cases with several copies" in r.text and "same phone +77011234567" in r.text  # evidence for the link
    assert re.search(r'<span class="big">3</span>listings', r.text)
    by_phone = analyst.get("/dossier", params={"phone": "+77011234567"})
    assert by_phone.status_code == 200 and f'href="/listings/{seeded.ids["other_platform"]}"' in by_phone.text
    by_handle = analyst.get("/dossier", params={"handle": "@hornbuyer"})
    assert f'href="/listings/{seeded.ids["top"]}"' in by_handle.text  # handle → vk seller → phone → olx seller
    typed = analyst.get("/dossier", params={"q": "8 (701) 123-45-67"})  # as people type it
    assert f'href="/listings/{seeded.ids["other_platform"]}"' in typed.text
    assert analyst.get("/dossier", params={"q": "no such thing!"}).status_code == 400


def test_statistics_page_draws_svg_charts(viewer, seeded):
    r = viewer.get("/stats")
    assert r.status_code == 200
    assert r.text.count("<svg") == 3 and "<script" not in r.text.split("</head>")[1]
    assert re.search(r"<span class=\"big\">5</span>offers \(cases\) flagged", r.text)  # 7 listings: one offer has 3 copies
    assert "<span>7</span>flagged listings, reposts included" in r.text
    assert re.search(r'<span class="big">1</span>confirmed sale or buy', r.text)


def test_admin_page_shows_crawl_health_users_and_audit(admin, seeded, web_store):
    from store.models import CrawlRun, SourceRun

    with web_store.session() as s:
        run = CrawlRun(status="finished")
        s.add(run)
        s.flush()
        s.add(SourceRun(crawl_run_id=run.id, source_name="olx-kz-ru", platform="olx", status="blocked",
                        status_detail="captcha page", pages_fetched=3, listings_seen=0))
    r = admin.get("/admin")
    assert r.status_code == 200
    assert "olx-kz-ru" in r.text and "captcha page" in r.text
    for name in ("anna", "boss", "vera"):
        assert f"<td>{name}</td>" in r.text
    audit = admin.get("/admin/audit")
    assert audit.status_code == 200 and "user created" in audit.text and "logged in" in audit.text
    assert "user.create" not in audit.text and "{" not in audit.text.split("<tbody>")[1].split("</tbody>")[0]


def test_unknown_listing_is_a_404_page(analyst):
    r = analyst.get("/listings/999999")
    assert r.status_code == 404 and "Not found" in r.text


def test_every_page_has_security_headers(analyst, seeded):
    for path in ("/queue", f"/listings/{seeded.ids['top']}", "/stats", "/login", "/static/app.js"):
        r = analyst.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], path
        assert r.headers["x-frame-options"] == "DENY" and r.headers["referrer-policy"] == "no-referrer"


def test_page_views_do_not_write_audit_rows(analyst, seeded, web_store):
    with web_store.session() as s:
        before = s.query(AuditEvent).count()
    analyst.get("/queue")
    with web_store.session() as s:
        assert s.query(AuditEvent).count() == before


def test_queue_snippet_skips_the_repeated_title_and_its_punctuation(analyst, web_store):
    with web_store.session() as s:
        add_listing(s, "title-repeat", "Рога сайги 2 шт", "Рога сайги 2 шт, цена договорная, звоните", score=0.99)
        group_pending(s, now=NOW)
    r = analyst.get("/queue", params={"q": "договорная"})
    assert r.status_code == 200
    snippets = re.findall(r'<div class="snippet">([^<]*)</div>', r.text)
    assert "цена договорная, звоните" in snippets, snippets
