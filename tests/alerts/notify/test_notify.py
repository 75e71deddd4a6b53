"""Notifications: digest content, email over plain SMTP / STARTTLS / SSL, Telegram, webhook, failing channels."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import re

import pytest

from alerts.notify import build_digest, notify_step, send_digest
from alerts.notify.render import TELEGRAM_LIMIT, render_telegram
from tests.ops_support import (NOW, FakeHTTP, add_listing, add_review, add_run, authenticator, free_port,
                                       ops_settings, server_tls_context)


# English words of the digest's msgids; none may appear in a Russian or Kazakh rendering (titles, source names,
# counter codes, addresses and the sites' own status details are data and stay as they are)
ENGLISH = re.compile(r"\b(?:flagged|confirmed|review|listings?|alerts?|sources?|pages|score|platform|price|original|"
                     r"queue|nothing|blocked|configured|markup|yielded|average|failed|steps?|daily|run|sale)\b", re.I)


def _assert_no_english(*texts: str) -> None:
    for text in texts:
        text = re.sub(r"(?:https?://|href=['\"])\S+", "", text)
        for data in ("HTTP 403 with a captcha page", "no channels configured", "markup/ad/price_missing"):
            text = text.replace(data, "")
        assert not ENGLISH.findall(text), (ENGLISH.findall(text), text)


def _populate(session):
    """A previous run, today's run with 12 flagged listings, one confirmed case and source problems."""
    add_run(session, NOW - dt.timedelta(days=2), {"olx-kz-ru": {"listings": 40}, "olx-kz-kk": {"listings": 10}})
    add_run(session, NOW - dt.timedelta(days=1), {"olx-kz-ru": {"listings": 40}, "olx-kz-kk": {"listings": 10}})
    old = add_listing(session, "old-1", "Продам рога сайги, старые", score=0.9, flagged=True, seen=NOW - dt.timedelta(days=2))
    add_review(session, old, "sale", NOW - dt.timedelta(hours=3))
    add_review(session, old, "sale", NOW - dt.timedelta(days=3))  # before the previous run: not new
    run = add_run(session, NOW, {
        "olx-kz-ru": {"listings": 6, "new": 12, "stats": {"markup/ad/price_missing": 4}},
        "olx-kz-kk": {"status": "blocked", "detail": "HTTP 403 with a captcha page"},
        "telegram-channels": {"status": "not_configured", "detail": "no channels configured", "platform": "telegram"},
    })
    ids = []
    for i in range(12):
        listing = add_listing(session, f"n{i}", f"Рога сайги №{i} <b>", score=0.5 + i / 100, flagged=True, price=1000 + i,
                              currency="KZT")
        ids.append(listing.id)
    add_listing(session, "ok1", "Карабин Сайга-12", score=0.1, flagged=False)
    return run, ids


def test_digest_content(store, tmp_path):
    settings = ops_settings(tmp_path, notify={"top_items": 5}, web={"public_url": "https://watch.example.org/"})
    with store.session() as s:
        run, ids = _populate(s)
        digest = build_digest(s, settings, run.id, {"classify": {"flagged_listing_ids": ids},
                                                    "crawl": {"error": "RuntimeError: boom"}}, NOW)
    assert digest.flagged_count == 12 and len(digest.flagged) == 5
    assert [i.title for i in digest.flagged][:2] == ["Рога сайги №11 <b>", "Рога сайги №10 <b>"]  # highest score first
    assert digest.flagged[0].review_url == f"https://watch.example.org/listings/{ids[11]}"
    assert digest.confirmed_count == 1 and digest.confirmed[0].title.startswith("Продам рога")
    assert {(p.source, p.kind) for p in digest.blocked} == {("olx-kz-kk", "blocked"), ("telegram-channels", "not_configured")}
    assert digest.markup[0].source == "olx-kz-ru" and "markup/ad/price_missing=4" in digest.markup[0].message
    assert [(p.source, p.kind) for p in digest.health] == [("olx-kz-ru", "yield_drop")]  # 6 vs 40 before
    assert digest.failed_steps == ["crawl"]
    assert digest.subject() == "[SaigaWatch] 2026-11-24: 12 объявлений на проверку, 1 подтверждённый случай, 5 предупреждений"
    assert "изменилась разметка: markup/ad/price_missing=4" in digest.markup[0].message
    assert digest.health[0].message == "найдено 6 объявлений, 15% от среднего 40.0 (порог предупреждения: 30%)"


