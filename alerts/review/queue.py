"""The flagged queue: today's flagged listings plus the unreviewed backlog, filtered, counted and paged."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from store.models import Classification, Listing, Review, Seller
from store.queries import DECISIONS, language_column, latest_classification_ids, latest_review_ids

STATUSES = ("unreviewed", *DECISIONS)
# "open" = the daily work list (flagged on the day, plus every flagged listing nobody has reviewed yet)
STATUS_FILTERS = ("open", "all", *STATUSES)
SORT_KEYS = {  # sortable queue columns (the UI's headings)
    "score": lambda: Classification.score, "price": lambda: Listing.price, "last_seen": lambda: Listing.last_seen,
    "platform": lambda: Listing.platform, "status": lambda: _STATUS, "seller": lambda: Seller.name,
}
OPEN_MIN_SCORE = 0.5  # items scored lower are low priority: not in the daily work list ("open")


class QueueFilterError(ValueError):
    """A filter value that makes no sense (bad date, score outside 0..1, unknown status)."""


@dataclass(frozen=True)
class QueueFilters:
    """What the analyst asked to see; every field is optional."""

    status: str = "open"
    platform: str | None = None
    language: str | None = None
    intent: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    date_from: dt.date | None = None  # flagged on or after (UTC day)
    date_to: dt.date | None = None  # flagged on or before
    q: str | None = None  # text search in title, text, location and platform id
    sort: str | None = None  # a SORT_KEYS key, "-" in front for descending; None: highest score first

    def __post_init__(self) -> None:
        if self.status not in STATUS_FILTERS:
            raise QueueFilterError(f"status: expected one of {', '.join(STATUS_FILTERS)}, got {self.status!r}")
        if self.sort is not None and self.sort.lstrip("-") not in SORT_KEYS:
            raise QueueFilterError(f"sort: expected one of {', '.join(SORT_KEYS)} (optionally with '-'), got {self.sort!r}")
        for name in ("min_score", "max_score"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise QueueFilterError(f"{name}: expected a number between 0 and 1, got {value}")

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "QueueFilters":
        """Build filters from query-string style values ('' means not set); errors name the field."""
        def text(name: str) -> str | None:
            value = (params.get(name) or "").strip()
            return value or None

        def number(name: str) -> float | None:
            value = text(name)
            if value is None:
                return None
            try:
                return float(value.replace(",", "."))
            except ValueError:
                raise QueueFilterError(f"{name}: expected a number between 0 and 1, got {value!r}") from None

        def day(name: str) -> dt.date | None:
            value = text(name)
            if value is None:
                return None
            try:
                return parse_day(value)
            except ValueError:
                raise QueueFilterError(f"{name}: expected a date as DD.MM.YYYY or YYYY-MM-DD, got {value!r}") from None

        return cls(status=text("status") or "open", platform=text("platform"), language=text("language"),
                   intent=text("intent"), min_score=number("min_score"), max_score=number("max_score"),
                   date_from=day("date_from"), date_to=day("date_to"), q=text("q"), sort=text("sort"))

    def as_params(self) -> dict[str, str]:
        """The non-empty filters as query-string values (for links that keep the filters)."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "status" and value == "open"):
                continue
            out[f.name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out


def parse_day(value: str) -> dt.date:
    """A calendar date typed as YYYY-MM-DD or DD.MM.YYYY (how Russian and Kazakh readers write it)."""
    value = value.strip()
    if "." in value:
        return dt.datetime.strptime(value, "%d.%m.%Y").date()
    return dt.date.fromisoformat(value)


@dataclass
class QueueItem:
    listing: Listing
    classification: Classification
    status: str  # unreviewed | sale | buy | not_trade | unsure
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    seller_name: str | None


@dataclass
class QueuePage:
    items: list[QueueItem]
    total: int
    page: int
    page_size: int
    counts: dict[str, int] = field(default_factory=dict)  # per status, plus "open" and "all"
    day: dt.date | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def _day_bounds(day: dt.date, zone: str | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where a calendar day starts and ends in `zone` (default UTC)."""
    tz = ZoneInfo(zone) if zone else dt.timezone.utc
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def today(zone: str | None = None) -> dt.date:
    """Today's date in `zone` (default UTC)."""
    return dt.datetime.now(ZoneInfo(zone) if zone else dt.timezone.utc).date()


_ICU_COLLATION: dict[str, bool] = {}


def _unicode_lower(session: Session):
    """A lower() that folds Cyrillic and other non-ASCII letters on both backends.

    SQLite's lower() folds ASCII only, so a Python function is registered on the connection;
    PostgreSQL's follows the database's LC_CTYPE (ASCII-only under "C"), so the ICU root collation
    is used when the server has it.
    """
    if _casefold_sqlite(session):
        return func.sw_lower
    bind = session.connection()
    if bind.dialect.name == "postgresql":
        key = str(bind.engine.url)
        if key not in _ICU_COLLATION:
            _ICU_COLLATION[key] = bool(bind.exec_driver_sql(
                "SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'").first())
        if _ICU_COLLATION[key]:
            return lambda col: func.lower(col.collate("und-x-icu"))
    return func.lower


def _casefold_sqlite(session: Session) -> bool:
    """Register a Unicode-aware lower() on the SQLite connection (SQLite's own only folds ASCII)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return False
    raw = connection.connection.dbapi_connection
    raw.create_function("sw_lower", 1, lambda s: s.casefold() if isinstance(s, str) else s, deterministic=True)
    return True


def _filtered(session: Session, columns: list[Any], filters: QueueFilters, zone: str | None = None) -> Select:
    """SELECT columns FROM listings with their latest flagged classification and latest review, filtered."""
    query = (
        select(*columns)
        .select_from(Listing)
        .join(_LATEST_CLS, _LATEST_CLS.c.listing_id == Listing.id)
        .join(Classification, Classification.id == _LATEST_CLS.c.max_id)
        .outerjoin(_LATEST_REV, _LATEST_REV.c.listing_id == Listing.id)
        .outerjoin(Review, Review.id == _LATEST_REV.c.max_id)
        .where(Classification.flagged.is_(True))
    )
    if filters.platform:
        query = query.where(Listing.platform == filters.platform)
    if filters.language:
        query = query.where(language_column() == filters.language)
    if filters.intent:
        query = query.where(Classification.intent == filters.intent)
    if filters.min_score is not None:
        query = query.where(Classification.score >= filters.min_score)
    if filters.max_score is not None:
        query = query.where(Classification.score <= filters.max_score)
    if filters.date_from:
        query = query.where(Classification.created_at >= _day_bounds(filters.date_from, zone)[0])
    if filters.date_to:
        query = query.where(Classification.created_at < _day_bounds(filters.date_to, zone)[1])
    if filters.q:
        needle = filters.q.casefold()
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        lower = _unicode_lower(session)
        query = query.where(or_(*(lower(col).like(pattern, escape="\\") for col in
                                  (Listing.title, Listing.text, Listing.location, Listing.platform_listing_id))))
    return query


_LATEST_CLS = latest_classification_ids()
_LATEST_REV = latest_review_ids()
_STATUS = func.coalesce(Review.decision, literal("unreviewed"))


def _order(sort: str | None) -> list:
    """ORDER BY for a sort key: the chosen column first, then the usual score and recency as tie-breakers."""
    default = [Classification.score.desc(), Listing.last_seen.desc(), Listing.id.desc()]
    if not sort:
        return default
    column = SORT_KEYS[sort.lstrip("-")]()
    first = column.desc() if sort.startswith("-") else column.asc()
    return [first.nulls_last(), *default]


def _open_clause(day: dt.date, zone: str | None = None):
    """The daily work list: scored OPEN_MIN_SCORE or more, and unreviewed or flagged on the day.

    Low-priority items (below the mark, e.g. patent medicines naming the saiga) stay under "all" and "unreviewed".
    """
    start, end = _day_bounds(day, zone)
    return and_(Classification.score >= OPEN_MIN_SCORE,
                or_(_STATUS == "unreviewed", and_(Classification.created_at >= start, Classification.created_at < end)))


def status_counts(session: Session, day: dt.date, filters: QueueFilters, zone: str | None = None) -> dict[str, int]:
    """How many filtered flagged listings have each status, plus "open" and "all"."""
    row = session.execute(_filtered(session, [
        func.count().label("all"),
        *(func.coalesce(func.sum(case((_STATUS == s, 1), else_=0)), 0).label(s) for s in STATUSES),
        func.coalesce(func.sum(case((_open_clause(day, zone), 1), else_=0)), 0).label("open"),
    ], filters, zone)).one()
    return {key: int(value or 0) for key, value in row._mapping.items()}


def flagged_queue(session: Session, day: dt.date | str | None = None, filters: QueueFilters | None = None,
                  page: int = 1, page_size: int = 50, timezone: str | None = None,
                  **filter_kwargs: Any) -> QueuePage:
    """The flagged queue for `day` (default: today in `timezone`, else UTC), sorted by score then recency.

    Status "open" (the default) is the daily work list: listings flagged on `day` plus the whole
    unreviewed backlog. Other statuses ("all", "unreviewed", "sale", "buy", "not_trade", "unsure")
    select by the latest review decision. Filters may be given as a QueueFilters or as keywords.
    Days (the queue day and the date filters) are calendar days in `timezone`.
    """
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day)
        except ValueError:
            raise QueueFilterError(f"day: expected a date as YYYY-MM-DD, got {day!r}") from None
    day = day or today(timezone)
    filters = replace(filters, **filter_kwargs) if filters else QueueFilters(**filter_kwargs)
    page = max(1, int(page))
    counts = status_counts(session, day, filters, timezone)
    query = _filtered(session, [Listing, Classification, _STATUS.label("status"), Review.analyst,
                                Review.created_at, Seller.name], filters, timezone)
    query = query.outerjoin(Seller, Seller.id == Listing.seller_id)
    if filters.status == "open":
        query = query.where(_open_clause(day, timezone))
    elif filters.status != "all":
        query = query.where(_STATUS == filters.status)
    query = query.order_by(*_order(filters.sort))
    rows = session.execute(query.limit(page_size).offset((page - 1) * page_size)).all()
    items = [QueueItem(listing=r[0], classification=r[1], status=r[2], reviewed_by=r[3], reviewed_at=r[4],
                       seller_name=r[5]) for r in rows]
    return QueuePage(items=items, total=counts[filters.status], page=page, page_size=page_size,
                     counts=counts, day=day)


def facet_values(session: Session) -> dict[str, list[str]]:
    """Distinct platforms, languages and intents among flagged classifications, for filter menus."""
    return {
        "platform": sorted(p for p in session.scalars(select(Listing.platform).distinct()) if p),
        "language": sorted(x for x in session.scalars(
            select(language_column()).select_from(Listing).join(Classification, Classification.listing_id == Listing.id)
            .distinct()) if x),
        "intent": sorted(x for x in session.scalars(select(Classification.intent).distinct()) if x),
    }


class ReviewError(ValueError):
    """A decision that cannot be recorded (unknown listing or decision, note too long)."""


MAX_NOTE_LENGTH = 4000


def record_review(session: Session, listing_id: int, analyst: str, decision: str, note: str = "",
                  bulk: bool = False) -> Review:
    """Save an analyst's decision as a Review row (training data for the classifier) and audit it."""
    from alerts.review.audit import record_event

    if decision not in DECISIONS:
        raise ReviewError(f"decision: expected one of {', '.join(DECISIONS)}, got {decision!r}")
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ReviewError(f"note: at most {MAX_NOTE_LENGTH} characters")
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise ReviewError(f"no listing with id {listing_id}")
    review = Review(listing_id=listing.id, analyst=analyst, decision=decision, note=note,
                    created_at=dt.datetime.now(dt.timezone.utc))
    session.add(review)
    session.flush()
    record_event(session, analyst, "review.bulk" if bulk else "review", "listing", listing.id,
                 {"decision": decision, "note": note, "review_id": review.id,
                  "platform": listing.platform, "platform_listing_id": listing.platform_listing_id})
    return review


EXPORT_FIELDS = ("id", "platform", "platform_listing_id", "url", "title", "text", "price", "currency", "location",
                 "language", "seller_platform_id", "seller_name", "phones", "handles", "posted_at", "first_seen",
                 "last_seen", "removed_at", "content_hash", "score", "flagged", "intent", "category",
                 "matched_terms", "model_version", "classified_at", "decision", "reviewed_by", "reviewed_at",
                 "review_note")


def export_records(session: Session, flagged_only: bool = True, since: dt.date | None = None):
    """Listings with their latest classification and review, as plain dicts (for CSV/JSON export)."""
    query = (
        select(Listing, Classification, Review, Seller)
        .select_from(Listing)
        .outerjoin(_LATEST_CLS, _LATEST_CLS.c.listing_id == Listing.id)
        .outerjoin(Classification, Classification.id == _LATEST_CLS.c.max_id)
        .outerjoin(_LATEST_REV, _LATEST_REV.c.listing_id == Listing.id)
        .outerjoin(Review, Review.id == _LATEST_REV.c.max_id)
        .outerjoin(Seller, Seller.id == Listing.seller_id)
        .order_by(Listing.id)
    )
    if flagged_only:
        query = query.where(Classification.flagged.is_(True))
    if since:
        query = query.where(Listing.last_seen >= _day_bounds(since)[0])
    for listing, cls, review, seller in session.execute(query.execution_options(yield_per=500)):
        yield {
            "id": listing.id, "platform": listing.platform, "platform_listing_id": listing.platform_listing_id,
            "url": listing.url, "title": listing.title, "text": listing.text, "price": listing.price,
            "currency": listing.currency, "location": listing.location, "language": listing.language,
            "seller_platform_id": seller.platform_seller_id if seller else None,
            "seller_name": seller.name if seller else None,
            "phones": list(listing.phones or []), "handles": list(listing.handles or []),
            "posted_at": _iso(listing.posted_at), "first_seen": _iso(listing.first_seen),
            "last_seen": _iso(listing.last_seen), "removed_at": _iso(listing.removed_at),
            "content_hash": listing.content_hash,
            "score": cls.score if cls else None, "flagged": cls.flagged if cls else None,
            "intent": cls.intent if cls else None, "category": cls.category if cls else None,
            "matched_terms": list(cls.matched_terms or []) if cls else [],
            "model_version": cls.model_version if cls else None,
            "classified_at": _iso(cls.created_at) if cls else None,
            "decision": review.decision if review else None, "reviewed_by": review.analyst if review else None,
            "reviewed_at": _iso(review.created_at) if review else None, "review_note": review.note if review else None,
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
