"""Seller dossier: every account and listing linked by platform id, phone, handle, shared photo or reposted text."""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from store.fingerprints import contact_keys
from store.models import GroupingKey, Listing, Seller
from store.queries import latest_classifications, latest_reviews

MAX_ROUNDS = 4  # seller → phones/handles/cases → other sellers → ...
MAX_LISTINGS = 500


@dataclass
class AccountLink:
    """One account in a dossier and the evidence that ties it to the others."""

    seller: Seller
    evidence: list[str]  # "starting account", "same phone +7702... (olx #12, telegram #40)", "same photo as #97 ..."
    items: list[dict] = field(default_factory=list)  # the same evidence as data, for wording in the UI's language


@dataclass
class Dossier:
    sellers: list[Seller]
    listings: list[Listing]
    links: dict[int, list[str]]  # listing id -> why it belongs ("seller:12", "phone:+7701...", "case:same photo as #9")
    phones: list[str]
    handles: list[str]
    accounts: list[AccountLink] = field(default_factory=list)
    duplicate_groups: list[list[Listing]] = field(default_factory=list)  # copies of one case (reposts)
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
    def cases(self) -> int:
        return len({l.case_id for l in self.listings if l.case_id})

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


def _label(listing: Listing) -> str:
    return f"{listing.platform} #{listing.id}"


def build_dossier(session: Session, seller_id: int | None = None, phone: str | None = None,
                  handle: str | None = None) -> Dossier:
    """Follow accounts, phones, handles and cases (same text, same photo) from the start until nothing new links."""
    seller_ids: set[int] = {seller_id} if seller_id else set()
    phones: set[str] = {phone} if phone else set()
    handles: set[str] = {handle} if handle else set()
    case_ids: set[int] = set()
    listings: dict[int, Listing] = {}
    links: dict[int, set[str]] = defaultdict(set)
    truncated = False
    for _ in range(MAX_ROUNDS):
        before = (len(seller_ids), len(phones), len(handles), len(case_ids), len(listings))
        keys = contact_keys(sorted(phones), sorted(handles))
        conditions = []
        if seller_ids:
            conditions.append(Listing.seller_id.in_(seller_ids))
        if keys:
            conditions.append(Listing.id.in_(select(GroupingKey.listing_id).where(GroupingKey.key.in_(keys))))
        if case_ids:
            conditions.append(Listing.case_id.in_(case_ids))
        seller_conditions = [_json_contains(Seller.phones, p) for p in phones] + \
                            [_json_contains(Seller.handles, h) for h in handles]
        if seller_conditions:
            seller_ids |= set(session.scalars(select(Seller.id).where(or_(*seller_conditions))))
            if seller_ids:
                conditions.append(Listing.seller_id.in_(seller_ids))
        if not conditions:
            break
        found = list(session.scalars(select(Listing).where(or_(*conditions)).order_by(Listing.id).limit(MAX_LISTINGS + 1)))
        if len(found) > MAX_LISTINGS:
            truncated, found = True, found[:MAX_LISTINGS]
        folded_phones, folded_handles = set(phones), {h.casefold() for h in handles}
        for listing in found:
            listings[listing.id] = listing
            why = links[listing.id]
            if listing.seller_id in seller_ids:
                why.add(f"seller:{listing.seller_id}")
            why.update(f"phone:{p}" for p in (listing.phones or []) if p in folded_phones)
            why.update(f"handle:{h}" for h in (listing.handles or []) if h.casefold() in folded_handles)
            if listing.case_id in case_ids and (listing.case_reason or {}).get("kind") in ("text", "photo"):
                why.add(f"case:{listing.case_reason['detail']}")
            phones.update(listing.phones or [])
            handles.update(listing.handles or [])
            if listing.seller_id:
                seller_ids.add(listing.seller_id)
            if listing.case_id:
                case_ids.add(listing.case_id)
        for s in session.scalars(select(Seller).where(Seller.id.in_(seller_ids))) if seller_ids else []:
            phones.update(s.phones or [])
            handles.update(s.handles or [])
        if (len(seller_ids), len(phones), len(handles), len(case_ids), len(listings)) == before:
            break
    sellers = list(session.scalars(select(Seller).where(Seller.id.in_(seller_ids)).order_by(Seller.platform, Seller.id))) \
        if seller_ids else []
    ordered = sorted(listings.values(), key=lambda l: l.last_seen, reverse=True)
    dossier = Dossier(sellers=sellers, listings=ordered, links={k: sorted(v) for k, v in links.items()},
                      phones=sorted(phones), handles=sorted(handles, key=str.casefold), truncated=truncated)
    dossier.accounts = account_evidence(sellers, ordered, seller_id)
    groups: dict[int, list[Listing]] = defaultdict(list)
    for listing in sorted(ordered, key=lambda l: l.id):
        if listing.case_id:
            groups[listing.case_id].append(listing)
    dossier.duplicate_groups = [g for _, g in sorted(groups.items()) if len(g) > 1]
    ids = list(listings)
    if ids:
        dossier.scores = {lid: c.score for lid, c in latest_classifications(session, ids).items()}
        dossier.decisions = {lid: r.decision for lid, r in latest_reviews(session, ids).items()}
    return dossier


def account_evidence(sellers: list[Seller], listings: list[Listing], start: int | None = None) -> list[AccountLink]:
    """For each account, what ties it to the others: shared phones and handles, shared cases (text, photo)."""
    by_seller: dict[int, list[Listing]] = defaultdict(list)
    for listing in listings:
        if listing.seller_id:
            by_seller[listing.seller_id].append(listing)
    contact_owners: dict[str, set[int]] = defaultdict(set)
    case_owners: dict[int, set[int]] = defaultdict(set)
    for s in sellers:
        for c in [*(f"phone {p}" for p in s.phones or []), *(f"handle {h.casefold()}" for h in s.handles or [])]:
            contact_owners[c].add(s.id)
        for listing in by_seller.get(s.id, []):
            for c in [*(f"phone {p}" for p in listing.phones or []),
                      *(f"handle {h.casefold()}" for h in listing.handles or [])]:
                contact_owners[c].add(s.id)
            if listing.case_id:
                case_owners[listing.case_id].add(s.id)
    out = []
    for s in sellers:
        found: dict[str, dict] = {}  # English text -> the same evidence as data
        if s.id == start:
            found["starting account"] = {"kind": "start"}
        for contact, owners in sorted(contact_owners.items()):
            if s.id in owners and len(owners) > 1:
                kind, value = contact.split(" ", 1)
                where = ", ".join(_label(l) for l in listings if l.seller_id in owners and l.seller_id != s.id
                                  and value in {*(l.phones or []), *(h.casefold() for h in l.handles or [])})
                found[f"same {contact}" + (f" ({where})" if where else "")] = {
                    "kind": "contact", "contact": kind, "value": value, "where": where}
        for listing in by_seller.get(s.id, []):
            reason = listing.case_reason or {}
            if reason.get("kind") in ("text", "photo", "phone", "handle") and len(case_owners[listing.case_id]) > 1:
                found[f"{_label(listing)}: {reason.get('detail')} (case #{listing.case_id})"] = {
                    "kind": "case", "label": _label(listing), "reason": reason, "case": listing.case_id}
        if not found:
            found["listings linked by contacts"] = {"kind": "linked"}
        out.append(AccountLink(s, list(found), list(found.values())))
    return out
