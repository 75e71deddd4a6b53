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
LANGUAGES = {"ru": "Русский", "en": "English", "kk": "Қазақша"}
SOURCE_LANGUAGE = "en"  # msgids are English
FALLBACKS = {"kk": "ru"}  # a Kazakh string not translated yet is shown in Russian, which every analyst reads


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
    compiled = Translations(buffer)
    fallback = FALLBACKS.get(lang)
    if fallback:
        compiled.add_fallback(translations(fallback))
    return compiled


def gettext_for(lang: str):
    """A `_` function for templates and handlers: _("Queue"), _("Group {n}", n=2)."""
    catalogue = translations(lang)

    def _(message: str, **values) -> str:
        text = catalogue.gettext(message)
        return text.format(**values) if values else text

    return _


def negotiate(accept_language: str | None, default: str) -> str:
    """The best UI language for an Accept-Language header."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default
