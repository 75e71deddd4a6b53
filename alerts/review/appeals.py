"""The police appeals register: draft → submitted → registered → refused | case_opened → court → closed, with history."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from alerts.review.audit import record_event
from store.models import (
    Appeal,
    Classification,
    EvidenceBundle,
    Listing,
    Review,
    utcnow,
)
from store.queries import CONFIRMED_DECISIONS
from alerts.review.statistics import case_keys

STATUSES = ("draft", "submitted", "registered", "refused", "case_opened", "court", "closed")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("submitted",),
    "submitted": ("registered", "refused"),
    "registered": ("case_opened", "refused"),
    "refused": ("closed",),
    "case_opened": ("court", "closed"),
    "court": ("closed",),
    "closed": (),
}
COUNTRIES = ("KZ", "RU", "MN", "UZ")


class AppealError(ValueError):
    """A request the register cannot accept; the message says what to change."""


def _iso(at: dt.datetime | None) -> str | None:
    return at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z") if at else None


def _listings(session: Session, listing_ids: list[int]) -> list[Listing]:
    ids = list(dict.fromkeys(int(i) for i in listing_ids))
    found = {x.id: x for x in session.scalars(select(Listing).where(Listing.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise AppealError(f"no listing with id {', '.join(map(str, missing))}")
    return [found[i] for i in ids]


def create_appeal(session: Session, *, case_name: str, listing_ids: list[int], actor: str, country: str = "KZ",
                  authority: str = "", note: str = "", bundle_id: int | None = None,
                  at: dt.datetime | None = None) -> Appeal:
    """A new appeal in status 'draft' covering the given listings."""
    case_name = (case_name or "").strip()
    if not case_name:
        raise AppealError("an appeal needs a case name")
    if country not in COUNTRIES:
        raise AppealError(f"country must be one of {', '.join(COUNTRIES)}, not {country!r}")
    if not listing_ids:
        raise AppealError("an appeal needs at least one listing")
    if bundle_id is not None and session.get(EvidenceBundle, bundle_id) is None:
        raise AppealError(f"no evidence bundle with id {bundle_id}")
    given_at, at = at, at or utcnow()
    appeal = Appeal(case_name=case_name, country=country, authority=authority, status="draft", created_at=at,
                    note=note, bundle_id=bundle_id, listings=_listings(session, listing_ids),
                    history=[{"at": _iso(at), "status": "draft", "actor": actor, "note": note}])
    session.add(appeal)
    session.flush()
    record_event(session, actor, "appeal_create", "appeal", appeal.id,
                 {"case": case_name, "listings": [x.id for x in appeal.listings]}, happened_at=given_at)
    return appeal


def get_appeal(session: Session, appeal_id: int) -> Appeal:
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise AppealError(f"no appeal with id {appeal_id}")
    return appeal


def update_appeal(session: Session, appeal_id: int, *, actor: str, status: str | None = None,
                  registration_number: str | None = None, authority: str | None = None, outcome: str | None = None,
                  note: str = "", at: dt.datetime | None = None, bundle_id: int | None = None,
                  add_listing_ids: list[int] | None = None, settings=None) -> Appeal:
    """Move an appeal along its life (only allowed transitions) and/or change its details; every change is in history.

    'registered' needs the police registration number (КУСП / ЕРДР). Submitting and registering also add
    custody links (handed_over, registered) to every listing the appeal covers, signed as they are written with the
    key at `settings`' evidence.signing_key_path; without a usable key nothing is changed (AppealError).
    """
    from alerts.evidence.custody import UnsignedCustodyError, append_event, signer_for

    appeal = get_appeal(session, appeal_id)
    given_at, at = at, at or utcnow()
    if at.tzinfo is None:
        raise AppealError("dates must carry a time zone (UTC)")
    changes: dict[str, Any] = {}
    if authority is not None and authority != appeal.authority:
        appeal.authority = authority
        changes["authority"] = authority
    if registration_number:
        appeal.registration_number = registration_number.strip()
        changes["registration_number"] = appeal.registration_number
    if outcome is not None:
        appeal.outcome = outcome
        changes["outcome"] = outcome
    if bundle_id is not None:
        if session.get(EvidenceBundle, bundle_id) is None:
            raise AppealError(f"no evidence bundle with id {bundle_id}")
        appeal.bundle_id = bundle_id
        changes["bundle_id"] = bundle_id
    if add_listing_ids:
        current = {x.id for x in appeal.listings}
        for listing in _listings(session, add_listing_ids):
            if listing.id not in current:
                appeal.listings.append(listing)
        changes["listings"] = [x.id for x in appeal.listings]
    if status is not None and status != appeal.status:
        if status not in STATUSES:
            raise AppealError(f"unknown status {status!r}; statuses: {', '.join(STATUSES)}")
        allowed = TRANSITIONS[appeal.status]
        if status not in allowed:
            raise AppealError(f"appeal {appeal.id} is {appeal.status}: it can go to "
                              f"{', '.join(allowed) if allowed else 'no other status'}, not {status}")
        if status == "registered" and not appeal.registration_number:
            raise AppealError("status 'registered' needs the registration number (КУСП / ЕРДР): pass it with the update")
        appeal.status = status
        changes["status"] = status
        if status == "submitted":
            appeal.submitted_at = at
        elif status == "registered":
            appeal.registered_at = at
        elif status == "closed":
            appeal.closed_at = at
        custody_action = {"submitted": "handed_over", "registered": "registered"}.get(status)
        if custody_action:
            try:
                signer = signer_for(settings) if settings is not None else None
                for listing in appeal.listings:
                    append_event(session, listing, custody_action, actor,
                                 {"appeal_id": appeal.id, "authority": appeal.authority,
                                  "registration_number": appeal.registration_number, "case": appeal.case_name},
                                 at=at, signer=signer)
            except UnsignedCustodyError as exc:
                raise AppealError(str(exc)) from None
    if not changes and not note:
        raise AppealError("nothing to update: give a status, number, authority, outcome or note")
    appeal.history = [*(appeal.history or []), {"at": _iso(at), "status": appeal.status, "actor": actor, "note": note,
                                                "changes": changes}]
    if note:
        appeal.note = note if not appeal.note else f"{appeal.note}\n{note}"
    record_event(session, actor, "appeal_update", "appeal", appeal.id, {"changes": changes, "note": note},
                 happened_at=given_at)
    session.flush()
    return appeal


def list_appeals(session: Session, *, status: str | None = None, country: str | None = None,
                 listing_id: int | None = None) -> list[Appeal]:
    query = select(Appeal).options(selectinload(Appeal.listings)).order_by(Appeal.id.desc())
    if status:
        if status not in STATUSES:
            raise AppealError(f"unknown status {status!r}; statuses: {', '.join(STATUSES)}")
        query = query.where(Appeal.status == status)
    if country:
        query = query.where(Appeal.country == country)
    if listing_id is not None:
        query = query.where(Appeal.listings.any(Listing.id == listing_id))
    return list(session.scalars(query))


def appeal_dict(appeal: Appeal) -> dict[str, Any]:
    """A JSON-ready view for the CLI and the review UI."""
    return {"id": appeal.id, "case_name": appeal.case_name, "country": appeal.country, "authority": appeal.authority,
            "status": appeal.status, "registration_number": appeal.registration_number,
            "created_at": _iso(appeal.created_at), "submitted_at": _iso(appeal.submitted_at),
            "registered_at": _iso(appeal.registered_at), "closed_at": _iso(appeal.closed_at),
            "outcome": appeal.outcome, "note": appeal.note, "bundle_id": appeal.bundle_id,
            "listings": [{"id": x.id, "platform": x.platform, "platform_listing_id": x.platform_listing_id,
                          "url": x.url, "title": x.title} for x in appeal.listings],
            "history": appeal.history or [], "next_statuses": list(TRANSITIONS[appeal.status])}


@dataclass
class AppealStats:
    period: str
    offers_found: int  # cases with a flagged copy (a repost in seven channels is one)
    offers_confirmed: int
    listings_found: int  # the copies behind them (secondary figure)
    listings_confirmed: int
    appeals_created: int
    appeals_filed: int
    registered: int
    refused: int
    cases_opened: int
    court: int
    closed: int
    by_status: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def appeal_stats(session: Session, *, start: dt.datetime | None = None, end: dt.datetime | None = None) -> AppealStats:
    """The yearly numbers: listings found (flagged) and confirmed, appeals filed, and their outcomes."""
    def within(column):
        conds = []
        if start is not None:
            conds.append(column >= start)
        if end is not None:
            conds.append(column < end)
        return conds

    found_ids = set(session.scalars(select(Classification.listing_id).distinct()
                                    .where(Classification.flagged.is_(True), *within(Classification.created_at))))
    confirmed_ids = set(session.scalars(select(Review.listing_id).distinct()
                                        .where(Review.decision.in_(CONFIRMED_DECISIONS), *within(Review.created_at))))
    offer = case_keys(session, found_ids | confirmed_ids)
    found, confirmed = len(found_ids), len(confirmed_ids)
    appeals = list(session.scalars(select(Appeal)))

    def in_period(at: dt.datetime | None) -> bool:
        return at is not None and (start is None or at >= start) and (end is None or at < end)

    reached: dict[str, int] = {s: 0 for s in STATUSES}
    for appeal in appeals:
        for entry in appeal.history or []:
            when = dt.datetime.fromisoformat(entry["at"].replace("Z", "+00:00")) if entry.get("at") else None
            if in_period(when) and (entry.get("changes", {}).get("status") or (entry.get("status") == "draft"
                                                                               and not entry.get("changes"))):
                reached[entry["status"]] += 1
    by_status: dict[str, int] = {s: 0 for s in STATUSES}
    for appeal in appeals:
        by_status[appeal.status] += 1
    period = f"{_iso(start) or 'beginning'} – {_iso(end) or 'now'}"
    return AppealStats(period=period, offers_found=len({offer[i] for i in found_ids}),
                       offers_confirmed=len({offer[i] for i in confirmed_ids}),
                       listings_found=found, listings_confirmed=confirmed,
                       appeals_created=sum(1 for a in appeals if in_period(a.created_at)),
                       appeals_filed=sum(1 for a in appeals if in_period(a.submitted_at)),
                       registered=reached["registered"], refused=reached["refused"],
                       cases_opened=reached["case_opened"], court=reached["court"], closed=reached["closed"],
                       by_status=by_status)


def year_range(year: int) -> tuple[dt.datetime, dt.datetime]:
    return (dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(year + 1, 1, 1, tzinfo=dt.timezone.utc))
