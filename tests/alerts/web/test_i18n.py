"""UI language: every message in Russian and Kazakh (complete catalogues, real plural forms), chosen per user."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

import pytest

from alerts.notify import wording as notify_wording
from alerts.web.i18n import CATALOGUE_LANGUAGES, TRANSLATIONS_DIR, gettext_for, negotiate
from store.models import User

from .conftest import csrf_of, login

ROOT = Path(__file__).resolve().parents[3]
WEB = ROOT / "alerts" / "web"
NOTIFY = ROOT / "alerts" / "notify"
# every catalogue: (the code whose msgids it holds, its translations directory); each one is complete in ru and kk
CATALOGUES = {
    "web": ([*WEB.glob("templates/*.html"), *WEB.rglob("*.py")], TRANSLATIONS_DIR),
    "notify": (sorted(NOTIFY.glob("*.py")), notify_wording.TRANSLATIONS_DIR),
}
each_catalogue = pytest.mark.parametrize("name", sorted(CATALOGUES))
STRING = r'''(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')'''
MSGID = re.compile(r'''(?<![\w.])(?:_|N_)\(\s*''' + STRING)
PLURAL = re.compile(r'''(?:ngettext|_\.n)\(\s*''' + STRING + r'''\s*,\s*''' + STRING)


def _unquote(double: str | None, single: str | None) -> str:
    return (double if double is not None else single).replace('\\"', '"').replace("\\'", "'")


def _source_msgids(name: str = "web") -> tuple[set[str], set[tuple[str, str]]]:
    """Every msgid a catalogue's code and templates use: _("…"), N_("…") and ngettext("…", "…", n)."""
    single, plural = set(), set()
    for path in CATALOGUES[name][0]:
        text = path.read_text(encoding="utf-8")
        single |= {_unquote(m.group(1), m.group(2)) for m in MSGID.finditer(text)}
        plural |= {(_unquote(m.group(1), m.group(2)), _unquote(m.group(3), m.group(4))) for m in PLURAL.finditer(text)}
    return single, plural


def _po(lang: str, name: str = "web") -> Path:
    return CATALOGUES[name][1] / lang / "LC_MESSAGES" / "messages.po"


def _catalogue(lang: str, name: str = "web"):
    with open(_po(lang, name), "rb") as fh:
        return read_po(fh, locale=lang)


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return bool(strings) and all(s and s.strip() for s in strings)


@each_catalogue
def test_every_catalogue_message_has_a_russian_and_a_kazakh_translation(name):
    for lang in CATALOGUE_LANGUAGES:
        catalogue = _catalogue(lang, name)
        missing = [m.id for m in catalogue if m.id and not _translated(m)]
        assert not missing, f"{_po(lang, name).relative_to(ROOT)} lacks translations of: {missing}"
        assert not [m.id for m in catalogue if m.id and m.fuzzy], f"{lang}: fuzzy translations left"


@each_catalogue
def test_every_ui_string_is_in_both_catalogues(name):
    single, plural = _source_msgids(name)
    assert len(single) > {"web": 300, "notify": 40}[name] and plural
    for lang in CATALOGUE_LANGUAGES:
        ids = {m.id for m in _catalogue(lang, name) if m.id}
        missing = sorted(single - ids) + sorted(map(str, plural - ids))
        assert not missing, f"add these to {_po(lang, name).relative_to(ROOT)}: {missing}"


@each_catalogue
def test_plural_messages_have_every_plural_form(name):
    for lang, forms in (("ru", 3), ("kk", 2)):
        catalogue = _catalogue(lang, name)
        assert catalogue.num_plurals == forms
        for m in catalogue:
            if m.id and isinstance(m.id, tuple):
                assert len(m.string) == forms and all(m.string), (lang, m.id)


def test_russian_plurals_follow_the_number():
    n = gettext_for("ru").n
    assert n("platform", "platforms", 1) == "площадка"
    assert n("platform", "platforms", 3) == "площадки"
    assert n("platform", "platforms", 11) == "площадок"
    assert n("account", "accounts", 21) == "аккаунт"
    assert n("{n} listing", "{n} listings", 5) == "5 объявлений"
    assert gettext_for("en").n("{n} listing", "{n} listings", 1) == "1 listing"


@each_catalogue
def test_placeholders_survive_translation(name):
    for lang in CATALOGUE_LANGUAGES:
        for m in _catalogue(lang, name):
            if not m.id:
                continue
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            wanted = set(re.findall(r"{\w+}", ids[-1]))
            for s in strings:
                assert set(re.findall(r"{\w+}", s)) <= wanted and (set(re.findall(r"{\w+}", s)) == wanted or
                                                                    wanted == {"{n}"}), (lang, m.id)


def test_catalogues_compile_in_memory_without_a_build_step():
    assert gettext_for("ru")("Queue") == "Очередь"
    assert gettext_for("kk")("Queue") == "Кезек"
    assert gettext_for("kk")("Outcomes") == "Нәтижелер"  # Kazakh is complete: no Russian fallback
    assert gettext_for("en")("Queue") == "Queue"
    for directory in (TRANSLATIONS_DIR, notify_wording.TRANSLATIONS_DIR):
        assert not list(directory.rglob("*.mo")), "compiled .mo files are not needed in the repo"
    assert notify_wording.gettext_for("ru").n("{n} listing to review", "{n} listings to review", 2) == \
        "2 объявления на проверку"


def test_language_negotiation_honours_q_values():
    assert negotiate("en;q=0.3, kk;q=0.9, ru;q=0.8", "ru") == "kk"
    assert negotiate("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "kk") == "ru"
    assert negotiate("de, kk;q=0.5, en;q=0.5", "ru") == "kk"  # equal q: header order
    assert negotiate("kk;q=0, en", "ru") == "en"  # q=0 means "not this one"
    assert negotiate("de, fr;q=0.5", "ru") == "ru"
    assert negotiate("en;q=abc", "kk") == "kk"
    assert negotiate(None, "ru") == "ru"


def test_login_page_follows_the_browser_languages(anon):
    page = anon.get("/login", headers={"Accept-Language": "en;q=0.2, kk;q=0.9"}).text
    assert '<html lang="kk">' in page


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
