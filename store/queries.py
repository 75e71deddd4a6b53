"""The store's shared questions: each listing's latest classification and review, its language, what "confirmed" means."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from store.models import Classification, Listing, Review

DECISIONS = ("sale", "buy", "not_trade", "unsure")
CONFIRMED_DECISIONS = ("sale", "buy")  # an analyst confirmed a sale or a buy offer: the listing is a case


def is_confirmed(decision: str | None) -> bool:
    """True when an analyst's decision confirms trade (a sale or a buy offer)."""
    return decision in CONFIRMED_DECISIONS


def language_of(listing: Listing, classification: Classification | None) -> str | None:
    """A listing's language: what the classifier detected, else what the crawler stored (one rule everywhere)."""
    return (classification.language if classification is not None and classification.language else None) \
        or listing.language


def language_column():
    """language_of() as SQL, for queries that join a listing to its classification."""
    return func.coalesce(Classification.language, Listing.language)


def _latest(model, listing_ids: Iterable[int] | None, where=None) -> Select:
    query = select(model.listing_id.label("listing_id"), func.max(model.id).label("max_id"))
    if listing_ids is not None:
        query = query.where(model.listing_id.in_(list(listing_ids)))
    if where is not None:
        query = query.where(where)
    return query.group_by(model.listing_id)


def latest_classification_ids(listing_ids: Iterable[int] | None = None, name: str = "latest_cls"):
    """Subquery (listing_id, max_id): the id of each listing's newest Classification row."""
    return _latest(Classification, listing_ids).subquery(name)


def latest_review_ids(listing_ids: Iterable[int] | None = None, name: str = "latest_rev", decided_only: bool = False):
    """Subquery (listing_id, max_id): the id of each listing's newest Review (decided_only: skip "unsure")."""
    where = Review.decision != "unsure" if decided_only else None
    return _latest(Review, listing_ids, where).subquery(name)


CHUNK = 500  # ids per IN (...) list: well inside every backend's bound-parameter limit


def _chunks(listing_ids: Iterable[int] | None):
    if listing_ids is None:
        yield None
        return
    ids = list(dict.fromkeys(listing_ids))
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def latest_classifications(session: Session, listing_ids: Iterable[int] | None = None) -> dict[int, Classification]:
    """{listing_id: newest Classification} for the given listings (all listings when None)."""
    out: dict[int, Classification] = {}
    for chunk in _chunks(listing_ids):
        newest = latest_classification_ids(chunk)
        out.update({c.listing_id: c for c in session.scalars(
            select(Classification).join(newest, Classification.id == newest.c.max_id))})
    return out


def latest_classification(session: Session, listing_id: int) -> Classification | None:
    """The newest Classification of one listing, or None."""
    return latest_classifications(session, [listing_id]).get(listing_id)


def latest_reviews(session: Session, listing_ids: Iterable[int] | None = None,
                   decided_only: bool = False) -> dict[int, Review]:
    """{listing_id: newest Review} for the given listings (all when None); decided_only skips "unsure" reviews."""
    out: dict[int, Review] = {}
    for chunk in _chunks(listing_ids):
        newest = latest_review_ids(chunk, decided_only=decided_only)
        out.update({r.listing_id: r for r in session.scalars(
            select(Review).join(newest, Review.id == newest.c.max_id).order_by(Review.id))})
    return out


def newest_classification_id_for(listing_id_column):
    """Correlated scalar subquery: the id of the newest Classification of the listing in `listing_id_column`
    (for joining one row per listing when the listings are picked by something else, e.g. their case)."""
    inner = Classification.__table__.alias("newest_cls")
    return select(func.max(inner.c.id)).where(inner.c.listing_id == listing_id_column) \
        .correlate_except(inner).scalar_subquery()


def newest_review_id_for(listing_id_column):
    """Correlated scalar subquery: the id of the newest Review of the listing in `listing_id_column`."""
    inner = Review.__table__.alias("newest_rev")
    return select(func.max(inner.c.id)).where(inner.c.listing_id == listing_id_column) \
        .correlate_except(inner).scalar_subquery()
