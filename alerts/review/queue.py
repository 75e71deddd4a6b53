"""The flagged queue: one row per case (today's flagged offers plus the unreviewed backlog), filtered, counted, paged."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from store.models import Case, Classification, Listing, Review, Seller
from store.queries import DECISIONS, language_column, latest_classification_ids, latest_classifications, latest_review_ids

STATUSES = ("unreviewed", *DECISIONS)
# "open" = the daily work list (flagged on the day, plus every flagged listing nobody has reviewed yet)
STATUS_FILTERS = ("open", "all", *STATUSES)
SORT_KEYS = {  # sortable queue columns (the UI's headings); price and seller are the best copy's
    "score": lambda: Case.best_score, "price": lambda: _best_copy(Listing.price), "last_seen": lambda: Case.last_seen,
    "platform": lambda: Case.platforms, "status": lambda: Case.status, "copies": lambda: Case.copies,
    "seller": lambda: select(Seller.name).join(Listing, Listing.seller_id == Seller.id)
    .where(Listing.id == Case.best_listing_id).correlate(Case).scalar_subquery(),
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
    """One queue row: a case, shown through its best-scoring copy."""

    listing: Listing  # the best copy
    classification: Classification
    status: str  # unreviewed | sale | buy | not_trade | unsure (newest decision on any copy)
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    seller_name: str | None
    case: Case | None = None
    copies: list[Listing] = field(default_factory=list)  # every copy (reposts, other platforms and accounts)
    seller_names: list[str] = field(default_factory=list)


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
    """SELECT columns FROM cases that hold a flagged copy, filtered (copy-level filters: any copy matches)."""
    query = select(*columns).select_from(Case).where(Case.flagged.is_(True), Case.merged_into_id.is_(None))
    copy_conditions = []
    if filters.platform:
        copy_conditions.append(Listing.platform == filters.platform)
    if filters.language:
        query = query.where(Case.language == filters.language)  # the case's best copy, by language_of()
    if filters.intent:
        query = query.where(Case.intent == filters.intent)
    if filters.min_score is not None:
        query = query.where(Case.best_score >= filters.min_score)
    if filters.max_score is not None:
        query = query.where(Case.best_score <= filters.max_score)
    if filters.date_from:
        query = query.where(Case.flagged_at >= _day_bounds(filters.date_from, zone)[0])
    if filters.date_to:
        query = query.where(Case.flagged_at < _day_bounds(filters.date_to, zone)[1])
    if filters.q:
        needle = filters.q.casefold()
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        lower = _unicode_lower(session)
        copy_conditions.append(or_(*(lower(col).like(pattern, escape="\\") for col in
                                     (Listing.title, Listing.text, Listing.location, Listing.platform_listing_id))))
    if copy_conditions:
        query = query.where(select(Listing.id).where(Listing.case_id == Case.id, *copy_conditions).exists())
    return query


def _best_copy(column):
    """A column of the case's best copy, as a correlated scalar subquery (for sorting)."""
    return select(column).where(Listing.id == Case.best_listing_id).correlate(Case).scalar_subquery()


def _order(sort: str | None) -> list:
    """ORDER BY for a sort key: the chosen column first, then the index order (flagged, score, recency) as ties."""
    default = [Case.flagged.desc(), Case.best_score.desc(), Case.last_seen.desc(), Case.id.desc()]
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
    return and_(Case.best_score >= OPEN_MIN_SCORE,
                or_(Case.status == "unreviewed", and_(Case.flagged_at >= start, Case.flagged_at < end)))


def status_counts(session: Session, day: dt.date, filters: QueueFilters, zone: str | None = None) -> dict[str, int]:
    """How many filtered cases have each status, plus "open" and "all"."""
    row = session.execute(_filtered(session, [
        func.count().label("all"),
        *(func.coalesce(func.sum(case((Case.status == s, 1), else_=0)), 0).label(s) for s in STATUSES),
        func.coalesce(func.sum(case((_open_clause(day, zone), 1), else_=0)), 0).label("open"),
    ], filters, zone)).one()
    return {key: int(value or 0) for key, value in row._mapping.items()}


