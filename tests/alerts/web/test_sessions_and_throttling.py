"""Attacks on accounts: copied cookies after logout, forged cookies from a backup, lockouts through login limits."""
from __future__ import annotations

import base64
import json
import secrets

import itsdangerous
from starlette.testclient import TestClient

from alerts.review.users import set_disabled, set_password
from alerts.web.app import SESSION_COOKIE, create_app
from alerts.web.security import client_address, load_secret_key
from store.models import AuditEvent, Review, User, WebSession

from .conftest import PASSWORD, csrf_of, login

ATTEMPTS = 50  # every attack is bounded to 50 requests


def _client(app, peer: str = "198.51.100.7", **headers) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1", client=(peer, 40000),
                      headers={"Accept-Language": "en", **headers})


def _decide(client: TestClient, listing_id: int, token: str):
    return client.post(f"/listings/{listing_id}/decide", data={"decision": "sale", "csrf_token": token},
                       follow_redirects=False)


def _fast(web_settings, **web):
    return web_settings.model_copy(update={"web": web_settings.web.model_copy(
        update={"login_slowdown_max_s": 0.02, **web})})


def test_a_cookie_copied_before_logout_is_dead_after_it(analyst, seeded, web_store):
    token = csrf_of(analyst, "/queue")
    stolen = dict(analyst.cookies)
    assert analyst.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    thief = TestClient(analyst.app, base_url="http://127.0.0.1", cookies=stolen)
    assert thief.get("/queue", follow_redirects=False).status_code == 303
    assert _decide(thief, seeded.ids["top"], token).status_code in (303, 403)
    with web_store.session() as s:
        assert s.query(Review).filter_by(listing_id=seeded.ids["top"]).count() == 0
        assert s.query(WebSession).count() == 0


def test_sessions_rotate_at_login(app, seeded, web_store):
    client = _client(app)
    client.get("/login")
    before = dict(client.cookies)
    assert login(client, "anna").status_code == 303
    first = dict(client.cookies)
    assert first != before
    assert TestClient(app, base_url="http://127.0.0.1", cookies=before).get("/queue", follow_redirects=False).status_code == 303
    assert login(client, "anna").status_code == 303  # logging in again ends the session it replaces
    assert TestClient(app, base_url="http://127.0.0.1", cookies=first).get("/queue", follow_redirects=False).status_code == 303
    assert client.get("/queue").status_code == 200
    with web_store.session() as s:
        assert s.query(WebSession).count() == 1


def test_disable_and_password_change_end_sessions_at_once(app, seeded, web_store):
    anna, vera = _client(app), _client(app)
    assert login(anna, "anna").status_code == 303 and login(vera, "vera").status_code == 303
    with web_store.session() as s:
        set_password(s, "anna", "another-long-password", actor="test")
        set_disabled(s, "vera", True, actor="test")
        assert s.query(WebSession).count() == 0
    assert anna.get("/queue", follow_redirects=False).status_code == 303
    assert vera.get("/stats", follow_redirects=False).status_code == 303


def test_a_backup_of_secret_and_database_cannot_forge_an_admin_session(app, web_settings, seeded, web_store):
    admin = _client(app)
    assert login(admin, "boss").status_code == 303
    secret = load_secret_key(web_settings)
    with web_store.session() as s:
        boss = s.query(User).filter_by(username="boss").one()
        stored = [row.token_hash for row in s.query(WebSession)]
    signer = itsdangerous.TimestampSigner(secret)
    forged_sessions = [{"uid": boss.id, "stamp": boss.password_hash[:24]}, {"sid": stored[0]},
                       {"sid": stored[0].removeprefix("sha256:")}, {"sid": secrets.token_urlsafe(32), "uid": boss.id}]
    for forged in forged_sessions:
        cookie = signer.sign(base64.b64encode(json.dumps(forged).encode())).decode()
        attacker = TestClient(app, base_url="http://127.0.0.1", cookies={SESSION_COOKIE: cookie})
        assert attacker.get("/admin", follow_redirects=False).status_code == 303, forged
    assert admin.get("/admin").status_code == 200


def test_failures_for_random_names_from_one_address_never_block_a_correct_password(web_settings, web_store, seeded):
    app = create_app(_fast(web_settings), web_store)
    attacker = _client(app, peer="203.0.113.9")
    for i in range(ATTEMPTS - 1):
        assert login(attacker, f"random-{i}-{secrets.token_hex(3)}", "wrong-password-x").status_code == 401
    assert login(attacker, "boss").status_code == 303  # the admin, from the same address, with the right password
    with web_store.session() as s:
        delays = [e.details.get("delay_s", 0) for e in s.query(AuditEvent).filter_by(action="login.failed")
                  .order_by(AuditEvent.id)]
    assert delays[0] == 0 and delays[-1] == 0.02  # the address is slowed down, up to the configured cap


def test_one_account_locks_after_failures_from_any_address_and_only_that_account(web_settings, web_store, seeded):
    app = create_app(_fast(web_settings, trusted_proxies=["127.0.0.1"]), web_store)
    proxy = _client(app, peer="127.0.0.1")
    for i in range(web_settings.web.login_attempts_per_minute):
        proxy.headers["X-Forwarded-For"] = f"192.0.2.{i + 1}"
        assert login(proxy, "boss", "wrong-password-x").status_code == 401
    locked = login(proxy, "boss")
    assert locked.status_code == 429 and locked.headers["retry-after"] == "60"
    proxy.headers["X-Forwarded-For"] = "192.0.2.200"
    assert login(proxy, "anna").status_code == 303  # other accounts, through the same proxy, still log in
    with web_store.session() as s:
        actors = {e.actor for e in s.query(AuditEvent).filter_by(action="login.failed")}
    assert actors == {f"ip:192.0.2.{i + 1}" for i in range(web_settings.web.login_attempts_per_minute)}


def test_forwarded_addresses_count_only_from_a_configured_proxy(web_settings, web_store, seeded):
    app = create_app(_fast(web_settings), web_store)  # no trusted proxy configured
    client = _client(app, peer="198.51.100.20")
    for i in range(ATTEMPTS // 5):
        client.headers["X-Forwarded-For"] = f"10.9.{i}.1"
        login(client, f"nobody{i}", "wrong-password-x")
    with web_store.session() as s:
        actors = {e.actor for e in s.query(AuditEvent).filter_by(action="login.failed")}
    assert actors == {"ip:198.51.100.20"}  # a client cannot pick the address it is throttled as


def test_client_address_rules():
    trusted = ["127.0.0.1", "10.0.0.0/8"]
    assert client_address("127.0.0.1", "203.0.113.5", trusted) == "203.0.113.5"
    assert client_address("127.0.0.1", "6.6.6.6, 203.0.113.5, 10.1.2.3", trusted) == "203.0.113.5"  # forged left part
    assert client_address("198.51.100.1", "203.0.113.5", trusted) == "198.51.100.1"  # untrusted peer
    assert client_address("127.0.0.1", "not-an-address", trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", None, trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", "203.0.113.5", []) == "127.0.0.1"


def test_login_password_is_checked_even_when_slowed(web_settings, web_store, seeded):
    app = create_app(_fast(web_settings), web_store)
    client = _client(app)
    for i in range(10):
        login(client, f"x{i}", "wrong-password-x")
    assert login(client, "anna", "wrong-password-x").status_code == 401
    assert login(client, "anna", PASSWORD).status_code == 303