def test_digest_without_classify_results_lists_what_is_not_yet_notified(sqlite_store, tmp_path):
    from store.work import NOTIFY, owe

    settings = ops_settings(tmp_path)
    with sqlite_store.session() as s:
        run, ids = _populate(s)
        for lid in ids:
            owe(s, NOTIFY, lid)
        digest = build_digest(s, settings, run.id, {}, NOW)
    assert digest.flagged_count == 12
    assert digest.flagged[0].review_url.startswith("http://127.0.0.1:8000/listings/")


def _settings_with_smtp(tmp_path, **smtp):
    return ops_settings(tmp_path, notify={"smtp": {"enabled": True, "host": "127.0.0.1", "recipients": ["a@ngo.test", "b@ngo.test"],
                                                   "sender": "watch@ngo.test", **smtp}})


def _digest(store, settings):
    with store.session() as s:
        run, ids = _populate(s)
        return build_digest(s, settings, run.id, {"classify": {"flagged_listing_ids": ids}}, NOW)


def test_email_plain_smtp(sqlite_store, tmp_path, smtp_server):
    port, sink = smtp_server
    settings = _settings_with_smtp(tmp_path, port=port)
    status = send_digest(settings, _digest(sqlite_store, settings))
    assert status["email"].startswith("sent: sent to 2 recipient(s)"), status
    env = sink.messages[0]
    assert env.mail_from == "watch@ngo.test" and env.rcpt_tos == ["a@ngo.test", "b@ngo.test"]
    msg = email.message_from_bytes(env.original_content, policy=email.policy.default)
    assert msg["Subject"] == "[SaigaWatch] 2026-11-24: 12 объявлений на проверку, 1 подтверждённый случай, 4 предупреждения"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Рога сайги №11" in text and "http://127.0.0.1:8000/listings/" in text
    assert "olx-kz-kk: заблокирован сайтом: HTTP 403 with a captcha page" in text  # the site's own detail stays
    assert "Изменения разметки сайтов" in text and "найдено 6 объявлений" in text
    assert "Отмечено новых: 12 объявлений" in text and "На проверку (первые 10 из 12):" in text
    assert "Рога сайги №11 &lt;b&gt;" in html  # titles are escaped in HTML
    assert "<html lang='ru'>" in html and "Оценка" in html and "… и ещё 2 объявления в очереди." in html
    _assert_no_english(text, html)


def test_email_starttls_with_login_and_self_signed_cert(sqlite_store, tmp_path, tls_material, monkeypatch):
    from aiosmtpd.controller import Controller

    from tests.ops_support import MailSink

    cert, key = tls_material
    sink, port = MailSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, tls_context=server_tls_context(cert, key),
                            require_starttls=True, authenticator=authenticator("robot", "s3cret"), auth_require_tls=True)
    controller.start()
    try:
        monkeypatch.setenv("SAIGAWATCH_SMTP_USER", "robot")
        monkeypatch.setenv("SAIGAWATCH_SMTP_PASSWORD", "s3cret")
        settings = _settings_with_smtp(tmp_path, port=port, security="starttls", ca_file=str(cert))
        digest = _digest(sqlite_store, settings)
        assert send_digest(settings, digest)["email"].startswith("sent:")
        assert len(sink.messages) == 1
        # a wrong password is a channel error, not an exception
        monkeypatch.setenv("SAIGAWATCH_SMTP_PASSWORD", "wrong")
        status = send_digest(settings, digest)["email"]
        assert status.startswith("error: SMTP login to") and "'robot' refused" in status
        # without trusting the self-signed certificate, TLS verification fails clearly
        monkeypatch.setenv("SAIGAWATCH_SMTP_PASSWORD", "s3cret")
        untrusted = _settings_with_smtp(tmp_path, port=port, security="starttls")
        assert "certificate verify failed" in send_digest(untrusted, digest)["email"].lower()
        assert len(sink.messages) == 1
    finally:
        controller.stop()


