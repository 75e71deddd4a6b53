"""Gather a period's figures: offers (cases) detected, flagged and confirmed by platform, country, language and month
(copies as a secondary figure), sell vs buy, normalised prices, repeat sellers and contacts, and appeals."""
from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alerts.reports.prices import normalise, price_unit
from alerts.review.statistics import OfferCounter, case_keys
from config import Settings
from store.models import Appeal, Classification, Listing, Review, Seller
from store.queries import CONFIRMED_DECISIONS

CONFIRMED = CONFIRMED_DECISIONS


class ReportError(Exception):
    """A report cannot be produced (bad period, missing fonts); the message says why."""


@dataclass
class CountRow:
    """Offers (cases) detected, flagged and confirmed under one key; `copies` counts the listings behind them."""

    key: str
    detected: int = 0
    flagged: int = 0
    confirmed: int = 0
    copies: int = 0


@dataclass
class PriceRow:
    key: str
    n: int
    median_per_gram: float
    min_per_gram: float
    max_per_gram: float
    median_per_horn: float
    units: dict[str, int]


@dataclass
class SellerRow:
    name: str
    platform: str
    contacts: str
    listings: int
    confirmed: int
    platforms: str
    first_seen: str
    last_seen: str


@dataclass
class ContactRow:
    contact: str
    listings: int
    sellers: int
    platforms: str


@dataclass
class AppealRow:
    case_name: str
    country: str
    status: str
    submitted: str
    registration_number: str
    outcome: str
    listings: int


@dataclass
class ReportData:
    """Everything a report shows; the renderers only lay it out."""

    date_from: dt.date
    date_to: dt.date
    generated_at: dt.datetime
    base_currency: str
    grams_per_horn: float
    totals: dict[str, int] = field(default_factory=dict)
    by_platform: list[CountRow] = field(default_factory=list)
    by_country: list[CountRow] = field(default_factory=list)
    by_language: list[CountRow] = field(default_factory=list)
    by_month: list[CountRow] = field(default_factory=list)
    intent: dict[str, dict[str, int]] = field(default_factory=dict)  # {"flagged": {sell, buy, other}, "confirmed": {...}}
    prices: list[PriceRow] = field(default_factory=list)  # "all" first, then per platform
    prices_skipped: dict[str, int] = field(default_factory=dict)
    repeat_sellers: list[SellerRow] = field(default_factory=list)
    repeat_contacts: list[ContactRow] = field(default_factory=list)
    appeals_by_status: dict[str, int] = field(default_factory=dict)
    appeals: list[AppealRow] = field(default_factory=list)

    @property
    def period(self) -> str:
        return f"{self.date_from.isoformat()} – {self.date_to.isoformat()}"


def country_of(listing: Listing, settings: Settings) -> str:
    """Country of a listing: its source's `country`, else the platform (and site) mapping in reports settings."""
    source = next((s for s in settings.sources if s.name == listing.source_name), None)
    if source is not None:
        if source.country:
            return source.country
        if source.site:
            key = f"{source.platform}:{source.site}"
            if key in settings.reports.platform_countries:
                return settings.reports.platform_countries[key]
    return settings.reports.platform_countries.get(listing.platform, "—")


def intent_of(decision: str | None, intent: str | None) -> str:
    """sell | buy | other: an analyst's decision wins over the classifier's guess."""
    if decision == "sale":
        return "sell"
    if decision == "buy":
        return "buy"
    value = (intent or "").lower()
    if "buy" in value:
        return "buy"
    if "sell" in value or "sale" in value:
        return "sell"
    return "other"


def _rows(counter: dict[str, CountRow], order: str = "count") -> list[CountRow]:
    rows = list(counter.values())
    if order == "key":
        return sorted(rows, key=lambda r: r.key)
    return sorted(rows, key=lambda r: (-r.detected, r.key))


