"""UI translations: the review UI's catalogue (alerts/web/translations) and language negotiation."""
from __future__ import annotations

from pathlib import Path

from alerts.i18n import CATALOGUE_LANGUAGES, LANGUAGES, SOURCE_LANGUAGE, Gettext, N_, load_translations

__all__ = ["CATALOGUE_LANGUAGES", "LANGUAGES", "N_", "SOURCE_LANGUAGE", "TRANSLATIONS_DIR", "Gettext", "gettext_for",
           "negotiate", "ngettext_for", "translations"]

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"


def translations(lang: str):
    """The UI's compiled catalogue for a language (English and unknown languages show the msgids)."""
    return load_translations(TRANSLATIONS_DIR, lang)


def gettext_for(lang: str) -> Gettext:
    return Gettext(lang, translations(lang))


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
