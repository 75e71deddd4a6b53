"""Phone numbers (E.164) and messenger handles extracted from post text."""
from __future__ import annotations

import pytest

from crawler.contacts import (extract_contacts, extract_handles, extract_phones, normalise_phone, normalise_query,
                              telegram_links)


@pytest.mark.parametrize("text, expected", [
    ("Звоните 8 701 555 12 34", ["+77015551234"]),
    ("тел. +7 (777) 222-33-44", ["+77772223344"]),
    ("8(912)345-67-89 — Россия", ["+79123456789"]),
    ("Ташкент +998 90 123 45 67", ["+998901234567"]),
    ("电话 138 1234 5678", ["+8613812345678"]),
    ("北京座机 010-6512 3456", ["+861065123456"]),
    ("Улаанбаатар +976 9911 2233", ["+97699112233"]),
    ("WhatsApp wa.me/77015551234", ["+77015551234"]),
    ("８９１２３４５６７８９", ["+79123456789"]),  # full-width digits
])
def test_phones_are_found_and_written_in_e164(text, expected):
    assert extract_phones(text) == expected


def test_the_same_number_written_twice_is_listed_once_in_order():
    text = "8 701 555 12 34, или +7 701 555-12-34, или wa.me/77015551234; второй: +7 705 444 22 11"
    assert extract_phones(text) == ["+77015551234", "+77054442211"]


@pytest.mark.parametrize("text", [
    "цена 25 000 000 тг",
    "опубликовано 2024-05-11 22.09.34",
    "файл 2022-05-24 22.09.34.jpg",
    "вес 250 г, длина 28-32 см, 12.05.2024",
    "артикул 1234567",
])
def test_prices_dates_and_file_names_are_not_phones(text):
    assert extract_phones(text) == []


def test_language_picks_the_region_of_national_numbers():
    # An 8-digit Mongolian mobile in a Chinese post is not read as one; in a Mongolian post it is.
    assert extract_contacts("утас 9911 2233", language="mn").phones == ["+97699112233"]
    assert extract_contacts("电话 9911 2233", language="zh").phones == []


def test_handles_from_at_names_and_telegram_links():
    text = "Пишите @saiga_seller или t.me/horns_kz, канал https://t.me/s/rog_opt_private, почта a.b@mail.ru"
    assert extract_handles(text) == ["@saiga_seller", "@horns_kz", "@rog_opt_private"]


def test_telegram_feature_links_and_short_names_are_not_handles():
    assert extract_handles("t.me/joinchat/AAAA t.me/share/url?x @abc #games@live") == []


def test_chinese_messenger_ids():
    text = "出售羚羊角 微信: lyj_2024abc，或加VX：second_id QQ：123456789"
    assert extract_handles(text) == ["wechat:lyj_2024abc", "wechat:second_id", "qq:123456789"]


def test_handles_are_deduplicated_case_insensitively():
    assert extract_handles("@Saiga_Seller и @saiga_seller") == ["@Saiga_Seller"]


def test_normalise_phone():
    assert normalise_phone("8 (701) 555-12-34") == "+77015551234"
    assert normalise_phone("12345") is None
    assert normalise_phone("not a phone") is None


def test_telegram_links_for_channel_discovery():
    assert telegram_links("см. t.me/Rog_Opt_Private и https://t.me/kiik_muiiz_sauda/12, t.me/joinchat/x") == [
        "rog_opt_private", "kiik_muiiz_sauda"]


@pytest.mark.parametrize("typed, expected", [
    ("8 702 333 44 55", ("phone", "+77023334455")),
    ("+7 (702) 333-44-55", ("phone", "+77023334455")),
    ("8-702-333-44-55", ("phone", "+77023334455")),
    ("77023334455", ("phone", "+77023334455")),
    ("wa.me/77023334455", ("phone", "+77023334455")),
    ("138 1234 5678", ("phone", "+8613812345678")),
    ("+86 138 1234 5678", ("phone", "+8613812345678")),
    ("8613812345678", ("phone", "+8613812345678")),
    ("@HornSeller", ("handle", "@hornseller")),
    ("t.me/hornseller", ("handle", "@hornseller")),
    ("vk.com/hornseller", ("handle", "vk:hornseller")),
    ("weibo.com/u/1234567", ("handle", "weibo:1234567")),
    ("V: saiga_horn88", ("handle", "wechat:saiga_horn88")),
    ("微信 saiga_horn88", ("handle", "wechat:saiga_horn88")),
    ("вичат saiga_horn88", ("handle", "wechat:saiga_horn88")),
    ("рога!", None),
])
def test_a_search_finds_a_phone_or_handle_however_it_is_typed(typed, expected):
    assert normalise_query(typed) == expected


def test_vk_weibo_and_wechat_spellings_in_post_text():
    text = "Пишите vk.com/horn_kz, V: saiga_horn88, или 微博：角商老王; Chinese mobile 86 138 1234 5678"
    found = extract_contacts(text)
    assert found.handles == ["vk:horn_kz", "wechat:saiga_horn88", "weibo:角商老王"]
    assert found.phones == ["+8613812345678"]
