"""UI translations: gettext catalogues (.po sources in the repo) compiled in memory at first use."""
from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
LANGUAGES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
SOURCE_LANGUAGE = "en"  # msgids are English
CATALOGUE_LANGUAGES = ("ru", "kk")  # both complete: a test fails on any message without a translation


def N_(message: str) -> str:
    """Marks a msgid that is translated later (a code's label); returns it unchanged."""
    return message


@functools.lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue for a language (English and unknown languages show the msgids).

    The .po file is compiled in memory, so a fresh clone works without a `pybabel compile` step.
    """
    po_path = TRANSLATIONS_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == SOURCE_LANGUAGE or not po_path.exists():
        return gettext.NullTranslations()
    with open(po_path, "rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


class Gettext:
    """`_` for templates and handlers: _("Queue"), _("Group {n}", n=2); `_.n(singular, plural, n)` for plurals."""

    def __init__(self, lang: str):
        self.lang = lang
        self.catalogue = translations(lang)

    def __call__(self, message: str, **values) -> str:
        text = self.catalogue.gettext(message)
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, n: int, **values) -> str:
        """The plural form for n (Russian has three); `{n}` in the text is the number."""
        return self.catalogue.ngettext(singular, plural, n).format(n=n, **values)


def gettext_for(lang: str) -> Gettext:
    return Gettext(lang)


def ngettext_for(lang: str):
    """A `ngettext(singular, plural, n, **values)` for templates."""
    return gettext_for(lang).n


def negotiate(accept_language: str | None, default: str) -> str:
    """The best UI language for an Accept-Language header, by q-value (RFC 9110); ties keep header order."""
    candidates = []
    for position, part in enumerate((accept_language or "").split(",")):
        code, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        code = code.lower().split("-")[0]
        if code in LANGUAGES and quality > 0:
            candidates.append((-quality, position, code))
    return min(candidates)[2] if candidates else default
