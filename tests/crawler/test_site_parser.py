"""The shipped site specs (violity, meshok, kufar) on saved pages written in each site's real structure, field by field."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from config import load_config
from crawler.parsers import ParseError
from crawler.site.parser import SiteParser

FILES = Path(__file__).parent / "files" / "site"
UTC = dt.timezone.utc


def parse(source: str, name: str, url: str):
    spec = load_config().source(source).spec
    return SiteParser(spec).parse((FILES / name).read_bytes(), url)


# ---------------------------------------------------------------- Violity

@pytest.fixture(scope="module")
def violity_search():
    return parse("violity", "violity_search.html", "https://violity.com/ru/search/result?query=%D1%80%D0%BE%D0%B3")


@pytest.fixture(scope="module")
def violity_old():
    return parse("violity", "violity_lot_old.html", "https://violity.com/ru/90000101-rog-sayhaka-staryy")


@pytest.fixture(scope="module")
def violity_new():
    return parse("violity", "violity_lot_new.html", "https://violity.com/ua/90000104-rig-saygaka-para")


def test_violity_search_cards(violity_search):
    assert violity_search.kind == "search"
    assert [i.platform_listing_id for i in violity_search.items] == ["90000101", "90000102", "90000103"]
    assert all(i.platform == "violity" and i.is_card for i in violity_search.items)


def test_violity_card_fields(violity_search):
    card = violity_search.items[0]
    assert card.url == "https://violity.com/ru/90000101-rog-sayhaka-staryy"
    assert card.title == "Рог сайгака старый, 28 см"
    assert (card.price, card.currency, card.price_text) == (4200.0, "UAH", "4 200 грн")
    assert (card.seller_name, card.seller_platform_id) == ("stepnyak_ua", "77001")
    assert card.seller_url == "https://violity.com/ru/user/77001"
    assert card.photo_urls == ["https://st.violity.com/auction/big/auctions/2026/11/90000101.jpg"]


def test_violity_card_photo_falls_back_to_src(violity_search):
    assert violity_search.items[1].photo_urls == ["https://st.violity.com/auction/small/auctions/2026/11/90000102.jpg"]


def test_violity_next_page(violity_search):
    assert violity_search.next_page.endswith("page=2")


def test_violity_unreadable_price_is_counted_and_left_empty(violity_search):
    card = violity_search.items[2]
    assert card.title == "Монета 1 гривна 1995" and card.price is None  # the item is kept
    assert violity_search.unparsed["price"] == 1
    assert any("field price" in e for e in violity_search.errors)


def test_violity_old_layout_lot(violity_old):
    lot = violity_old.items[0]
    assert violity_old.kind == "listing" and not lot.is_card
    assert lot.platform_listing_id == "90000101"
    assert lot.title == "Рог сайгака старый, 28 см"
    assert lot.text.startswith("Рог сайгака, старый, из коллекции.") and "067 123 45 67" in lot.text
    assert (lot.price, lot.currency) == (4200.0, "UAH")
    assert lot.extra["price_usd"] == 101.0 and lot.extra["price_usd_currency"] == "USD"
    assert lot.seller_name == "stepnyak_ua"
    assert len(lot.photo_urls) == 2 and lot.photo_urls[1].endswith("90000101_2.jpg")


def test_violity_end_time_is_kyiv_local(violity_old):
    assert violity_old.items[0].ends_at == dt.datetime(2026, 12, 12, 19, 30, tzinfo=UTC)  # 21:30 in Kyiv (UTC+2)


def test_violity_bids_and_active(violity_old):
    lot = violity_old.items[0]
    assert lot.bids_count == 3 and lot.ended is None


def test_violity_new_layout_lot(violity_new):
    lot = violity_new.items[0]
    assert lot.platform_listing_id == "90000104"
    assert lot.title == "Ріг сайгака, пара"
    assert lot.text == "Пара рогів сайгака. Стан як на фото, без тріщин."
    assert (lot.price, lot.currency) == (9800.0, "UAH") and lot.extra["price_usd"] == 236.0
    assert lot.location == "Херсонська обл., Скадовськ"
    assert (lot.seller_name, lot.seller_platform_id) == ("step_kolektsiya", "77009")


def test_violity_ended_lot(violity_new):
    lot = violity_new.items[0]
    assert lot.ended is True and lot.bids_count == 7


def test_violity_challenge_is_a_block():
    result = parse("violity", "violity_challenge.html", "https://violity.com/ru/search/result?query=x")
    assert result.kind == "blocked" and not result.items


def test_violity_no_results():
    assert parse("violity", "violity_no_results.html", "https://violity.com/ru/search/result?query=x").kind == "empty"


def test_violity_changed_markup_is_an_error():
    body = (FILES / "violity_search.html").read_bytes().replace(b'class="tr"', b'class="lot-card"')
    spec = load_config().source("violity").spec
    with pytest.raises(ParseError, match="none of the configured readers"):
        SiteParser(spec).parse(body, "https://violity.com/ru/search/result?query=x")


# ---------------------------------------------------------------- Meshok (JSON API)

@pytest.fixture(scope="module")
def meshok_search():
    return parse("meshok", "meshok_search.json", "https://meshok.net/api/command/lots/get-items")


def test_meshok_api_lots(meshok_search):
    assert meshok_search.kind == "search"
    assert [i.platform_listing_id for i in meshok_search.items] == ["310000501", "310000502", "310000503"]


def test_meshok_lot_fields(meshok_search):
    lot = meshok_search.items[0]
    assert lot.url == "https://meshok.net/item/310000501"
    assert lot.title == "Рог сайгака, натуральный, 30 см"
    assert (lot.price, lot.currency) == (6500.0, "RUB")
    assert (lot.location, lot.extra["region"]) == ("Элиста", "Калмыкия")
    assert (lot.seller_platform_id, lot.seller_name) == ("5501", "Степной_антиквар")
    assert lot.posted_at == dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert lot.ends_at == dt.datetime(2026, 12, 8, 18, 0, tzinfo=UTC)
    assert lot.bids_count == 4 and lot.extra["lot_type"] == "auction" and lot.extra["start_price"] == 5000.0
    assert lot.photo_urls == ["https://meshok.net/pics/310000501_1.jpg", "https://meshok.net/pics/310000501_2.jpg"]


def test_meshok_negotiable_price_is_not_a_failure(meshok_search):
    lot = meshok_search.items[2]
    assert lot.price is None and lot.price_text == "по договорённости"
    assert meshok_search.unparsed["price"] == 0


def test_meshok_lot_by_id():
    result = parse("meshok", "meshok_lot.json", "https://meshok.net/api/command/lots/get-lot-by-id")
    lot = result.items[0]
    assert result.kind == "listing" and lot.platform_listing_id == "310000501"
    assert lot.text.startswith("Рог сайгака (сайга)") and lot.price == 7100.0 and lot.bids_count == 5
    assert lot.ended is None


def test_meshok_finished_lot_is_ended():
    result = parse("meshok", "meshok_lot_finished.json", "https://meshok.net/api/command/lots/get-lot-by-id")
    assert result.items[0].ended is True and result.items[0].extra["sold"] == 1


def test_meshok_no_lots_is_empty():
    assert parse("meshok", "meshok_empty.json", "https://meshok.net/api/command/lots/get-items").kind == "empty"


def test_meshok_rejected_filter_is_an_error_not_empty():
    with pytest.raises(ParseError, match="pageSize must be less than or equal to 100"):
        parse("meshok", "meshok_rejected.json", "https://meshok.net/api/command/lots/get-items")


# ---------------------------------------------------------------- Kufar (__NEXT_DATA__)

@pytest.fixture(scope="module")
def kufar_search():
    return parse("kufar", "kufar_search.html", "https://www.kufar.by/l?query=x")


def test_kufar_ads(kufar_search):
    assert kufar_search.kind == "search" and kufar_search.total == 23
    assert [i.platform_listing_id for i in kufar_search.items] == ["201001", "201002", "201003"]


def test_kufar_prices_in_minor_units(kufar_search):
    first, second = kufar_search.items[:2]
    assert (first.price, first.currency, first.price_text) == (2100.0, "BYN", "2100.00")
    assert second.price == 45.0 and first.extra["price_usd"] == 640.0


def test_kufar_negotiable(kufar_search):
    third = kufar_search.items[2]
    assert third.price is None and third.price_text == "Договорная"


def test_kufar_card_fields(kufar_search):
    ad = kufar_search.items[0]
    assert ad.url == "https://www.kufar.by/item/201001" and ad.title == "Рога сайгака, старинные"
    assert (ad.seller_name, ad.seller_platform_id) == ("Алесь", "7310021")
    assert ad.location == "Гомельская"
    assert ad.posted_at == dt.datetime(2026, 12, 3, 7, 15, tzinfo=UTC)
    assert ad.photo_urls == ["https://rms.kufar.by/v1/gallery/adim1/aa/bb/201001-1.jpg"]


def test_kufar_cursor(kufar_search):
    assert kufar_search.next_page == "eyJ0IjoiYWJzIiwiZiI6dHJ1ZSwibyI6MzAsInAiOjJ9"


def test_kufar_ad_page():
    result = parse("kufar", "kufar_ad.html", "https://www.kufar.by/item/201001")
    ad = result.items[0]
    assert result.kind == "listing" and ad.platform_listing_id == "201001"
    assert ad.text.startswith("Продам рога сайгака") and ad.price == 2100.0


def test_kufar_no_results():
    assert parse("kufar", "kufar_no_results.html", "https://www.kufar.by/l?query=x").kind == "empty"


def test_kufar_page_without_state_is_a_markup_error():
    with pytest.raises(ParseError, match="__NEXT_DATA__ not found"):
        SiteParser(load_config().source("kufar").spec).parse(b"<html><body>new site</body></html>",
                                                             "https://www.kufar.by/l?query=x")
