"""The parsers' shared helpers: charset decoding (HTTP header, BOM, <meta>, guesses) and HTML fragments as text."""
from __future__ import annotations

from crawler.parsers._html import decode_page, html_to_text


def test_the_http_header_wins_over_the_page():
    body = '<meta charset="utf-8"><p>Рога сайги</p>'.encode("koi8-r")
    text, notes = decode_page(body, "text/html; charset=koi8-r")
    assert "Рога сайги" in text and notes == ["page is encoded as koi8-r, expected utf-8; decoded as koi8-r"]


def test_meta_bom_and_plain_utf8():
    assert decode_page('<meta charset="windows-1251">Рога'.encode("cp1251"))[0].endswith("Рога")
    assert decode_page(b"\xef\xbb\xbf" + "Рога".encode("utf-8")) == ("Рога", [])
    assert decode_page("Рога".encode("utf-8"), "text/html") == ("Рога", [])


def test_undeclared_and_mislabelled_pages_are_guessed_and_noted():
    text, notes = decode_page("Продам рога сайги".encode("cp1251"))
    assert text == "Продам рога сайги" and "not valid utf-8" in notes[0]
    text, notes = decode_page('<meta charset="utf-8">Продам рога'.encode("cp1251"))
    assert text.endswith("Продам рога") and "although declared so" in notes[0]
    assert "unknown charset 'x-nonsense'" in decode_page(b'<meta charset="x-nonsense">x')[1][0]


def test_html_to_text_line_breaks_entities_emoji_and_blank_lines():
    html = 'Продам<br/>рога &amp; копыта<p>1</p><p></p><p></p>2 <img alt="[笑cry]" src="x.png"> <b>3</b>'
    assert html_to_text(html) == "Продам\nрога & копыта1\n\n2 [笑cry] 3"
    assert html_to_text(html, blank_lines=False) == "Продам\nрога & копыта1\n2 [笑cry] 3"
    assert html_to_text("") == "" and html_to_text(None) == ""
