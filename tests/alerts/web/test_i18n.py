"""UI language: Russian and English (Kazakh partly, falling back to Russian), chosen per user."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from alerts.web.i18n import TRANSLATIONS_DIR, gettext_for
from store.models import User

from .conftest import csrf_of, login

WEB = Path(__file__).resolve().parents[3] / "alerts" / "web"
MSGID = re.compile(r'''\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')''')


def _msgids() -> set[str]:
    found = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.rglob("*.py")]:
        for m in MSGID.finditer(path.read_text(encoding="utf-8")):
            found.add(m.group(1) if m.group(1) is not None else m.group(2))
    return found


def test_every_ui_string_has_a_russian_translation():
    with open(TRANSLATIONS_DIR / "ru" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string}
    missing = sorted(_msgids() - translated)
    assert not missing, f"add these to alerts/web/translations/ru/LC_MESSAGES/messages.po: {missing}"


def test_placeholders_survive_translation():
    for lang in ("ru", "kk"):
        with open(TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
            for m in read_po(fh):
                if m.id and m.string:
                    assert set(re.findall(r"{\w+}", m.id)) == set(re.findall(r"{\w+}", m.string)), (lang, m.id)


def test_catalogues_compile_in_memory_without_a_build_step():
    assert gettext_for("ru")("Queue") == "Очередь"
    assert gettext_for("kk")("Queue") == "Кезек"
    assert gettext_for("kk")("Crawl health") == "Жинау күйі"
    assert gettext_for("kk")("Outcomes") == "Итоги"  # untranslated Kazakh falls back to Russian
    assert gettext_for("en")("Queue") == "Queue"
    assert not list(TRANSLATIONS_DIR.rglob("*.mo")), "compiled .mo files are not needed in the repo"


def test_language_is_chosen_per_user(app, seeded, web_store):
    from starlette.testclient import TestClient

    with TestClient(app, base_url="http://127.0.0.1") as ru_client:
        login(ru_client, "rusya")
        page = ru_client.get("/queue").text
        assert '<html lang="ru">' in page and "Очередь" in page and "Продажа подтверждена" in page
        r = ru_client.post("/account/language", data={"language": "kk", "csrf_token": csrf_of(ru_client),
                                                       "next": "/queue"}, follow_redirects=False)
        assert r.status_code == 303
        assert '<html lang="kk">' in ru_client.get("/queue").text
    with web_store.session() as s:
        assert s.query(User).filter_by(username="rusya").one().language == "kk"


def test_login_page_language_and_kazakh_welcome(anon):
    page = anon.get("/login?lang=ru").text
    assert "Войти" in page and "Қош келдіңіз" in page
    assert "Log in" in anon.get("/login?lang=en").text
