"""Price normalisation: detect what a price is for (gram, kg, horn, pair) and convert it per gram and per horn."""
from __future__ import annotations

import re
from dataclasses import dataclass

from config.schema import ReportSettings

# Order matters: the first unit whose pattern matches the price text (then title, then body) wins.
UNIT_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("gram", re.compile(r"(за|per|/)\s*(1\s*)?(гр|грамм\w*|г|g|gr|gram\w*)\b|\b1\s*(гр|грамм\w*|г|g)\.?\s*[-–—=:]|"
                        r"\d\s*грам(ы|ына)\b|每克|元\s*/\s*克|/\s*克|一克|1克", re.I)),
    ("kg", re.compile(r"(за|per|/)\s*(1\s*)?(кг|килограмм\w*|kg|kilo\w*)\b|\b1\s*кг\.?\s*[-–—=:]|每公斤|/\s*公斤|每千克",
                      re.I)),
    ("jin", re.compile(r"每斤|/\s*斤|一斤")),
    ("pair", re.compile(r"за\s*пар[уы]|\bпара\b|per\s+pair|一对|/\s*对|每对|жұбы", re.I)),
    ("horn", re.compile(r"за\s*(1\s*)?(шт|штук\w*|рог|единиц\w*)|/\s*шт\b|per\s+(horn|piece)|一根|/\s*根|每根|\bдана\w*", re.I)),
]
GRAMS = {"gram": 1.0, "kg": 1000.0, "jin": 500.0}


def price_unit(*texts: str | None) -> str | None:
    """'gram' | 'kg' | 'jin' | 'pair' | 'horn' from the first text that names one, else None."""
    for text in texts:
        if not text:
            continue
        for unit, pattern in UNIT_PATTERNS:
            if pattern.search(text):
                return unit
    return None


@dataclass
class NormalisedPrice:
    unit: str  # as detected, or "unknown" (then treated as a price per horn)
    base_amount: float  # the listed price in the base currency
    per_gram: float
    per_horn: float


def normalise(price: float | None, currency: str | None, unit: str | None, cfg: ReportSettings) -> NormalisedPrice | None:
    """The listed price in the base currency, per gram and per horn; None without a price or a known rate."""
    if price is None or price <= 0 or not currency:
        return None
    rate = cfg.currency_rates.get(currency.upper())
    if rate is None:
        return None
    base = price * rate
    if unit in GRAMS:
        per_gram = base / GRAMS[unit]
    elif unit == "pair":
        per_gram = base / (2 * cfg.grams_per_horn)
    else:  # a horn, or unknown: an ad with one price and no unit is almost always per piece
        per_gram = base / cfg.grams_per_horn
    return NormalisedPrice(unit or "unknown", base, per_gram, per_gram * cfg.grams_per_horn)
