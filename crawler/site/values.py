"""Turn the text a site reader found into typed values: prices with currency, numbers, dates, URLs, flags."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

# Currency signs and words as sites write them (lower-case); a spec's `currencies:` adds its own.
CURRENCY_SIGNS = {
    "грн": "UAH", "₴": "UAH", "uah": "UAH", "гривен": "UAH", "гривень": "UAH",
    "$": "USD", "usd": "USD", "дол": "USD", "€": "EUR", "eur": "EUR",
    "₽": "RUB", "руб": "RUB", "rub": "RUB", "р.": "RUB",
    "byn": "BYN", "бел. руб": "BYN", "br": "BYN",
    "₸": "KZT", "тг": "KZT", "тенге": "KZT", "kzt": "KZT",
    "сум": "UZS", "so'm": "UZS", "uzs": "UZS", "¥": "CNY", "元": "CNY", "cny": "CNY",
}
# A price that is deliberately not a number: kept as price_text, never counted as a parse failure.
NEGOTIABLE = ("договор", "договір", "торг", "обмен", "обмін", "бесплатно", "безкоштовно", "даром")
NUMBER = re.compile(r"\d[\d\s\u00a0\u202f'.,]*")


class ValueError_(ValueError):
    """A found value that cannot be read as its type (a price in an unknown format...): the field stays empty."""


@dataclass
class Price:
    amount: float | None
    currency: str | None
    text: str


def parse_number(text: str) -> float:
    """`1 250,50`, `1,250.50`, `1.250`, `2100` → float; anything without digits raises ValueError_."""
    match = NUMBER.search(text)
    if not match:
        raise ValueError_(f"no number in {text!r}")
    raw = re.sub(r"[\s\u00a0\u202f']", "", match.group(0)).rstrip(".,")
    if "," in raw and "." in raw:
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
        raw = raw.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif "," in raw:
        head, _, tail = raw.rpartition(",")
        raw = raw.replace(",", ".") if len(tail) != 3 and raw.count(",") == 1 else raw.replace(",", "")
    elif raw.count(".") > 1 or ("." in raw and len(raw.rpartition(".")[2]) == 3 and raw.rpartition(".")[0] != "0"):
        raw = raw.replace(".", "")
    try:
        return float(raw)
    except ValueError:
        raise ValueError_(f"cannot read {text!r} as a number") from None


def currency_in(text: str, extra: dict[str, str]) -> str | None:
    lowered = text.lower()
    for sign, code in sorted({**CURRENCY_SIGNS, **{k.lower(): v for k, v in extra.items()}}.items(),
                             key=lambda kv: -len(kv[0])):
        if sign in lowered:
            return code
    upper = re.search(r"\b([A-Z]{3})\b", text)
    return upper.group(1) if upper and upper.group(1) in CURRENCY_SIGNS.values() else None


def parse_price(value: Any, extra_signs: dict[str, str], scale: float | None) -> Price:
    """A price and its currency from text (`1 250 грн`, `$ 40`) or a number; negotiable prices have no amount."""
    if isinstance(value, bool):
        raise ValueError_(f"cannot read {value!r} as a price")
    if isinstance(value, (int, float)):
        amount = float(value) * (scale or 1)
        return Price(amount, None, f"{amount:.2f}" if scale else str(value))
    text = " ".join(str(value).split())
    if not text:
        raise ValueError_("empty price")
    if any(word in text.lower() for word in NEGOTIABLE) and not re.search(r"\d", text):
        return Price(None, None, text)
    amount = parse_number(text) * (scale or 1)
    return Price(amount, currency_in(text, extra_signs), f"{amount:.2f}" if scale else text)  # minor units: as read


def parse_datetime(value: Any, date_format: str | None, zone: str) -> dt.datetime:
    """A timezone-aware UTC datetime from ISO 8601, unix seconds/milliseconds, or a strptime format."""
    tz = ZoneInfo(zone)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10_000_000_000 else value
        return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    text = " ".join(str(value).split())
    try:
        if date_format:
            when = dt.datetime.strptime(text, date_format)
        elif text.isdigit():
            return parse_datetime(int(text), None, zone)
        else:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError_(f"cannot read {text!r} as a date"
                          + (f" in the format {date_format!r}" if date_format else " (ISO 8601 expected)")) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(dt.timezone.utc)


def convert(value: Any, kind: str, *, page_url: str, date_format: str | None = None, zone: str = "UTC",
            scale: float | None = None, equals: list[str] | None = None, currencies: dict[str, str] | None = None,
            base: str | None = None):
    """One raw value as `kind`; raises ValueError_ saying why it cannot be."""
    if kind == "json":
        return value
    if kind == "bool":
        if equals is not None:
            return str(value).strip().lower() in {e.lower() for e in equals}
        return bool(value) and str(value).strip().lower() not in ("false", "0", "no")
    if kind == "price":
        return parse_price(value, currencies or {}, scale)
    if kind == "datetime":
        return parse_datetime(value, date_format, zone)
    if kind in ("int", "number"):
        number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else parse_number(str(value))
        number *= scale or 1
        return int(round(number)) if kind == "int" else number
    text = value if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    if kind == "url":
        return urljoin(base or page_url, text) if text else None
    return text
