"""Seller dossier: every listing linked to a seller by platform id, phone or handle, and near-duplicate reposts."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from rapidfuzz import fuzz
from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from store.models import Classification, Listing, Review, Seller

MAX_ROUNDS = 3  # seller → phones/handles → other sellers → ...
MAX_LISTINGS = 500


@dataclass
class Dossier:
    sellers: list[Seller]
    listings: list[Listing]
    links: dict[int, list[str]]  # listing id -> why it belongs ("seller:olx/123", "phone:+7701...", "handle:@x")
    phones: list[str]
    handles: list[str]
    duplicate_groups: list[list[Listing]] = field(default_factory=list)
    scores: dict[int, float] = field(default_factory=dict)
    decisions: dict[int, str] = field(default_factory=dict)
    truncated: bool = False

    @property
    def platforms(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for listing in self.listings:
            out[listing.platform] = out.get(listing.platform, 0) + 1
        return dict(sorted(out.items()))

    @property
    def first_activity(self) -> dt.datetime | None:
        times = [l.posted_at or l.first_seen for l in self.listings]
        return min(times) if times else None

    @property
    def last_activity(self) -> dt.datetime | None:
        times = [l.last_seen for l in self.listings]
        return max(times) if times else None

    @property
    def active_count(self) -> int:
        return sum(1 for l in self.listings if l.removed_at is None)


def _json_contains(column, value: str):
    """Portable 'JSON array contains string' (the arrays are stored as JSON text on both backends)."""
    return cast(column, String).contains(json.dumps(value))  # the JSON type stores json.dumps output


def build_dossier(session: Session, seller_id: int | None = None, phone: str | None = None,
                  handle: str | None = None, duplicate_ratio: float = 85.0) -> Dossier:
    """Follow seller ids, phones and handles from the starting point until nothing new is linked."""
    seller_ids: set[int] = {seller_id} if seller_id else set()
    phones: set[str] = {phone} if phone else set()
    handles: set[str] = {handle} if handle else set()
    listings: dict[int, Listing] = {}
    links: dict[int, set[str]] = {}
    truncated = False
    for _ in range(MAX_ROUNDS):
        before = (len(seller_ids), len(phones), len(handles), len(listings))
        conditions = []
        if seller_ids:
            conditions.append(Listing.seller_id.in_(seller_ids))
        conditions += [_json_contains(Listing.phones, p) for p in phones]
        conditions += [_json_contains(Listing.handles, h) for h in handles]
        seller_conditions = [_json_contains(Seller.phones, p) for p in phones] + \
                            [_json_contains(Seller.handles, h) for h in handles]
        if seller_conditions:
            for s in session.scalars(select(Seller).where(or_(*seller_conditions))):
                seller_ids.add(s.id)
            if seller_ids:
                conditions.append(Listing.seller_id.in_(seller_ids))
        if not conditions:
            break
        found = list(session.scalars(select(Listing).where(or_(*conditions)).limit(MAX_LISTINGS + 1)))
        if len(found) > MAX_LISTINGS:
            truncated, found = True, found[:MAX_LISTINGS]
        for listing in found:
            listings[listing.id] = listing
            why = links.setdefault(listing.id, set())
            if listing.seller_id in seller_ids:
                why.add(f"seller:{listing.seller_id}")
            why.update(f"phone:{p}" for p in (listing.phones or []) if p in phones)
            why.update(f"handle:{h}" for h in (listing.handles or []) if h in handles)
            phones.update(listing.phones or [])
            handles.update(listing.handles or [])
            if listing.seller_id:
                seller_ids.add(listing.seller_id)
        sellers = list(session.scalars(select(Seller).where(Seller.id.in_(seller_ids)))) if seller_ids else []
        for s in sellers:
            phones.update(s.phones or [])
            handles.update(s.handles or [])
        if (len(seller_ids), len(phones), len(handles), len(listings)) == before:
            break
    sellers = list(session.scalars(select(Seller).where(Seller.id.in_(seller_ids)).order_by(Seller.platform))) \
        if seller_ids else []
    ordered = sorted(listings.values(), key=lambda l: l.last_seen, reverse=True)
    dossier = Dossier(sellers=sellers, listings=ordered, links={k: sorted(v) for k, v in links.items()},
                      phones=sorted(phones), handles=sorted(handles), truncated=truncated)
    dossier.duplicate_groups = near_duplicates(ordered, duplicate_ratio)
    ids = list(listings)
    if ids:
        for listing_id, score in session.execute(
                select(Classification.listing_id, Classification.score).where(Classification.listing_id.in_(ids))
                .order_by(Classification.id)):
            dossier.scores[listing_id] = score
        for listing_id, decision in session.execute(
                select(Review.listing_id, Review.decision).where(Review.listing_id.in_(ids)).order_by(Review.id)):
            dossier.decisions[listing_id] = decision
    return dossier


def near_duplicates(listings: list[Listing], ratio: float = 85.0) -> list[list[Listing]]:
    """Groups of listings whose title+text are near-identical (reposts), by rapidfuzz token_set_ratio."""
    texts = [f"{l.title or ''} {l.text or ''}".casefold() for l in listings]
    parent = list(range(len(listings)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(listings)):
        for j in range(i + 1, len(listings)):
            if texts[i].strip() and fuzz.token_set_ratio(texts[i], texts[j], score_cutoff=ratio):
                parent[root(j)] = root(i)
    groups: dict[int, list[Listing]] = {}
    for i, listing in enumerate(listings):
        groups.setdefault(root(i), []).append(listing)
    return [g for g in groups.values() if len(g) > 1]