def test_email_implicit_ssl(sqlite_store, tmp_path, tls_material):
    from aiosmtpd.controller import Controller

    from tests.ops_support import MailSink

    cert, key = tls_material
    sink, port = MailSink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ssl_context=server_tls_context(cert, key))
    controller.start()
    try:
        settings = _settings_with_smtp(tmp_path, port=port, security="ssl", ca_file=str(cert))
        assert send_digest(settings, _digest(sqlite_store, settings))["email"].startswith("sent:")
        assert b"Subject: [SaigaWatch] 2026-11-24" in sink.messages[0].original_content
    finally:
        controller.stop()


def test_telegram_messages_to_fake_bot_api(sqlite_store, tmp_path, monkeypatch):
    monkeypatch.setenv("SAIGAWATCH_TELEGRAM_BOT_TOKEN", "123:ABC")
    with FakeHTTP(lambda path, body: (200, {"ok": True, "result": {"message_id": 1}})) as fake:
        settings = ops_settings(tmp_path, notify={"telegram": {"enabled": True, "api_base": fake.url, "chat_id": "-100200"}})
        status = send_digest(settings, _digest(sqlite_store, settings))
    assert status["telegram"] == "sent: sent 1 message(s) to chat -100200"
    req = fake.requests[0]
    assert req["path"] == "/bot123:ABC/sendMessage"
    payload = json.loads(req["body"])
    assert payload["chat_id"] == "-100200" and payload["parse_mode"] == "HTML"
    assert "Рога сайги №11 &lt;b&gt;" in payload["text"] and "/listings/" in payload["text"]
    assert "olx-kz-kk: заблокирован сайтом" in payload["text"]
    assert "Отмечено новых: 12 объявлений · Новых подтверждений: 1 случай" in payload["text"]
    _assert_no_english(payload["text"])


def test_telegram_api_error_and_missing_token(sqlite_store, tmp_path, monkeypatch):
    with FakeHTTP(lambda path, body: (400, {"ok": False, "description": "Bad Request: chat not found"})) as fake:
        settings = ops_settings(tmp_path, notify={"telegram": {"enabled": True, "api_base": fake.url, "chat_id": "42"}})
        digest = _digest(sqlite_store, settings)
        monkeypatch.delenv("SAIGAWATCH_TELEGRAM_BOT_TOKEN", raising=False)
        assert send_digest(settings, digest)["telegram"] == \
            "error: environment variable SAIGAWATCH_TELEGRAM_BOT_TOKEN (the bot token) is not set"
        monkeypatch.setenv("SAIGAWATCH_TELEGRAM_BOT_TOKEN", "t")
        assert send_digest(settings, digest)["telegram"].endswith("HTTP 400: Bad Request: chat not found")


def test_telegram_long_digest_is_split_under_the_limit(sqlite_store, tmp_path):
    settings = ops_settings(tmp_path, notify={"top_items": 100})
    with sqlite_store.session() as s:
        run = add_run(s, NOW, {"olx-kz-ru": {"listings": 200}})
        ids = [add_listing(s, f"x{i}", "Продам рога сайги оптом " + "очень дорого " * 8, score=0.8, flagged=True).id
               for i in range(100)]
        digest = build_digest(s, settings, run.id, {"classify": {"flagged_listing_ids": ids}}, NOW)
    messages = render_telegram(digest)
    assert len(messages) > 1 and all(len(m) <= TELEGRAM_LIMIT for m in messages)
    assert sum(m.count("/listings/") for m in messages) == 100


def test_webhook_signed_json(sqlite_store, tmp_path, monkeypatch):
    monkeypatch.setenv("SAIGAWATCH_WEBHOOK_SECRET", "k3y")
    with FakeHTTP(lambda path, body: (204, {})) as fake:
        settings = ops_settings(tmp_path, notify={"webhook": {"enabled": True, "url": fake.url + "/hook"}})
        status = send_digest(settings, _digest(sqlite_store, settings))
    assert status["webhook"].startswith("sent: posted")
    req = fake.requests[0]
    body = req["body"]
    expected = "sha256=" + hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
    assert req["headers"]["X-SaigaWatch-Signature"] == expected
    data = json.loads(body)
    assert data["type"] == "saigawatch.digest" and data["flagged_count"] == 12
    assert data["blocked"][0]["source"] in ("olx-kz-kk", "telegram-channels")
    assert data["flagged"][0]["review_url"].startswith("http://127.0.0.1:8000/listings/")
    assert data["language"] == "ru" and data["subject"].startswith("2026-11-24: 12 объявлений на проверку")
    assert "Отмечено новых: 12 объявлений" in data["text"]
    _assert_no_english(data["text"])


