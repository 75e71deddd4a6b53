"""The one statistics engine: offers (cases) and sellers counted once, copies as a secondary figure.

The review UI's statistics page (`collect`) and the period reports (alerts.reports.data) both count through
`OfferCounter` and `case_keys`, so a repost in seven channels is one offer everywhere.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Appeal, Classification, Listing
from store.queries import CONFIRMED_DECISIONS, is_confirmed, language_column, latest_classification_ids, latest_reviews

CHUNK = 500


def case_keys(session: Session, listing_ids: Iterable[int]) -> dict[int, int]:
    """{listing id: the offer it belongs to}: its case id, or minus its own id when it has no case yet."""
    ids = list(dict.fromkeys(listing_ids))
    out = {i: -i for i in ids}
    for start in range(0, len(ids), CHUNK):
        for lid, case_id in session.execute(select(Listing.id, Listing.case_id)
                                            .where(Listing.id.in_(ids[start:start + CHUNK]))):
            if case_id is not None:
                out[lid] = case_id
    return out


class OfferCounter:
    """Counts distinct offers (cases) and their copies (listings) per (group, key, measure)."""

    def __init__(self) -> None:
        self._offers: dict[tuple, set] = defaultdict(set)
        self._copies: Counter = Counter()
        self._keys: dict[str, set] = defaultdict(set)

    def add(self, group: str, key: Hashable, measure: str, offer: Hashable) -> None:
        self._offers[(group, key, measure)].add(offer)
        self._copies[(group, key, measure)] += 1
        self._keys[group].add(key)

    def offers(self, group: str, key: Hashable, measure: str) -> int:
        return len(self._offers.get((group, key, measure), ()))

    def copies(self, group: str, key: Hashable, measure: str) -> int:
        return self._copies.get((group, key, measure), 0)

    def keys(self, group: str) -> set:
        return set(self._keys.get(group, ()))


@dataclass
class Statistics:
    weeks: list[tuple[str, list[float]]]  # (the week's Monday "16.11", [flagged offers, confirmed offers])
    platforms: list[tuple[str, list[float]]]
    languages: list[tuple[str, list[float]]]
    decisions: dict[str, int]  # offers by their newest decision
    appeals_by_status: dict[str, int]
    appeal_outcomes: dict[str, int]
    totals: dict[str, int]  # offers (cases) first; copies and sellers as secondary figures


def _week(value: dt.datetime) -> str:
    """The week's Monday as DD.MM (what the chart shows under each column)."""
    monday = value.date() - dt.timedelta(days=value.weekday())
    return monday.strftime("%d.%m")


def collect(session: Session, weeks: int = 12, now: dt.datetime | None = None) -> Statistics:
    """Offers ever flagged and confirmed per week, platform and language, plus appeals; copies and sellers too."""
    now = now or dt.datetime.now(dt.timezone.utc)
    first_flagged = dict(session.execute(
        select(Classification.listing_id, func.min(Classification.created_at))
        .where(Classification.flagged.is_(True)).group_by(Classification.listing_id)).all())
    latest = {lid: (r.decision, r.created_at) for lid, r in latest_reviews(session).items()}
    ids = set(first_flagged) | set(latest)
    meta: dict[int, tuple] = {}
    for chunk in _chunks(sorted(ids)):
        latest_cls = latest_classification_ids(chunk)  # the language rule of the queue and the API
        meta.update({lid: (platform, lang, seller) for lid, platform, lang, seller in session.execute(
            select(Listing.id, Listing.platform, language_column(), Listing.seller_id).select_from(Listing)
            .outerjoin(latest_cls, latest_cls.c.listing_id == Listing.id)
            .outerjoin(Classification, Classification.id == latest_cls.c.max_id)
            .where(Listing.id.in_(chunk)))})
    offer = case_keys(session, ids)

    counter = OfferCounter()
    offer_flagged_at: dict[int, dt.datetime] = {}
    sellers: set[int] = set()
    for lid, at in first_flagged.items():
        platform, lang, seller = meta.get(lid, ("?", None, None))
        counter.add("platform", platform, "flagged", offer[lid])
        counter.add("language", lang or "?", "flagged", offer[lid])
        counter.add("all", "", "flagged", offer[lid])
        offer_flagged_at[offer[lid]] = min(at, offer_flagged_at.get(offer[lid], at))
        if seller:
            sellers.add(seller)
    for o, at in offer_flagged_at.items():
        counter.add("week", _week(at), "flagged", o)
    # an offer's decision is the newest decision on any of its copies
    offer_decision: dict[int, tuple[str, dt.datetime, int]] = {}
    for lid, (decision, at) in latest.items():
        o = offer[lid]
        if o not in offer_decision or at > offer_decision[o][1]:
            offer_decision[o] = (decision, at, lid)
    decisions = Counter()
    for o, (decision, at, lid) in offer_decision.items():
        decisions[decision] += 1
        counter.add("all", "", "reviewed", o)
        if is_confirmed(decision):
            counter.add("week", _week(at), "confirmed", o)
            counter.add("all", "", "confirmed", o)
    for lid, (decision, _) in latest.items():  # confirmed per platform / language: the copies there
        if is_confirmed(offer_decision[offer[lid]][0]):
            platform, lang, _seller = meta.get(lid, ("?", None, None))
            counter.add("platform", platform, "confirmed", offer[lid])
            counter.add("language", lang or "?", "confirmed", offer[lid])

    def pairs(group: str) -> list[tuple[str, list[float]]]:
        keys = sorted(counter.keys(group), key=lambda k: (-counter.offers(group, k, "flagged"), k))
        return [(k, [counter.offers(group, k, "flagged"), counter.offers(group, k, "confirmed")]) for k in keys]

    week_keys = [_week(now - dt.timedelta(weeks=i)) for i in reversed(range(weeks))]
    appeals = list(session.execute(select(Appeal.status, Appeal.outcome)))
    return Statistics(
        weeks=[(k, [counter.offers("week", k, "flagged"), counter.offers("week", k, "confirmed")]) for k in week_keys],
        platforms=pairs("platform"),
        languages=pairs("language"),
        decisions=dict(decisions),
        appeals_by_status=dict(Counter(status for status, _ in appeals)),
        appeal_outcomes=dict(Counter((outcome or "").strip() for status, outcome in appeals if (outcome or "").strip())),
        totals={"flagged": counter.offers("all", "", "flagged"), "reviewed": counter.offers("all", "", "reviewed"),
                "confirmed": sum(decisions[d] for d in CONFIRMED_DECISIONS), "appeals": len(appeals),
                "flagged_copies": counter.copies("all", "", "flagged"), "sellers": len(sellers)},
    )


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]
