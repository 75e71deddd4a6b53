"""One price rule for digests and evidence bundles: the price as the page shows it, else the parsed amount."""
from __future__ import annotations

from types import SimpleNamespace

from alerts.money import money, price_label


def test_money_formats_thousands_and_cents():
    assert money(15000.0, "KZT") == "15 000 KZT"
    assert money(1234.5) == "1 234.50"
    assert money(None) == "—"


def test_price_label_prefers_the_page_text_and_falls_back_to_the_amount():
    both = SimpleNamespace(price=15000.0, currency="KZT", price_text="15 000 тг за штуку")
    words = SimpleNamespace(price=None, currency=None, price_text="Договорная")
    amount = SimpleNamespace(price=2500.5, currency="RUB", price_text=None)
    none = SimpleNamespace(price=None, currency=None, price_text=None)
    assert price_label(both) == "15 000 тг за штуку"
    assert price_label(amount) == "2 500.50 RUB"
    assert price_label(words) == "Договорная"
    assert price_label(none) == ""
