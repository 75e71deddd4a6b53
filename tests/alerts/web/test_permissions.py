"""Who may see and do what: anonymous → login page (or 401 JSON), wrong role → 403."""
from __future__ import annotations

from .conftest import csrf_of

ANALYST_PAGES = ["/queue", "/listings/{top}", "/sellers/{seller}", "/dossier?phone=%2B77011234567",
                 "/media/images/{image}", "/captures/{capture}", "/api/queue", "/api/listings/{top}"]
ADMIN_PAGES = ["/admin", "/admin/audit"]
EVERYONE_PAGES = ["/stats"]


def _fill(path, seeded):
    return path.format(top=seeded.ids["top"], seller=seeded.seller_ids["s-100"], image=seeded.image_id,
                       capture=seeded.capture_id)


def test_anonymous_is_sent_to_the_login_page(anon, seeded):
    for path in ANALYST_PAGES + ADMIN_PAGES + EVERYONE_PAGES:
        r = anon.get(_fill(path, seeded), follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated", path
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path


def test_login_page_returns_to_the_requested_page(anon, seeded):
    from .conftest import login

    target = f"/listings/{seeded.ids['top']}"
    r = anon.get(target)  # follows the redirect to the login form
    assert r.url.path == "/login" and "Log in" in r.text
    assert login(anon, "anna").headers["location"] == "/queue"  # no next given → home
    anon.cookies.clear()
    page = anon.get(f"/login?next={target}")
    import re
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = anon.post("/login", data={"username": "anna", "password": "correct-horse-battery", "csrf_token": token,
                                  "next": target}, follow_redirects=False)
    assert r.headers["location"] == target


def test_viewer_gets_403_outside_statistics(viewer, seeded):
    for path in ANALYST_PAGES + ADMIN_PAGES:
        assert viewer.get(_fill(path, seeded)).status_code == 403, path


def test_viewer_sees_statistics_and_cannot_decide(viewer, seeded):
    assert viewer.get("/stats").status_code == 200
    token = csrf_of(viewer)
    r = viewer.post(f"/api/listings/{seeded.ids['top']}/decision", json={"decision": "sale"},
                    headers={"X-CSRF-Token": token})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = viewer.post("/queue/bulk", data={"ids": [seeded.ids["top"]], "decision": "not_trade", "csrf_token": token})
    assert r.status_code == 403
    r = viewer.post("/evidence/export", data={"ids": [seeded.ids["top"]], "csrf_token": token})
    assert r.status_code == 403


def test_analyst_sees_review_pages_but_not_admin(analyst, seeded):
    for path in ANALYST_PAGES + EVERYONE_PAGES:
        assert analyst.get(_fill(path, seeded)).status_code == 200, path
    for path in ADMIN_PAGES:
        assert analyst.get(path).status_code == 403, path


def test_analyst_cannot_manage_users(analyst):
    r = analyst.post("/admin/users", data={"op": "add", "username": "mallory", "password": "x" * 12,
                                           "role": "admin", "csrf_token": csrf_of(analyst)})
    assert r.status_code == 403


def test_admin_sees_everything(admin, seeded):
    for path in ANALYST_PAGES + ADMIN_PAGES + EVERYONE_PAGES:
        assert admin.get(_fill(path, seeded)).status_code == 200, path


def test_navigation_matches_the_role(viewer, analyst, admin):
    assert 'href="/queue"' not in viewer.get("/stats").text
    assert 'href="/admin"' not in analyst.get("/stats").text
    assert 'href="/admin"' in admin.get("/stats").text