def test_failing_channel_does_not_stop_the_others(sqlite_store, tmp_path, smtp_server, monkeypatch):
    port, sink = smtp_server
    dead = free_port()
    monkeypatch.setenv("SAIGAWATCH_TELEGRAM_BOT_TOKEN", "t")
    with FakeHTTP(lambda path, body: (500, {"error": "down"})) as fake:
        settings = ops_settings(tmp_path, notify={
            "smtp": {"enabled": True, "port": port, "recipients": ["a@ngo.test"]},
            "telegram": {"enabled": True, "api_base": f"http://127.0.0.1:{dead}", "chat_id": "1"},
            "webhook": {"enabled": True, "url": fake.url},
        })
        with sqlite_store.session() as s:
            run, ids = _populate(s)

        class Ctx:
            pass

        ctx = Ctx()
        ctx.settings, ctx.store, ctx.crawl_run_id, ctx.now = settings, sqlite_store, run.id, NOW
        ctx.results = {"classify": {"flagged_listing_ids": ids}}
        out = notify_step(ctx)
    assert out["sent"] == ["email"] and out["failed"] == ["telegram", "webhook"]
    assert out["channels_status"] == "email sent, telegram error, webhook error"
    assert "cannot reach the Telegram Bot API" in out["channels"]["telegram"]
    assert "answered HTTP 500" in out["channels"]["webhook"]
    assert len(sink.messages) == 1 and out["flagged"] == 12


def test_empty_digest_is_a_heartbeat_unless_disabled(sqlite_store, tmp_path, smtp_server):
    port, sink = smtp_server
    with sqlite_store.session() as s:
        add_run(s, NOW - dt.timedelta(days=1), {"olx-kz-ru": {"listings": 10}})
        run = add_run(s, NOW, {"olx-kz-ru": {"listings": 10}})
    quiet = ops_settings(tmp_path, notify={"send_when_empty": False, "smtp": {"enabled": True, "port": port, "recipients": ["a@x.test"]}})
    with sqlite_store.session() as s:
        digest = build_digest(s, quiet, run.id, {"classify": {"flagged_listing_ids": []}}, NOW)
    assert digest.is_empty
    assert send_digest(quiet, digest)["email"].startswith("skipped")
    loud = ops_settings(tmp_path, notify={"smtp": {"enabled": True, "port": port, "recipients": ["a@x.test"]}})
    assert send_digest(loud, digest)["email"].startswith("sent")
    msg = email.message_from_bytes(sink.messages[0].original_content, policy=email.policy.default)
    assert "Сегодня ничего нового" in msg.get_body(("plain",)).get_content()
    assert msg["Subject"] == "[SaigaWatch] 2026-11-24: 0 объявлений на проверку"


def test_invalid_channel_config_names_the_key(tmp_path):
    from config import ConfigError

    with pytest.raises(ConfigError, match="notify.smtp"):
        ops_settings(tmp_path, notify={"smtp": {"enabled": True}})


def test_confirmed_cases_since_previous_daily_run_ignore_manual_crawls(sqlite_store, tmp_path):
    from store.models import CrawlRun

    settings = ops_settings(tmp_path)
    with sqlite_store.session() as s:
        add_run(s, NOW - dt.timedelta(days=1), {"olx-kz-ru": {"listings": 10}})  # yesterday's daily run (trigger test)
        listing = add_listing(s, "c1", "Продам рога сайги", score=0.9, flagged=True, seen=NOW - dt.timedelta(days=1))
        add_review(s, listing, "buy", NOW - dt.timedelta(hours=5))
        manual = CrawlRun(started_at=NOW - dt.timedelta(hours=2), finished_at=NOW - dt.timedelta(hours=1),
                          status="finished", trigger="manual", stats={}, errors=[])
        s.add(manual)
        run = add_run(s, NOW, {"olx-kz-ru": {"listings": 10}})
        digest = build_digest(s, settings, run.id, {"classify": {"flagged_listing_ids": []}}, NOW)
    assert digest.confirmed_count == 1 and digest.confirmed[0].listing_id == listing.id