def flagged_queue(session: Session, day: dt.date | str | None = None, filters: QueueFilters | None = None,
                  page: int = 1, page_size: int = 50, timezone: str | None = None,
                  **filter_kwargs: Any) -> QueuePage:
    """The flagged queue for `day` (default: today in `timezone`, else UTC): one row per case, best score first.

    Status "open" (the default) is the daily work list: cases flagged on `day` plus every case nobody has
    reviewed yet. Other statuses ("all", "unreviewed", "sale", "buy", "not_trade", "unsure") select by the
    newest decision on any copy. Filters may be given as a QueueFilters or as keywords. Days (the queue day
    and the date filters) are calendar days in `timezone`. Pages walk the (flagged, best_score, last_seen, id)
    index, so a deep page costs about what the first does.
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
    query = _filtered(session, [Case], filters, timezone)
    if filters.status == "open":
        query = query.where(_open_clause(day, timezone))
    elif filters.status != "all":
        query = query.where(Case.status == filters.status)
    query = query.order_by(*_order(filters.sort))
    cases = session.scalars(query.limit(page_size).offset((page - 1) * page_size)).all()
    return QueuePage(items=case_rows(session, cases), total=counts[filters.status], page=page,
                     page_size=page_size, counts=counts, day=day)


MAX_COPIES_SHOWN = 50


def case_rows(session: Session, cases: list[Case]) -> list[QueueItem]:
    """Queue rows for these cases: the best copy with its classification, and every copy for the expanded row."""
    if not cases:
        return []
    case_ids = [c.id for c in cases]
    copies: dict[int, list[Listing]] = {cid: [] for cid in case_ids}
    for listing in session.scalars(select(Listing).where(Listing.case_id.in_(case_ids))
                                   .order_by(Listing.case_id, Listing.first_seen, Listing.id)):
        if len(copies[listing.case_id]) < MAX_COPIES_SHOWN:
            copies[listing.case_id].append(listing)
    best_ids = [c.best_listing_id for c in cases if c.best_listing_id]
    listings = {l.id: l for l in session.scalars(select(Listing).where(Listing.id.in_(best_ids)))}
    classes = latest_classifications(session, best_ids)
    seller_ids = {l.seller_id for group in copies.values() for l in group if l.seller_id}
    sellers = {s.id: s for s in session.scalars(select(Seller).where(Seller.id.in_(seller_ids)))} if seller_ids else {}
    items = []
    for c in cases:
        listing = listings.get(c.best_listing_id)
        if listing is None or c.best_listing_id not in classes:
            continue
        names = list(dict.fromkeys(sellers[l.seller_id].name or sellers[l.seller_id].platform_seller_id
                                   for l in copies[c.id] if l.seller_id in sellers))
        seller = sellers.get(listing.seller_id)
        items.append(QueueItem(listing=listing, classification=classes[c.best_listing_id], status=c.status,
                               reviewed_by=c.decided_by, reviewed_at=c.decided_at,
                               seller_name=seller.name if seller else (names[0] if names else None),
                               case=c, copies=copies[c.id], seller_names=names))
    return items


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
                  bulk: bool = False, whole_case: bool = True) -> Review:
    """Save an analyst's decision (training data for the classifier) and audit it.

    A decision is about the offer, so by default it is recorded on every copy in the listing's case
    (a wrongly grouped copy is split out first). Returns the Review of the listing asked for.
    """
    from alerts.review.audit import record_event

    if decision not in DECISIONS:
        raise ReviewError(f"decision: expected one of {', '.join(DECISIONS)}, got {decision!r}")
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise ReviewError(f"note: at most {MAX_NOTE_LENGTH} characters")
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise ReviewError(f"no listing with id {listing_id}")
    now = dt.datetime.now(dt.timezone.utc)
    copies = [listing.id]
    if whole_case and listing.case_id is not None:
        copies += [i for i in session.scalars(select(Listing.id).where(Listing.case_id == listing.case_id)
                                              .order_by(Listing.id)) if i != listing.id]
    reviews = [Review(listing_id=i, analyst=analyst, decision=decision, note=note, created_at=now) for i in copies]
    session.add_all(reviews)
    session.flush()
    record_event(session, analyst, "review.bulk" if bulk else "review", "listing", listing.id,
                 {"decision": decision, "note": note, "review_id": reviews[0].id, "case_id": listing.case_id,
                  "copies": copies[1:], "platform": listing.platform,
                  "platform_listing_id": listing.platform_listing_id})
    return reviews[0]


def record_case_decision(session: Session, case_id: int, analyst: str, decision: str, note: str = "",
                         bulk: bool = False) -> list[Review]:
    """A decision on a whole case: recorded on every copy (see record_review)."""
    from store.cases import resolve_case

    found = resolve_case(session, case_id)
    if found is None or not found.listings:
        raise ReviewError(f"no case with id {case_id}")
    first = record_review(session, found.listings[0].id, analyst, decision, note, bulk=bulk)
    return list(session.scalars(select(Review).where(Review.created_at == first.created_at,
                                                     Review.analyst == analyst, Review.listing_id.in_(
                                                         [l.id for l in found.listings]))))


_LATEST_CLS = latest_classification_ids()
_LATEST_REV = latest_review_ids()

EXPORT_FIELDS = ("id", "platform", "platform_listing_id", "url", "title", "text", "price", "currency", "location",
                 "language", "seller_platform_id", "seller_name", "phones", "handles", "posted_at", "first_seen",
                 "last_seen", "removed_at", "content_hash", "score", "flagged", "intent", "category",
                 "matched_terms", "model_version", "classified_at", "decision", "reviewed_by", "reviewed_at",
                 "review_note", "case_id", "case_copies", "case_platforms", "case_status", "case_join_reason")


def export_records(session: Session, flagged_only: bool = True, since: dt.date | None = None):
    """Listings with their latest classification and review and their case, as plain dicts (CSV/JSON export).

    Rows come case by case, so every copy of an offer sits next to the others."""
    query = (
        select(Listing, Classification, Review, Seller, Case)
        .select_from(Listing)
        .outerjoin(_LATEST_CLS, _LATEST_CLS.c.listing_id == Listing.id)
        .outerjoin(Classification, Classification.id == _LATEST_CLS.c.max_id)
        .outerjoin(_LATEST_REV, _LATEST_REV.c.listing_id == Listing.id)
        .outerjoin(Review, Review.id == _LATEST_REV.c.max_id)
        .outerjoin(Seller, Seller.id == Listing.seller_id)
        .outerjoin(Case, Case.id == Listing.case_id)
        .order_by(Listing.case_id.is_(None), Listing.case_id, Listing.id)  # the copies of one case sit together
    )
    if flagged_only:
        query = query.where(Classification.flagged.is_(True))
    if since:
        query = query.where(Listing.last_seen >= _day_bounds(since)[0])
    for listing, cls, review, seller, kase in session.execute(query.execution_options(yield_per=500)):
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
            "case_id": listing.case_id, "case_copies": kase.copies if kase else None,
            "case_platforms": kase.platforms.split(",") if kase and kase.platforms else [],
            "case_status": kase.status if kase else None,
            "case_join_reason": (listing.case_reason or {}).get("detail"),
        }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
