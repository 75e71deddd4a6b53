"""Auction lots for the demo Violity and Meshok: bids that raise the price day by day, and lots that end.

A lot is listed from `day`, gets a bid on each day in `bid_days`, and its bidding ends on `end_day` at `end_time`
(local time of the site). After that its page stays up and says the lot has ended; it leaves the search results.
A lot the seller withdraws (`until`) is gone (404) from the next day on.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from demo_marketplace.server import DemoState

TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ye", "ё": "yo", "ж": "zh", "з": "z",
    "и": "y", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ы": "y",
    "э": "e", "ю": "yu", "я": "ya", "ь": "", "ъ": "",
})


@dataclass
class Lot:
    """One demo auction lot (or fixed-price offer) and its history over the simulated days."""

    id: int
    title: str
    text: str
    start_price: int
    seller: tuple[int, str]  # (seller id, display name)
    city: tuple[str, str]  # (city, region)
    day: int = -3  # listed on this simulated day
    end_day: int = 3  # bidding ends on this day ...
    end_time: str = "20:00"  # ... at this local time
    bid_days: list[int] = field(default_factory=list)  # one bid on each of these days (several: repeat the day)
    step: int = 100  # each bid raises the price by this much
    until: int | None = None  # withdrawn by the seller after this day (404 from the next day)
    photos: int = 1
    kind: str = "auction"  # auction | fixedPrice

    def bids(self, day: int) -> int:
        return sum(1 for d in self.bid_days if d <= day)

    def price(self, day: int) -> int:
        return self.start_price + self.step * self.bids(day)

    def ended(self, day: int) -> bool:
        return day > self.end_day

    def online(self, day: int) -> bool:
        """The lot's page exists: listed, and not withdrawn."""
        return self.day <= day and (self.until is None or day <= self.until)

    def in_search(self, day: int) -> bool:
        """Active lots only: listed, not withdrawn and not ended."""
        return self.online(day) and not self.ended(day)

    @property
    def slug(self) -> str:
        words = re.sub(r"[^\w]+", "-", self.title.lower().translate(TRANSLIT)).strip("-")
        return words[:60].strip("-")


def day_zero(state: DemoState) -> dt.date:
    """The calendar date of simulated day 0: yesterday (UTC) when the server started, as `saigawatch demo`'s
    default two days end today. Tests set their own with state.cache("auctions:day0", ...)."""
    return state.cache("auctions:day0", lambda: dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1))


def at(state: DemoState, day: int, hhmm: str, zone: str) -> dt.datetime:
    """A local time on a simulated day, timezone-aware."""
    date = day_zero(state) + dt.timedelta(days=day)
    hh, mm = map(int, hhmm.split(":"))
    return dt.datetime(date.year, date.month, date.day, hh, mm, tzinfo=ZoneInfo(zone))


def ends_at(state: DemoState, lot: Lot, zone: str) -> dt.datetime:
    return at(state, lot.end_day, lot.end_time, zone)


def stem(word: str) -> str:
    return word[:4] if len(word) > 4 else word[:3]


def matches(lot: Lot, query: str) -> bool:
    """Every word of the query (by its stem) is in the lot's title or description."""
    hay = f"{lot.title} {lot.text}".lower()
    words = [w for w in re.split(r"\W+", query.lower()) if w]
    return bool(words) and all(stem(w) in hay for w in words)


def search(lots: list[Lot], query: str, day: int) -> list[Lot]:
    """Active lots matching a query, newest first."""
    return sorted((lot for lot in lots if lot.in_search(day) and matches(lot, query)), key=lambda x: (-x.day, -x.id))