def _digest_of(count: int, language: str):
    from alerts.notify.digest import Digest, DigestItem

    items = [DigestItem(i, "olx", f"Рога сайги {i}", "1 000 ₸", 0.9, "sell", f"http://127.0.0.1:8000/listings/{i}",
                        f"https://example.test/olx/{i}") for i in range(1, count + 1)]
    return Digest(run_id=7, run_day="2026-11-24", generated_at="2026-11-24T06:00:00+00:00",
                  review_url="http://127.0.0.1:8000", language=language, flagged_count=count, flagged=items,
                  confirmed_count=count, confirmed=items[:1], failed_steps=["capture"])


def _sent_everywhere(tmp_path, digest, language, smtp_port, monkeypatch):
    """The digest through e-mail (loopback SMTP), Telegram (a fake Bot API) and webhook; their texts."""
    monkeypatch.setenv("SAIGAWATCH_TELEGRAM_BOT_TOKEN", "t")
    with FakeHTTP(lambda path, body: (200, {"ok": True})) as fake:
        settings = ops_settings(tmp_path, notify={
            "language": language, "smtp": {"enabled": True, "port": smtp_port, "recipients": ["a@ngo.test"]},
            "telegram": {"enabled": True, "api_base": fake.url, "chat_id": "1"},
            "webhook": {"enabled": True, "url": fake.url + "/hook"}})
        status = send_digest(settings, digest)
    assert all(v.startswith("sent") for v in status.values()), status
    telegram = json.loads(next(r["body"] for r in fake.requests if r["path"].endswith("/sendMessage")))["text"]
    webhook = json.loads(next(r["body"] for r in fake.requests if r["path"] == "/hook"))
    return telegram, webhook


@pytest.mark.parametrize("count, listings, cases", [
    (1, "1 объявление", "1 подтверждённый случай"),
    (2, "2 объявления", "2 подтверждённых случая"),
    (5, "5 объявлений", "5 подтверждённых случаев"),
    (21, "21 объявление", "21 подтверждённый случай"),
])
def test_russian_digest_has_real_plural_forms_in_every_channel(tmp_path, smtp_server, monkeypatch, count, listings,
                                                                cases):
    port, sink = smtp_server
    telegram, webhook = _sent_everywhere(tmp_path, _digest_of(count, "ru"), "ru", port, monkeypatch)
    msg = email.message_from_bytes(sink.messages[-1].original_content, policy=email.policy.default)
    text, html = msg.get_body(("plain",)).get_content(), msg.get_body(("html",)).get_content()
    assert msg["Subject"] == f"[SaigaWatch] 2026-11-24: {listings} на проверку, {cases}, 1 предупреждение"
    for body in (text, html, telegram, webhook["text"]):
        assert f"Отмечено новых: {listings}" in body and "фиксация доказательств (см. журнал)" in body, body
    for body in (text, telegram, webhook["text"]):
        assert "оценка 0.90, продажа" in body, body
    assert webhook["subject"] == f"2026-11-24: {listings} на проверку, {cases}, 1 предупреждение"
    assert "Шаги, завершившиеся ошибкой" in html and "Площадка" in html
    _assert_no_english(text, html, telegram, webhook["text"])


