"""OLX parser against saved pages written in the real structure (fixed URLs), field by field."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crawler.parsers import ParseError, registry
from crawler.parsers.olx import parse, parse_price, parse_site_date

FILES = Path(__file__).resolve().parent / "files"
UTC = dt.timezone.utc
SEARCH_URL = "https://www.olx.kz/kk/list/q-%D0%BA%D0%B8%D1%96%D0%BA-%D0%BC%D2%AF%D0%B9%D1%96%D0%B7%D1%96/"
AD_URL = "https://www.olx.kz/d/obyavlenie/roga-saygi-2-sht-ID2xzbsg.html"
API_URL = "https://www.olx.kz/api/v1/offers/?offset=0&limit=3&query=%D1%80%D0%BE%D0%B3%D0%B0+%D1%81%D0%B0%D0%B9%D0%B3%D0%B8"


def _parse(name: str, url: str):
    return parse((FILES / name).read_bytes(), url)


@pytest.fixture(scope="module")
def search():
    return _parse("olx_search.html", SEARCH_URL)


@pytest.fixture(scope="module")
def first_card(search):
    return search.items[1]


@pytest.fixture(scope="module")
def ad():
    result = _parse("olx_ad.html", AD_URL)
    assert result.kind == "listing" and len(result.items) == 1
    return result.items[0]


@pytest.fixture(scope="module")
def api():
    return _parse("olx_api.json", API_URL)


def test_registered_under_platform_olx():
    assert registry()["olx"].__wrapped__ is parse


# ---------------------------------------------------------------- search page (prerendered state)

def test_search_kind_count_and_total(search):
    assert search.kind == "search"
    assert [i.platform_listing_id for i in search.items] == ["178063360", "178031680", "178110880", "178348480",
                                                             "178261360"]
    assert search.total == 5
    assert search.next_page is None
    assert search.errors == []


def test_search_cards_are_cards(search):
    assert all(i.is_card and i.platform == "olx" for i in search.items)


def test_card_title(first_card):
    assert first_card.title == "Киік мүйізі сатылады"


def test_card_url(first_card):
    assert first_card.url == "https://www.olx.kz/d/obyavlenie/kiik-muyizi-satylady-ID2xzu4g.html"


def test_card_price(first_card):
    assert (first_card.price, first_card.currency, first_card.price_text) == (150000.0, "KZT", "150 000 тг.")


def test_card_location(first_card):
    assert first_card.location == "Уральск, Западно-Казахстанская обл."


def test_card_seller(first_card):
    assert (first_card.seller_platform_id, first_card.seller_name) == ("319210337", "Бақыт")
    assert first_card.seller_url == "https://www.olx.kz/list/user/319210337/"


def test_card_dates(first_card):
    assert first_card.posted_at == dt.datetime(2026, 11, 16, 8, 40, tzinfo=UTC)
    assert first_card.refreshed_at == dt.datetime(2026, 11, 16, 8, 40, tzinfo=UTC)


def test_card_text_and_photos(first_card):
    assert first_card.text.startswith("Киік мүйізі, 2 дана, ұзындығы 25 см.")
    assert first_card.photo_urls == ["https://www.olx.kz/img/178031680/0.jpg", "https://www.olx.kz/img/178031680/1.jpg"]


def test_card_negotiable_price_keeps_words(search):
    buy = search.items[0]
    assert buy.price is None and buy.price_text == "Договорная"


def test_card_extra(first_card):
    assert first_card.extra["category_id"] == 1501
    assert first_card.extra["region_id"] == 5


def test_card_fingerprint_is_stable(search):
    again = _parse("olx_search.html", SEARCH_URL)
    assert [i.card_fingerprint() for i in again.items] == [i.card_fingerprint() for i in search.items]


# ---------------------------------------------------------------- search page without state (DOM fallback)

def test_dom_fallback_cards():
    result = _parse("olx_search_dom.html", SEARCH_URL)
    assert result.kind == "search" and len(result.items) == 5
    card = result.items[1]
    assert card.platform_listing_id == "178031680"
    assert card.title == "Киік мүйізі сатылады"
    assert (card.price, card.currency) == (150000.0, "KZT")
    assert card.location == "Уральск"
    assert card.refreshed_at == dt.datetime(2026, 11, 15, 19, 0, tzinfo=UTC)  # 16 Nov, local midnight (UTC+5)
    assert card.url == "https://www.olx.kz/d/obyavlenie/kiik-muyizi-satylady-ID2xzu4g.html"


# ---------------------------------------------------------------- ad page

def test_ad_id_and_url(ad):
    assert ad.platform_listing_id == "178007920"
    assert ad.url == AD_URL
    assert ad.is_card is False


def test_ad_title(ad):
    assert ad.title == "Рога сайги, 2 шт"


def test_ad_text(ad):
    assert ad.text == ("Продам рога сайгака, пара, длина 28 и 30 см. Светлые, без трещин. Хранились дома с 90-х. "
                       "Отправлю в любой город. Звоните +7 701 482 19 63")


def test_ad_price(ad):
    assert (ad.price, ad.currency, ad.price_text) == (180000.0, "KZT", "180 000 тг.")


def test_ad_location(ad):
    assert ad.location == "Уральск, Западно-Казахстанская обл."


def test_ad_seller(ad):
    assert (ad.seller_platform_id, ad.seller_name) == ("318204771", "Ерлан")


def test_ad_dates(ad):
    assert ad.posted_at == dt.datetime(2026, 11, 14, 12, 40, tzinfo=UTC)
    assert ad.refreshed_at == dt.datetime(2026, 11, 14, 12, 40, tzinfo=UTC)


def test_ad_photos(ad):
    assert ad.photo_urls == [f"https://www.olx.kz/img/178007920/{n}.jpg" for n in range(3)]


def test_ad_extra(ad):
    assert ad.extra["status"] == "active"
    assert ad.extra["params"] == {"state": "Б/у"}


def test_ad_dom_fallback_without_state():
    import re

    html = (FILES / "olx_ad.html").read_text(encoding="utf-8")
    html = re.sub(r"<script>window\.__PRERENDERED_STATE__.*?</script>", "", html, flags=re.S)
    result = parse(html.encode("utf-8"), AD_URL)
    item = result.items[0]
    assert result.kind == "listing"
    assert item.platform_listing_id == "178007920"
    assert item.title == "Рога сайги, 2 шт"
    assert (item.price, item.currency) == (180000.0, "KZT")
    assert "Звоните +7 701 482 19 63" in item.text
    assert item.seller_name == "Ерлан"


# ---------------------------------------------------------------- offers API

def test_api_kind_total_next(api):
    assert api.kind == "search"
    assert api.total == 26
    assert api.next_page.startswith("https://www.olx.kz/api/v1/offers/?offset=3&limit=3")


def test_api_items_are_full(api):
    assert [i.platform_listing_id for i in api.items] == ["178015840", "178047520", "178023760"]
    assert all(not i.is_card for i in api.items)


def test_api_item_fields(api):
    item = api.items[2]
    assert item.title == "Продаю с@йгу рога"
    assert item.text == "р.о.г.а с@йги натуральные, 3 пары. Пишите в личку, по телефону не обсуждаю."
    assert (item.price, item.currency, item.price_text) == (95000.0, "KZT", "95 000 тг.")
    assert item.location == "Актобе, Актюбинская обл."
    assert (item.seller_platform_id, item.seller_name) == ("319004518", "Асет К.")
    assert item.posted_at == dt.datetime(2026, 11, 19, 6, 40, tzinfo=UTC)
    assert item.photo_urls == ["https://www.olx.kz/img/178023760/0.jpg?s=1000x700"]
    assert item.extra["via"] == "api"


def test_api_promoted_flag(api):
    assert api.items[0].extra.get("promoted") is True


def test_api_empty_is_no_results():
    result = parse(json.dumps({"data": [], "metadata": {"total_elements": 0}, "links": {}}).encode(), API_URL)
    assert result.kind == "empty" and result.total == 0


def test_api_refusal_is_a_block():
    body = json.dumps({"error": {"status": 403, "title": "Forbidden", "detail": "captcha required"}}).encode()
    result = parse(body, API_URL)
    assert result.kind == "blocked" and "403" in result.block_reason


# ---------------------------------------------------------------- no results, removed, blocks

def test_no_results_page():
    result = _parse("olx_no_results.html", "https://www.olx.kz/list/q-traktor/")
    assert (result.kind, result.items, result.total) == ("empty", [], 0)


def test_removed_ad_page():
    result = _parse("olx_ad_removed.html", "https://www.olx.kz/d/obyavlenie/prodayu-s-ygu-roga-ID2xzo0g.html")
    assert (result.kind, result.items) == ("empty", [])


def test_cloudfront_block_page():
    result = _parse("olx_block.html", SEARCH_URL)
    assert result.kind == "blocked"
    assert "CloudFront" in result.block_reason
    assert result.items == [] and result.errors == []


def test_captcha_page():
    result = _parse("olx_captcha.html", SEARCH_URL)
    assert result.kind == "blocked" and "captcha" in result.block_reason


def test_search_with_ads_missing_is_zero_items_not_empty():
    html = (FILES / "olx_search.html").read_text(encoding="utf-8")
    import re

    match = re.search(r'window\.__PRERENDERED_STATE__= ("(?:[^"\\]|\\.)*");', html)
    state = json.loads(json.loads(match.group(1)))
    state["listing"]["listing"]["ads"] = []
    new = json.dumps(json.dumps(state, ensure_ascii=False), ensure_ascii=False)
    html = html[: match.start(1)] + new + html[match.end(1):]
    result = parse(html.encode("utf-8"), SEARCH_URL)
    assert result.kind == "search" and result.items == [] and result.total == 5


# ---------------------------------------------------------------- bad input

def test_unknown_page_raises_with_what_was_expected():
    with pytest.raises(ParseError, match="expected an OLX search page"):
        parse(b"<html><head><title>Hello</title></head><body>hi</body></html>", "https://www.olx.kz/x")


def test_empty_body_raises():
    with pytest.raises(ParseError, match="empty response body"):
        parse(b"", "https://www.olx.kz/x")


def test_windows_1251_page_is_decoded_and_noted():
    html = (FILES / "olx_search.html").read_text(encoding="utf-8").replace('charset="utf-8"', 'charset="windows-1251"')
    result = parse(html.encode("cp1251", errors="replace"), SEARCH_URL)
    assert result.kind == "search" and len(result.items) == 5
    assert result.items[1].title == "Киік мүйізі сатылады".encode("cp1251", "replace").decode("cp1251")
    assert any("cp1251" in e for e in result.errors)


def test_koi8r_page_is_decoded_by_the_charset_in_the_http_header():
    body = (FILES / "olx_search_koi8r.html").read_bytes()  # KOI8-R, no <meta charset>: only the header says so
    result = parse(body, SEARCH_URL, content_type="text/html; charset=KOI8-R")
    utf8 = parse((FILES / "olx_search.html").read_bytes(), SEARCH_URL)
    assert result.kind == "search" and len(result.items) == len(utf8.items) == 5
    for got, want in zip(result.items, utf8.items):
        assert got.title == want.title.encode("koi8-r", "replace").decode("koi8-r")
    assert any("koi8-r" in e for e in result.errors)
    guessed = parse(body, SEARCH_URL)  # without the header the bytes are only guessed at, and noted as such
    assert guessed.items[0].title != result.items[0].title and any("not valid utf-8" in e for e in guessed.errors)


def test_mislabelled_windows_1251_page_is_an_error_not_a_crash():
    html = (FILES / "olx_search.html").read_text(encoding="utf-8")
    result = parse(html.encode("cp1251", errors="replace"), SEARCH_URL)
    assert result.kind == "search"
    assert any("not valid utf-8" in e for e in result.errors)


def test_truncated_page_is_recorded_not_crashed():
    body = (FILES / "olx_search.html").read_bytes()
    cut = body[: body.index(b"__PRERENDERED_STATE__") + 400]
    result = parse(cut, SEARCH_URL)
    assert result.kind == "search"  # the cards rendered before the cut still parse from the DOM
    assert any("falling back" in e or "not valid JSON" in e for e in result.errors) or result.items


def test_one_malformed_ad_does_not_abort_the_page():
    body = json.loads((FILES / "olx_api.json").read_text(encoding="utf-8"))
    del body["data"][1]["id"]
    result = parse(json.dumps(body).encode(), API_URL)
    assert len(result.items) == 2
    assert len(result.errors) == 1 and "malformed" in result.errors[0]


@pytest.mark.parametrize("text,expected", [
    ("25 000 000 тг.", (25_000_000.0, "KZT")), ("1 500 000 сум", (1_500_000.0, "UZS")), ("300 у.е.", (300.0, "USD")),
    ("Договорная", (None, None)), ("Бесплатно", (0.0, None)), ("2 200 zł", (2200.0, "PLN")),
])
def test_parse_price(text, expected):
    assert parse_price(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("Алматы, Жетысуский район - 16 сентября 2025 г.", dt.datetime(2025, 9, 15, 19, 0, tzinfo=UTC)),
    ("16 қыркүйек 2025 ж.", dt.datetime(2025, 9, 15, 19, 0, tzinfo=UTC)),
    ("16 sentyabr 2025 y.", dt.datetime(2025, 9, 15, 19, 0, tzinfo=UTC)),
    ("Сегодня в 12:30", None),
])
def test_parse_site_date(text, expected):
    assert parse_site_date(text) == expected


# ---------------------------------------------------------------- truncated pages

@pytest.mark.parametrize("fraction", [0.3, 0.6, 0.9, 0.999])
def test_truncated_ad_page_is_a_parse_error_not_a_partial_listing(fraction):
    body = (FILES / "olx_ad.html").read_bytes()
    cut = body[: int(len(body) * fraction)]
    with pytest.raises(ParseError, match="truncated page: .* end before </html>"):
        registry()["olx"](cut, AD_URL)


def test_truncated_pages_of_every_platform_are_refused():
    for name, platform in (("olx_search.html", "olx"), ("avito_ad.html", "avito"), ("telegram_channel.html", "telegram")):
        body = (FILES / name).read_bytes()
        assert registry()[platform](body, AD_URL) is not None  # the whole page still parses
        with pytest.raises(ParseError, match="truncated page"):
            registry()[platform](body[: len(body) // 2], AD_URL)
