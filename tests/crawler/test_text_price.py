"""Prices written in a post's text: only numbers next to a currency word or sign count."""
from __future__ import annotations

import pytest

from crawler.text_price import price_in_text


@pytest.mark.parametrize("text, expected", [
    ("Продам пару рогов, 150 000 тг, звонить +77011234567", (150000.0, "KZT", "150 000 тг")),
    ("Цена 5000₸ за грамм", (5000.0, "KZT", "5000₸")),
    ("出售羚羊角丝 每克50元", (50.0, "CNY", "50元")),
    ("¥300 包邮", (300.0, "CNY", "¥300")),
    ("по 300 руб/гр, опт", (300.0, "RUB", "300 руб")),
    ("Киік мүйізі, бағасы 80 000 теңге", (80000.0, "KZT", "80 000 теңге")),
])
def test_price_with_its_currency(text, expected):
    assert price_in_text(text) == expected


@pytest.mark.parametrize("text", ["2024 год, тел 87011234567", "рога сайги, пишите в личку", "", None, "3 штуки"])
def test_no_currency_means_no_price(text):
    assert price_in_text(text) == (None, None, None)
