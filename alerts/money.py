"""How a price is shown in digests and evidence bundles (the seller's words, else the number) and amounts in the UI."""
from __future__ import annotations

from typing import Any


def money(value: float | None, currency: str | None = None, missing: str = "—") -> str:
    """15000.0, "KZT" → "15 000 KZT"; cents only when there are any; `missing` for no value."""
    if value is None:
        return missing
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{text.replace(',', ' ')} {currency or ''}".strip()


def price_label(listing: Any) -> str:
    """A listing's price as the page shows it («150 000 ₸», «Договорная», «5 000 за 100 г»: what a reader finds
    on the platform and what evidence must reproduce), else the parsed amount, else ""."""
    if listing.price_text:
        return listing.price_text
    return money(listing.price, listing.currency, missing="")