def _price_row(key: str, values: list[tuple[Any, str]]) -> PriceRow:
    per_gram = [v.per_gram for v, _ in values]
    return PriceRow(key=key, n=len(values), median_per_gram=statistics.median(per_gram), min_per_gram=min(per_gram),
                    max_per_gram=max(per_gram), median_per_horn=statistics.median(v.per_horn for v, _ in values),
                    units=dict(Counter(u for _, u in values)))


def _iso(value: dt.datetime | None) -> str:
    return value.date().isoformat() if value else ""


def build_report(session: Session, settings: Settings, date_from: dt.date, date_to: dt.date,
                 now: dt.datetime | None = None) -> ReportData:
    """Figures for listings first seen between date_from and date_to (inclusive, UTC days)."""
    if date_to < date_from:
        raise ReportError(f"the period ends ({date_to}) before it starts ({date_from})")
    start = dt.datetime.combine(date_from, dt.time(), dt.timezone.utc)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    cfg = settings.reports
    data = ReportData(date_from, date_to, now or dt.datetime.now(dt.timezone.utc), cfg.base_currency, cfg.grams_per_horn)

    listings = session.scalars(select(Listing).where(Listing.first_seen >= start, Listing.first_seen < end)
                               .order_by(Listing.id)).all()
    ids = [l.id for l in listings]
    in_range = select(Listing.id).where(Listing.first_seen >= start, Listing.first_seen < end)
    flagged_intent: dict[int, str | None] = {}
    for cls in session.scalars(select(Classification).where(Classification.listing_id.in_(in_range),
                                                            Classification.flagged.is_(True)).order_by(Classification.id)):
        flagged_intent[cls.listing_id] = cls.intent
    decision: dict[int, str] = {}
    for review in session.scalars(select(Review).where(Review.listing_id.in_(in_range))
                                  .order_by(Review.created_at, Review.id)):
        decision[review.listing_id] = review.decision  # the newest decision counts
    confirmed = {i for i in ids if decision.get(i) in CONFIRMED}
    # a listing an analyst confirmed counts as flagged too (e.g. found by hand)
    flagged = (set(flagged_intent) | confirmed) & set(ids)

    offer = case_keys(session, ids)
    counter = OfferCounter()
    for l in listings:
        keys = {"platform": l.platform, "country": country_of(l, settings), "language": l.language or "?",
                "month": l.first_seen.strftime("%Y-%m"), "all": ""}
        for group, key in keys.items():
            counter.add(group, key, "detected", offer[l.id])
            if l.id in flagged:
                counter.add(group, key, "flagged", offer[l.id])
            if l.id in confirmed:
                counter.add(group, key, "confirmed", offer[l.id])
    # every month of the period appears, even an empty one
    months = counter.keys("month")
    month = date_from.replace(day=1)
    while month <= date_to:
        months.add(month.strftime("%Y-%m"))
        month = (month + dt.timedelta(days=32)).replace(day=1)

    def rows(group: str, keys=None, order: str = "count") -> list[CountRow]:
        out = {k: CountRow(k, counter.offers(group, k, "detected"), counter.offers(group, k, "flagged"),
                           counter.offers(group, k, "confirmed"), counter.copies(group, k, "detected"))
               for k in (keys if keys is not None else counter.keys(group))}
        return _rows(out, order)

    data.by_platform = rows("platform")
    data.by_country = rows("country")
    data.by_language = rows("language")
    data.by_month = rows("month", months, order="key")
    offers_of = lambda chosen: {offer[i] for i in chosen}  # noqa: E731
    data.totals = {"detected": counter.offers("all", "", "detected"), "flagged": counter.offers("all", "", "flagged"),
                   "confirmed": counter.offers("all", "", "confirmed"),
                   "not_trade": len(offers_of(i for i in flagged if decision.get(i) == "not_trade")),
                   "unreviewed": len(offers_of(i for i in flagged if i not in decision)),
                   "copies_detected": len(listings), "copies_flagged": len(flagged),
                   "sellers": len({l.seller_id for l in listings if l.seller_id and l.id in flagged})}

    data.intent = {"flagged": {"sell": 0, "buy": 0, "other": 0}, "confirmed": {"sell": 0, "buy": 0, "other": 0}}
    counted: set[tuple[str, int]] = set()
    for i in sorted(flagged):
        if decision.get(i) == "not_trade":
            continue
        kind = intent_of(decision.get(i), flagged_intent.get(i))
        if ("flagged", offer[i]) not in counted:
            counted.add(("flagged", offer[i]))
            data.intent["flagged"][kind] += 1
        if i in confirmed and ("confirmed", offer[i]) not in counted:
            counted.add(("confirmed", offer[i]))
            data.intent["confirmed"][kind] += 1

    # prices of trade ads: flagged (not rejected by an analyst) or confirmed
    by_id = {l.id: l for l in listings}
    priced: dict[str, list] = defaultdict(list)
    skipped = Counter()
    for i in sorted(flagged):
        if decision.get(i) == "not_trade":
            continue
        l = by_id[i]
        if l.price is None:
            skipped["no_price"] += 1
            continue
        unit = price_unit(l.price_text, l.title, l.text)
        value = normalise(l.price, l.currency, unit, cfg)
        if value is None:
            skipped[f"no_rate:{l.currency or '?'}"] += 1
            continue
        priced["all"].append((value, value.unit))
        priced[l.platform].append((value, value.unit))
    data.prices = [_price_row(k, priced[k]) for k in ["all", *sorted(k for k in priced if k != "all")] if priced.get(k)]
    data.prices_skipped = dict(skipped)

    # repeat sellers (accounts) and repeat contacts (phones/handles across accounts and platforms)
    trade_ids = {i for i in flagged if decision.get(i) != "not_trade"}
    by_seller: dict[int, list[Listing]] = defaultdict(list)
    by_contact: dict[str, list[Listing]] = defaultdict(list)
    for i in trade_ids:
        l = by_id[i]
        if l.seller_id:
            by_seller[l.seller_id].append(l)
        for contact in {*(l.phones or []), *(l.handles or [])}:
            by_contact[contact].append(l)
    repeat_ids = [sid for sid, items in by_seller.items() if len(items) >= 2]
    sellers: dict[int, Seller] = {}
    for i in range(0, len(repeat_ids), 500):
        sellers.update({s.id: s for s in session.scalars(select(Seller).where(Seller.id.in_(repeat_ids[i:i + 500])))})
    for sid, items in by_seller.items():
        if len(items) < 2 or sid not in sellers:
            continue
        s = sellers[sid]
        data.repeat_sellers.append(SellerRow(
            name=s.name or s.platform_seller_id, platform=s.platform,
            contacts=", ".join(sorted({*(s.phones or []), *(s.handles or []),
                                       *(c for l in items for c in [*(l.phones or []), *(l.handles or [])])})),
            listings=len(items),
            confirmed=sum(1 for l in items if l.id in confirmed), platforms=", ".join(sorted({l.platform for l in items})),
            first_seen=_iso(min(l.first_seen for l in items)), last_seen=_iso(max(l.last_seen for l in items))))
    data.repeat_sellers.sort(key=lambda r: (-r.listings, r.name))
    for contact, items in by_contact.items():
        if len(items) < 2:
            continue
        data.repeat_contacts.append(ContactRow(contact, len(items), len({l.seller_id for l in items if l.seller_id}),
                                               ", ".join(sorted({l.platform for l in items}))))
    data.repeat_contacts.sort(key=lambda r: (-r.listings, r.contact))

    # appeals filed in the period (submitted; drafts created in the period are counted as drafts)
    appeals = session.scalars(select(Appeal).where(or_(
        (Appeal.submitted_at >= start) & (Appeal.submitted_at < end),
        Appeal.submitted_at.is_(None) & (Appeal.created_at >= start) & (Appeal.created_at < end)))
        .order_by(Appeal.submitted_at, Appeal.created_at)).all()
    data.appeals_by_status = dict(sorted(Counter(a.status for a in appeals).items()))
    data.appeals = [AppealRow(a.case_name, a.country, a.status, _iso(a.submitted_at), a.registration_number or "",
                              a.outcome or "", len(a.listings)) for a in appeals]
    return data
