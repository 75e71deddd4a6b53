"""Sessions, CSRF, login rate limiting, secret key handling, redirects and password changes."""
from __future__ import annotations

import os
import re
import stat

from starlette.testclient import TestClient

from alerts.review.users import set_disabled, set_password
from alerts.web.app import create_app
from alerts.web.security import SECRET_KEY_FILE, load_secret_key
from store.models import AuditEvent, Review

from .conftest import PASSWORD, csrf_of, login


def test_session_cookie_is_httponly_and_samesite(anon, seeded):
    r = login(anon, "anna")
    cookie = r.headers["set-cookie"]
    assert "saigawatch_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()


def test_session_cookie_is_secure_behind_https(web_settings, web_store, seeded):
    settings = web_settings.model_copy(update={"web": web_settings.web.model_copy(update={"public_url": "https://watch.example.org"})})
    with TestClient(create_app(settings, web_store), base_url="https://127.0.0.1") as client:
        assert "secure" in login(client, "anna").headers["set-cookie"].lower()


def test_post_without_csrf_token_is_refused(analyst, seeded, web_store):
    r = analyst.post(f"/listings/{seeded.ids['top']}/decide", data={"decision": "sale"})
    assert r.status_code == 403 and "The form has expired" in r.text
    r = analyst.post(f"/api/listings/{seeded.ids['top']}/decision", json={"decision": "sale"},
                     headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403 and r.json() == {"error": {"code": "csrf_failed", "message": r.json()["error"]["message"]}}
    with web_store.session() as s:
        assert s.query(Review).filter_by(listing_id=seeded.ids["top"]).count() == 0


def test_login_itself_needs_the_csrf_token(anon, seeded):
    r = anon.post("/login", data={"username": "anna", "password": PASSWORD})
    assert r.status_code == 403


def test_login_is_rate_limited_across_server_processes(web_settings, web_store, seeded):
    first = TestClient(create_app(web_settings, web_store), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    for _ in range(web_settings.web.login_attempts_per_minute):
        assert login(first, "anna", "wrong-password-x").status_code == 401
    # a second app instance (another worker) shares the limit through the database
    second = TestClient(create_app(web_settings, web_store), base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    blocked = login(second, "anna", PASSWORD)
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "60"
    assert "Too many failed attempts" in blocked.text
    assert login(second, "boss").status_code == 303  # other accounts are not locked out by name
    with web_store.session() as s:
        assert s.query(AuditEvent).filter_by(action="login.failed", object_id="anna").count() == 5
        assert s.query(AuditEvent).filter_by(action="login.blocked").count() == 1


def test_wrong_password_and_disabled_account(anon, seeded, web_store):
    assert login(anon, "anna", "not-the-password").status_code == 401
    with web_store.session() as s:
        set_disabled(s, "vera", True, actor="test")
    r = login(anon, "vera")
    assert r.status_code == 401 and "disabled" in r.text


def test_disabling_or_changing_password_ends_open_sessions(analyst, viewer, web_store):
    assert analyst.get("/queue").status_code == 200
    with web_store.session() as s:
        set_password(s, "anna", "a-brand-new-password", actor="test")
        set_disabled(s, "vera", True, actor="test")
    assert analyst.get("/queue", follow_redirects=False).status_code == 303
    assert viewer.get("/stats", follow_redirects=False).status_code == 303


def test_logout(analyst):
    r = analyst.post("/logout", data={"csrf_token": csrf_of(analyst)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert analyst.get("/queue", follow_redirects=False).status_code == 303


def test_no_open_redirect_after_login(anon, seeded):
    page = anon.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = anon.post("/login", data={"username": "anna", "password": PASSWORD, "csrf_token": token, "next": evil},
                      follow_redirects=False)
        assert r.headers["location"] == "/queue", evil
        anon.cookies.clear()
        token = re.search(r'name="csrf_token" value="([^"]+)"', anon.get("/login").text).group(1)


def test_secret_key_is_generated_once_with_private_permissions(tmp_path, monkeypatch):
    from config import load_config

    monkeypatch.delenv("SAIGAWATCH_SECRET_KEY", raising=False)
    settings = load_config(overrides={"storage": {"data_dir": str(tmp_path / "var")}})
    key = load_secret_key(settings)
    path = tmp_path / "var" / SECRET_KEY_FILE
    assert len(key) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key(settings) == key
    monkeypatch.setenv("SAIGAWATCH_SECRET_KEY", "k" * 40)
    assert load_secret_key(settings) == "k" * 40
    monkeypatch.setenv("SAIGAWATCH_SECRET_KEY", "short")
    import pytest

    from alerts.web.security import SecretKeyError
    with pytest.raises(SecretKeyError, match="SAIGAWATCH_SECRET_KEY"):
        load_secret_key(settings)
    os.environ.pop("SAIGAWATCH_SECRET_KEY", None)


def test_passwords_are_stored_as_argon2_hashes(web_store, seeded):
    from store.models import User

    with web_store.session() as s:
        user = s.query(User).filter_by(username="anna").one()
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_files_outside_the_data_dir_are_refused(analyst, seeded, web_store):
    from store.models import Image

    with web_store.session() as s:
        image = Image(listing_id=seeded.ids["top"], url="x", path="../../../../etc/passwd")
        s.add(image)
        s.flush()
        image_id = image.id
    assert analyst.get(f"/media/images/{image_id}").status_code == 404
