"""Avito parser on saved pages (tests/crawler/files/avito_*), field by field, with a fixed URL and clock."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crawler.parsers import ParseError, avito, registry

FILES = Path(__file__).parent / "files"
SEARCH_URL = "https://www.avito.ru/rossiya?q=%D1%80%D0%BE%D0%B3%D0%B0+%D1%81%D0%B0%D0%B9%D0%B3%D0%B8"
AD_URL = "https://www.avito.ru/elista/kollektsionirovanie/roga_saygi_para_4101000001?context=H4sIAAAA"
NOW = dt.datetime(2026, 11, 17, 18, 0, tzinfo=dt.timezone.utc)
UTC = dt.timezone.utc


def page(name: str, url: str = SEARCH_URL, status: int = 200):
    return avito.parse((FILES / name).read_bytes(), url, status=status, now=NOW)


@pytest.fixture(scope="module")
def mfe():
    return page("avito_search_mfe.html")


@pytest.fixture(scope="module")
def card(mfe):
    return mfe.items[0]


@pytest.fixture(scope="module")
def ad():
    result = page("avito_ad.html", AD_URL)
    assert result.kind == "listing"
    return result.items[0]


# --------------------------------------------------------------------------- search page (data-mfe-state)


def test_registry_has_avito():
    assert registry()["avito"].__wrapped__ is avito.parse


def test_mfe_kind(mfe):
    assert mfe.kind == "search"


def test_mfe_count_skips_banner_keeps_listings(mfe):
    assert [i.platform_listing_id for i in mfe.items] == [
        "4101000001", "4101000003", "4101000006", "4101000012", "4101000014", "4101000009"]


def test_mfe_broken_row_is_recorded_not_fatal(mfe):
    assert mfe.errors == ["catalog.items[7] (id 4101009999): no urlPath or title"]


def test_mfe_total(mfe):
    assert mfe.total == 14


def test_mfe_next_page(mfe):
    assert mfe.next_page == SEARCH_URL + "&p=2"


def test_card_id(card):
    assert card.platform_listing_id == "4101000001"


def test_card_url(card):
    assert card.url == "https://www.avito.ru/elista/kollektsionirovanie/roga_saygi_para_4101000001"


def test_card_title(card):
    assert card.title == "Рога сайги, пара"


def test_card_text(card):
    assert card.text.startswith("Продаю рога сайгака, пара, длина 32 см")


def test_card_price(card):
    assert card.price == 45000.0


def test_card_currency(card):
    assert card.currency == "RUB"


def test_card_price_text(card):
    assert card.price_text == "45 000 ₽"


def test_card_location(card):
    assert card.location == "Республика Калмыкия, Элиста, 5-й мкр"


def test_card_seller_id(card):
    assert card.seller_platform_id == "8f2c1a9e4b7d"


def test_card_seller_name(card):
    assert card.seller_name == "Бадма"


def test_card_seller_url(card):
    assert card.seller_url == "https://www.avito.ru/user/8f2c1a9e4b7d/profile"


def test_card_refreshed_at_is_utc(card):
    assert card.refreshed_at == dt.datetime(2026, 11, 15, 7, 15, tzinfo=UTC)  # 10:15 Moscow


def test_card_photos(card):
    assert card.photo_urls == [
        "https://www.avito.ru/img/4101000001_0_640x480.jpg",
        "https://www.avito.ru/img/4101000001_1_640x480.jpg",
    ]


def test_card_flags(card):
    assert card.is_card and card.platform == "avito" and card.language == "ru"
    assert card.search_url == SEARCH_URL


def test_card_without_price(mfe):
    no_price = next(i for i in mfe.items if i.platform_listing_id == "4101000012")
    assert no_price.price is None and no_price.currency is None and no_price.price_text == "Цена не указана"


def test_card_fingerprint_stable(card):
    assert card.card_fingerprint() == page("avito_search_mfe.html").items[0].card_fingerprint()


# --------------------------------------------------------------------------- older __initialData__ and DOM


def test_initial_data_search():
    result = page("avito_search_initial.html")
    assert result.kind == "search" and result.total == 3 and result.next_page is None
    first = result.items[0]
    assert (first.platform_listing_id, first.title, first.price) == ("4101000019", "Антилопьи рожки, 2 шт", 26000.0)
    assert first.seller_platform_id == "8f2c1a9e4b7d"


def test_dom_fallback_search():
    result = page("avito_search_dom.html")
    assert result.kind == "search"
    assert [i.platform_listing_id for i in result.items] == ["4101000002", "4101000015", "4101000022", "4101000026"]
    assert result.total == 9
    assert result.next_page.endswith("&p=3")


def test_dom_card_fields():
    card = page("avito_search_dom.html").items[0]
    assert card.title == "Рог сайгака натуральный"
    assert card.url == "https://www.avito.ru/astrahan/kollektsionirovanie/rog_saygaka_naturalnyy_4101000002"
    assert (card.price, card.currency, card.price_text) == (18000.0, "RUB", "18 000 ₽")
    assert card.location == "Астрахань"
    assert (card.seller_platform_id, card.seller_name) == ("c41d7e0a93f2", "Руслан")
    assert card.refreshed_at == dt.datetime(2026, 11, 16, 15, 40, tzinfo=UTC)  # «16 ноября 18:40» Moscow
    assert card.photo_urls == ["https://www.avito.ru/img/4101000002_0_640x480.jpg"]


def test_dom_fallback_when_state_is_broken():
    html = (FILES / "avito_search_mfe.html").read_text(encoding="utf-8")
    broken = html.replace('data-mfe-state="true">{', 'data-mfe-state="true">{{', 1)
    result = avito.parse(broken.encode(), SEARCH_URL, now=NOW)
    assert result.kind == "search" and len(result.items) == 6 and result.errors == []
    assert result.items[0].title == "Рога сайги, пара" and result.items[0].price == 45000.0


def test_zero_cards_is_search_with_error_not_empty():
    html = (FILES / "avito_search_mfe.html").read_text(encoding="utf-8")
    start, end = html.index('<script type="mime/invalid"'), html.index("</body>")
    stripped = html[:start] + '<script type="mime/invalid" data-mfe-state="true">{&quot;data&quot;:{&quot;catalog&quot;:' \
        '{&quot;items&quot;:[]},&quot;totalCount&quot;:14}}</script>' + html[end:]
    stripped = stripped.replace('data-marker="item"', 'data-marker="x-item"')
    result = avito.parse(stripped.encode(), SEARCH_URL, now=NOW)
    assert result.kind == "search" and result.items == [] and result.errors


# --------------------------------------------------------------------------- ad page


def test_ad_id(ad):
    assert ad.platform_listing_id == "4101000001"


def test_ad_url_is_canonical(ad):
    assert ad.url == "https://www.avito.ru/elista/kollektsionirovanie/roga_saygi_para_4101000001"


def test_ad_title(ad):
    assert ad.title == "Рога сайги, пара"


def test_ad_text(ad):
    assert ad.text == ("Продаю рога сайгака, пара, длина 32 см, светлые, без трещин. Остались от деда. "
                       "Отправлю почтой по России, оплата на карту.")


def test_ad_price(ad):
    assert (ad.price, ad.currency, ad.price_text) == (45000.0, "RUB", "45 000 ₽")


def test_ad_location(ad):
    assert ad.location == "Республика Калмыкия, Элиста, 5-й мкр"


def test_ad_seller(ad):
    assert (ad.seller_platform_id, ad.seller_name) == ("8f2c1a9e4b7d", "Бадма")
    assert ad.seller_url == "https://www.avito.ru/user/8f2c1a9e4b7d/profile"


def test_ad_posted_at_utc(ad):
    assert ad.posted_at == dt.datetime(2026, 11, 15, 7, 15, tzinfo=UTC)
    assert ad.posted_at.tzinfo is not None


def test_ad_photos(ad):
    assert ad.photo_urls == [
        "https://www.avito.ru/img/4101000001_0_640x480.jpg",
        "https://www.avito.ru/img/4101000001_1_640x480.jpg",
    ]


def test_ad_views(ad):
    assert ad.extra["views"] == 1 + 0  # id % 500 on day 0 is 1
    assert not ad.is_card


def test_ad_from_dom_only():
    html = (FILES / "avito_ad.html").read_text(encoding="utf-8")
    dom_only = html[: html.index("<script>window.__initialData__")] + "</body></html>"
    item = avito.parse(dom_only.encode(), AD_URL, now=NOW).items[0]
    assert (item.platform_listing_id, item.title, item.price) == ("4101000001", "Рога сайги, пара", 45000.0)
    assert item.seller_name == "Бадма" and item.seller_platform_id == "8f2c1a9e4b7d"
    assert item.text.startswith("Продаю рога сайгака")
    assert item.posted_at == dt.datetime(2026, 11, 15, 7, 15, tzinfo=UTC)
    assert item.photo_urls[0] == "https://www.avito.ru/img/4101000001_0_640x480.jpg"


# --------------------------------------------------------------------------- empty, blocked, unknown


def test_no_results_page_is_empty():
    result = page("avito_no_results.html")
    assert (result.kind, result.items, result.total) == ("empty", [], 0)


def test_own_block_page_is_blocked():
    result = page("avito_blocked.html", status=403)
    assert result.kind == "blocked" and "Доступ ограничен" in result.block_reason
    assert result.items == []


def test_block_page_blocked_even_with_status_200():
    assert page("avito_blocked.html").kind == "blocked"


def test_429_captcha_is_blocked():
    result = page("avito_captcha_429.html", status=429)
    assert result.kind == "blocked" and "429" in result.block_reason and "captcha" in result.block_reason


def test_bare_429_is_blocked():
    result = avito.parse(b"Too Many Requests", SEARCH_URL, status=429)
    assert result.kind == "blocked"


def test_unknown_page_raises_parse_error():
    with pytest.raises(ParseError, match="not a recognised Avito page"):
        avito.parse(b"<html><body><p>hello</p></body></html>", SEARCH_URL)


def test_windows_1251_page_decodes():
    html = (FILES / "avito_search_dom.html").read_text(encoding="utf-8").replace('charset="utf-8"', 'charset="windows-1251"')
    result = avito.parse(html.encode("cp1251", "replace"), SEARCH_URL, now=NOW)
    assert result.items[0].title == "Рог сайгака натуральный"


def test_truncated_page_does_not_crash():
    body = (FILES / "avito_search_mfe.html").read_bytes()
    result = avito.parse(body[: len(body) * 2 // 3], SEARCH_URL, now=NOW)
    assert result.kind == "search"


@pytest.mark.parametrize("text,expected", [
    ("сегодня в 09:05", dt.datetime(2026, 11, 17, 6, 5, tzinfo=UTC)),
    ("вчера в 23:30", dt.datetime(2026, 11, 16, 20, 30, tzinfo=UTC)),
    ("3 ноября в 12:00", dt.datetime(2026, 11, 3, 9, 0, tzinfo=UTC)),
    ("28 декабря 10:00", dt.datetime(2025, 12, 28, 7, 0, tzinfo=UTC)),
    ("5 марта 2024 в 10:00", dt.datetime(2024, 3, 5, 7, 0, tzinfo=UTC)),
    ("2 часа назад", NOW - dt.timedelta(hours=2)),
    ("несколько секунд назад", NOW - dt.timedelta(seconds=1)),
    ("непонятно", None),
])
def test_russian_dates(text, expected):
    assert avito.parse_ru_date(text, NOW) == expected


def test_closed_ad_page_is_empty():
    result = page("avito_ad_closed.html", "https://www.avito.ru/volgograd/kollektsionirovanie/saygachi_roga_4_sht_4101000005")
    assert (result.kind, result.items) == ("empty", [])


def test_closed_ad_page_without_state_is_empty():
    html = (FILES / "avito_ad_closed.html").read_text(encoding="utf-8")
    dom_only = html[: html.index("<script>window.__initialData__")] + "</body></html>"
    assert avito.parse(dom_only.encode(), AD_URL, now=NOW).kind == "empty"


def test_live_ad_quoting_closed_words_is_not_closed():
    html = (FILES / "avito_ad.html").read_text(encoding="utf-8").replace(
        "Остались от деда.", "Прошлое объявление снято с публикации.")
    assert avito.parse(html.encode(), AD_URL, now=NOW).kind == "listing"


def test_ad_about_ip_problems_is_not_a_block_page():
    html = (FILES / "avito_ad.html").read_text(encoding="utf-8").replace("Рога сайги, пара", "Доступ ограничен: проблема с IP? Настрою роутер")
    result = avito.parse(html.encode(), AD_URL, now=NOW)
    assert "<title>Доступ ограничен: проблема с IP?" in html  # the ad title is also the page title
    assert result.kind == "listing" and result.items[0].platform_listing_id == "4101000001"