def test_kazakh_digest_in_every_channel(tmp_path, smtp_server, monkeypatch):
    port, sink = smtp_server
    telegram, webhook = _sent_everywhere(tmp_path, _digest_of(5, "kk"), "kk", port, monkeypatch)
    msg = email.message_from_bytes(sink.messages[-1].original_content, policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()
    assert msg["Subject"] == "[SaigaWatch] 2026-11-24: тексеруге 5 хабарландыру, 5 расталған іс, 1 ескерту"
    for body in (text, telegram, webhook["text"]):
        assert "Белгіленген жаңа хабарландырулар: 5" in body and "дәлелдерді тіркеу (журналды қараңыз)" in body
        assert "ұпай 0.90, сату" in body
    assert "Тексеру кезегі: http://127.0.0.1:8000/queue" in text and webhook["language"] == "kk"
    assert "<html lang='kk'>" in msg.get_body(("html",)).get_content()
    _assert_no_english(text, telegram, webhook["text"])


def test_english_digest_keeps_the_msgids(tmp_path):
    from alerts.notify.render import render_text

    digest = _digest_of(1, "en")
    assert digest.subject() == "[SaigaWatch] 2026-11-24: 1 listing to review, 1 confirmed case, 1 alert"
    assert "1 new listing flagged" in render_text(digest)
    assert "5 new listings flagged" in render_text(_digest_of(5, "en"))


def test_health_alerts_are_worded_in_the_digest_language(sqlite_store, tmp_path):
    from alerts.notify.wording import gettext_for, health_text

    ru, kk = gettext_for("ru"), gettext_for("kk")
    assert health_text({"kind": "zero_yield", "average": 12.0, "reason": "no_results"}, ru) == \
        "не найдено ни одного объявления (в среднем 12.0): сайт ответил «ничего не найдено» на каждый запрос"
    assert health_text({"kind": "yield_drop", "listings": 2, "average": 10.0, "threshold": 0.3}, ru) == \
        "найдено 2 объявления, 20% от среднего 10.0 (порог предупреждения: 30%)"
    assert health_text({"kind": "error", "detail": "TimeoutError"}, kk) == "жинау қатемен аяқталды: TimeoutError"
    assert health_text({"kind": "missing"}, ru) == "не запускался в этом сборе"


def test_test_digest_is_marked_in_the_configured_language(tmp_path, smtp_server):
    from alerts.notify import send_test_digest

    port, sink = smtp_server
    settings = ops_settings(tmp_path, notify={"language": "kk", "smtp": {"enabled": True, "port": port,
                                                                          "recipients": ["a@x.test"]}})
    assert send_test_digest(settings)["email"].startswith("sent")
    msg = email.message_from_bytes(sink.messages[0].original_content, policy=email.policy.default)
    assert msg["Subject"].startswith("[SaigaWatch] сынақ ") and "тексеруге 0 хабарландыру" in msg["Subject"]
    assert "Бүгін жаңа ештеңе жоқ" in msg.get_body(("plain",)).get_content()


def test_unknown_digest_language_is_a_clear_config_error(tmp_path):
    from config import ConfigError

    with pytest.raises(ConfigError, match=r"notify\.language.*'ru', 'kk' or 'en'.*got 'de'"):
        ops_settings(tmp_path, notify={"language": "de"})


def test_flagged_listings_stay_owed_until_a_digest_is_delivered(sqlite_store, tmp_path):
    from store.work import NOTIFY, owe, owed_listing_ids

    with sqlite_store.session() as s:
        run, ids = _populate(s)
        for lid in ids:
            owe(s, NOTIFY, lid)

    class Ctx:
        pass

    ctx = Ctx()
    ctx.store, ctx.crawl_run_id, ctx.now, ctx.results = sqlite_store, run.id, NOW, {"classify": {"flagged_listing_ids": []}}
    received = []
    with FakeHTTP(lambda path, body: (500, {"error": "down"})) as down:
        ctx.settings = ops_settings(tmp_path, notify={"webhook": {"enabled": True, "url": down.url}})
        out = notify_step(ctx)
    assert out["failed"] == ["webhook"] and out["still_owed"] == 12
    with sqlite_store.session() as s:
        assert owed_listing_ids(s, NOTIFY) == ids  # every channel failed: the next run tries again
    with FakeHTTP(lambda path, body: (received.append(json.loads(body)) or 200, {})) as up:
        ctx.settings = ops_settings(tmp_path, notify={"webhook": {"enabled": True, "url": up.url}})
        out = notify_step(ctx)
    assert out["sent"] == ["webhook"] and out["still_owed"] == 0 and received[0]["flagged_count"] == 12
    with sqlite_store.session() as s:
        assert owed_listing_ids(s, NOTIFY) == []
