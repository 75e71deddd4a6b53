"""Helpers the page parsers share: decoding bytes whatever their charset, HTML fragments to plain text."""
from __future__ import annotations

import codecs
import re

from lxml import etree, html as lxml_html
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding

_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLOCKS = ("p", "div")


def _codec(name: str) -> str:
    return codecs.lookup(name).name


def decode_page(body: bytes, content_type: str | None = None, expected: str = "utf-8") -> tuple[str, list[str]]:
    """Text of a page plus notes on anything unexpected (a non-`expected` or unknown charset, invalid bytes).

    w3lib's html_to_unicode decides the charset as browsers do: a byte-order mark, then the HTTP
    Content-Type header (`content_type`), then a <meta> declaration; an undeclared page is `expected` when
    it is valid as such, else windows-1251 (mostly Cyrillic high bytes) or latin-1. Never raises:
    undecodable bytes become U+FFFD and the note says so.
    """
    notes: list[str] = []
    declared = http_content_type_encoding(content_type) if content_type else None
    if declared is None and not body.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        declared = html_body_declared_encoding(body)
        meta = re.search(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", body[:8192], re.I)
        if declared is None and meta:
            notes.append(f"page declares an unknown charset {meta.group(1).decode('ascii', 'ignore').lower()!r}; "
                         f"decoding as {expected}")
    guessed: list[str] = []

    def undeclared(raw: bytes) -> str:
        try:
            raw.decode(expected)
            return expected
        except UnicodeDecodeError as exc:
            guess = "cp1251" if _looks_cyrillic_1251(raw) else "latin-1"
            guessed.append(f"page is not valid {expected} (byte {exc.start}: {exc.reason}); decoded as {guess}, "
                           "text may be garbled")
            return guess

    encoding, text = html_to_unicode(content_type, body, default_encoding=expected, auto_detect_fun=undeclared)
    encoding = _codec(encoding)
    if guessed:
        notes.extend(guessed)
    elif encoding == _codec(expected) and declared is not None and "\ufffd" in text:
        try:
            body.decode(expected)
        except UnicodeDecodeError as exc:  # declared as `expected` but is not: read it as the likeliest other
            guess = "cp1251" if _looks_cyrillic_1251(body) else "latin-1"
            notes.append(f"page is not valid {expected} (byte {exc.start}: {exc.reason}) although declared so; "
                         f"decoded as {guess}, text may be garbled")
            return body.decode(guess, errors="replace"), notes
    elif encoding != _codec(expected):
        notes.append(f"page is encoded as {encoding}, expected {expected}; decoded as {encoding}")
    return text.lstrip("\ufeff"), notes


def _looks_cyrillic_1251(body: bytes) -> bool:
    sample = body[:200_000]
    high = sum(1 for b in sample if 0xC0 <= b <= 0xFF)
    return high > len(sample) // 50


def html_to_text(fragment: str | None, *, blank_lines: bool = True) -> str:
    """An HTML fragment (a description, a post) as plain text: <br> and block ends as line breaks, images as their
    alt text (custom emoji), whitespace tidied; at most one blank line in a row (none with blank_lines=False)."""
    if not fragment or not fragment.strip():
        return ""
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return squash(fragment)
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for block in root.iter(*_BLOCKS):
        if block is not root:
            block.tail = "\n" + (block.tail or "")
    for img in root.iter("img"):
        alt = img.get("alt")
        if alt:
            img.tail = alt + (img.tail or "")
    lines = [_SPACES.sub(" ", line).strip() for line in root.text_content().split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (blank_lines and out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def squash(text: str | None) -> str:
    """Collapse whitespace to single spaces."""
    return _SPACES.sub(" ", (text or "").replace("\n", " ")).strip()
