"""Gettext catalogues (.po sources in the repo, compiled in memory at first use) for every part that speaks to users."""
from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}
SOURCE_LANGUAGE = "en"  # msgids are English
CATALOGUE_LANGUAGES = ("ru", "kk")  # both complete: a test fails on any message without a translation


def N_(message: str) -> str:
    """Marks a msgid that is translated later (a code's label); returns it unchanged."""
    return message


@functools.lru_cache(maxsize=None)
def load_translations(directory: Path, lang: str) -> gettext.NullTranslations:
    """The compiled catalogue `directory/<lang>/LC_MESSAGES/messages.po` (English and unknown languages show the msgids).

    The .po file is compiled in memory, so a fresh clone works without a `pybabel compile` step.
    """
    po_path = Path(directory) / lang / "LC_MESSAGES" / "messages.po"
    if lang == SOURCE_LANGUAGE or not po_path.exists():
        return gettext.NullTranslations()
    with open(po_path, "rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


class Gettext:
    """`_` for one language: _("Queue"), _("Group {n}", n=2); `_.n(singular, plural, n)` for plurals."""

    def __init__(self, lang: str, catalogue: gettext.NullTranslations):
        self.lang = lang
        self.catalogue = catalogue

    def __call__(self, message: str, **values) -> str:
        text = self.catalogue.gettext(message)
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, n: int, **values) -> str:
        """The plural form for n (Russian has three); `{n}` in the text is the number."""
        return self.catalogue.ngettext(singular, plural, n).format(n=n, **values)
