"""A price written in a post's text («продам пару, 150 000 тг», «每克50元»): for platforms without a price field."""
from __future__ import annotations

import re

_NUMBER = r"(?P<num>\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+(?:[.,]\d+)?)"
_AFTER = [  # currency words after the number, with their ISO codes
    (r"тг\.?|тенге|теңге|₸|kzt", "KZT"), (r"руб(?:лей|ля|ль)?\.?|р\.|₽|rub", "RUB"), (r"сум|so['ʻ]m|uzs", "UZS"),
    (r"\$|usd|долл(?:аров|ара)?\.?", "USD"), (r"€|eur|евро", "EUR"), (r"元|块|юаней|юань|rmb|cny", "CNY"),
    (r"₮|төгрөг|тугриков|mnt", "MNT"),
]
_BEFORE = [(r"\$", "USD"), (r"¥|￥", "CNY"), (r"₽", "RUB"), (r"₸", "KZT"), (r"€", "EUR")]
_AFTER_RE = re.compile(_NUMBER + r"\s?(?P<cur>" + "|".join(p for p, _ in _AFTER) + r")(?![a-zа-яё])", re.I)
_BEFORE_RE = re.compile(r"(?P<cur>" + "|".join(p for p, _ in _BEFORE) + r")\s?" + _NUMBER, re.I)


def _code(token: str, table: list[tuple[str, str]]) -> str:
    return next(code for pattern, code in table if re.fullmatch(pattern, token, re.I))


def price_in_text(text: str | None) -> tuple[float | None, str | None, str | None]:
    """(amount, currency, the words as written) of the first price with a currency in the text, else Nones.

    A number counts only next to a currency word or sign, so phone numbers and years are never prices.
    """
    if not text:
        return None, None, None
    found = []
    for regex, table in ((_AFTER_RE, _AFTER), (_BEFORE_RE, _BEFORE)):
        for m in regex.finditer(text):
            found.append((m.start(), m, table))
    if not found:
        return None, None, None
    _, m, table = min(found, key=lambda f: f[0])
    amount = float(re.sub(r"[ \u00a0\u202f]", "", m.group("num")).replace(",", "."))
    return amount, _code(m.group("cur"), table), m.group(0).strip()
