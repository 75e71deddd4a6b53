"""Analysts' corrections to grouping: split a wrongly grouped copy out of its case, merge two cases; both audited."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.review.audit import record_event
from store.cases import CaseError, merge_cases, resolve_case, split_listing
from store.models import Case, Listing

__all__ = ["CaseError", "split", "merge", "case_of_listing"]


def split(session: Session, listing_id: int, actor: str) -> Case:
    """Move one listing into a case of its own and audit it (old case, new case, the listing's join reason)."""
    listing = session.get(Listing, listing_id)
    old_case, old_reason = (listing.case_id, listing.case_reason) if listing else (None, None)
    case = split_listing(session, listing_id)
    record_event(session, actor, "case.split", "case", old_case,
                 {"listing_id": listing_id, "new_case_id": case.id, "joined_because": (old_reason or {}).get("detail")})
    return case


def merge(session: Session, case_ids: list[int], actor: str) -> Case:
    """Merge cases into the first (the lowest id) and audit each merge with the copies moved."""
    resolved = sorted({c.id for c in (resolve_case(session, i) for i in case_ids) if c is not None})
    if len(resolved) < 2:
        raise CaseError("tick at least two different cases to merge")
    target = resolved[0]
    for other in resolved[1:]:
        moved = list(session.scalars(select(Listing.id).where(Listing.case_id == other)))
        merge_cases(session, target, other)
        record_event(session, actor, "case.merge", "case", target, {"merged_case_id": other, "listing_ids": moved})
    return session.get(Case, target)


def case_of_listing(session: Session, listing_id: int) -> int | None:
    listing = session.get(Listing, listing_id)
    return listing.case_id if listing else None
