"""Helpers the page parsers share: decoding bytes whatever their charset, HTML fragments to plain text."""
from __future__ import annotations

import codecs
import html
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_TAG = re.compile(r"<[^>]+>")
_BR = re.compile(r"<\s*br\s*/?\s*>|</p\s*>|</div\s*>", re.I)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def decode_page(body: bytes, expected: str = "utf-8") -> tuple[str, list[str]]:
    """Text of a page plus notes on anything unexpected (declared or guessed non-UTF-8 charsets).

    Never raises: undecodable bytes become U+FFFD and the note says so.
    """
    notes: list[str] = []
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", errors="replace"), notes
    match = _META_CHARSET.search(body[:8192])
    declared = match.group(1).decode("ascii", "ignore").lower() if match else None
    if declared:
        try:
            declared = codecs.lookup(declared).name
        except LookupError:
            notes.append(f"page declares an unknown charset {declared!r}; decoding as {expected}")
            declared = None
    if declared and declared != codecs.lookup(expected).name:
        notes.append(f"page is encoded as {declared}, expected {expected}; decoded as {declared}")
        return body.decode(declared, errors="replace"), notes
    try:
        return body.decode(expected), notes
    except UnicodeDecodeError as exc:
        guess = "cp1251" if _looks_cyrillic_1251(body) else "latin-1"
        notes.append(f"page is not valid {expected} (byte {exc.start}: {exc.reason}) although declared so; "
                     f"decoded as {guess}, text may be garbled")
        return body.decode(guess, errors="replace"), notes


def _looks_cyrillic_1251(body: bytes) -> bool:
    sample = body[:200_000]
    high = sum(1 for b in sample if 0xC0 <= b <= 0xFF)
    return high > len(sample) // 50


def html_to_text(fragment: str | None) -> str:
    """An HTML fragment (e.g. a description with <br />) as plain text with line breaks kept."""
    if not fragment:
        return ""
    text = _BR.sub("\n", fragment)
    text = html.unescape(_TAG.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def squash(text: str | None) -> str:
    """Collapse whitespace to single spaces."""
    return _SPACES.sub(" ", (text or "").replace("\n", " ")).strip()
