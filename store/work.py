"""Work owed after a crash (photos pending, not yet notified, capture incomplete): one home for its queries."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from store.models import WorkOwed

PHOTOS = "photos"
NOTIFY = "notify"
CAPTURE = "capture"
KINDS = (PHOTOS, NOTIFY, CAPTURE)


def owe(session: Session, kind: str, listing_id: int, detail: str = "", owner: str | None = None) -> WorkOwed:
    """Record that `kind` work is owed for a listing (once: recording it again changes nothing)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of owed work {kind!r}")
    row = session.scalars(select(WorkOwed).where(WorkOwed.kind == kind, WorkOwed.listing_id == listing_id,
                                                 WorkOwed.detail == detail)).one_or_none()
    if row is None:
        row = WorkOwed(kind=kind, listing_id=listing_id, detail=detail, owner=owner)
        session.add(row)
        session.flush()
    return row


def settle(session: Session, kind: str, listing_ids: Iterable[int], detail: str | None = None) -> None:
    """The owed work is done for these listings (for one `detail` only when given)."""
    ids = list(listing_ids)
    for start in range(0, len(ids), 500):
        query = delete(WorkOwed).where(WorkOwed.kind == kind, WorkOwed.listing_id.in_(ids[start:start + 500]))
        if detail is not None:
            query = query.where(WorkOwed.detail == detail)
        session.execute(query)


def owed_listing_ids(session: Session, kind: str) -> list[int]:
    """Listings owed `kind` work, oldest debt first."""
    rows = session.scalars(select(WorkOwed.listing_id).where(WorkOwed.kind == kind).order_by(WorkOwed.id))
    return list(dict.fromkeys(rows))


def owed(session: Session, kind: str) -> list[WorkOwed]:
    return list(session.scalars(select(WorkOwed).where(WorkOwed.kind == kind).order_by(WorkOwed.id)))
