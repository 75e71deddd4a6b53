"""SQLAlchemy 2 models: the one schema every stage reads and writes."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Timezone-aware UTC now: the only clock the store uses."""
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store timestamps in UTC with a zone")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Source(Base):
    """A crawl source: platform plus a query, channel or community (mirrors config `sources`)."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32), default="search")
    target: Mapped[str] = mapped_column(Text, default="")  # queries or channels, joined for display
    language: Mapped[str | None] = mapped_column(String(8))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CrawlRun(Base):
    """One crawl (or run-daily) execution with per-source stats and errors."""

    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|finished|failed|interrupted
    trigger: Mapped[str] = mapped_column(String(16), default="manual")  # manual|daily|cron|test
    run_day: Mapped[str | None] = mapped_column(String(10))  # YYYY-MM-DD for run-daily idempotency
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {source_name: {...}}
    errors: Mapped[list[Any]] = mapped_column(default=list)
    source_runs: Mapped[list["SourceRun"]] = relationship(back_populates="crawl_run", cascade="all, delete-orphan")


class SourceRun(Base):
    """One source within one crawl run: the history behind crawl-health checks."""

    __tablename__ = "source_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    source_name: Mapped[str] = mapped_column(String(120), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|ok|blocked|not_configured|error
    status_detail: Mapped[str | None] = mapped_column(Text)
    pages_fetched: Mapped[int] = mapped_column(Integer, default=0)
    listings_seen: Mapped[int] = mapped_column(Integer, default=0)
    listings_new: Mapped[int] = mapped_column(Integer, default=0)
    listings_changed: Mapped[int] = mapped_column(Integer, default=0)
    errors_count: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    crawl_run: Mapped[CrawlRun] = relationship(back_populates="source_runs")


class Seller(Base):
    """A seller or post author on one platform; phones in E.164, handles like @name."""

    __tablename__ = "sellers"
    __table_args__ = (UniqueConstraint("platform", "platform_seller_id", name="uq_sellers_platform_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    platform_seller_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    phones: Mapped[list[Any]] = mapped_column(default=list)
    handles: Mapped[list[Any]] = mapped_column(default=list)
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    listings: Mapped[list["Listing"]] = relationship(back_populates="seller")


class Listing(Base):
    """An ad or post, unique by (platform, platform_listing_id)."""

    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("platform", "platform_listing_id", name="uq_listings_platform_id"),
        Index("ix_listings_last_seen", "last_seen"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    platform_listing_id: Mapped[str] = mapped_column(String(200))
    source_name: Mapped[str | None] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    ocr_text: Mapped[str | None] = mapped_column(Text)
    price: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(8))
    price_text: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    # why it joined its case: {"kind": text|photo|phone|handle|first|split|merge, "detail", "listing_id", "similarity"}
    case_reason: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    phones: Mapped[list[Any]] = mapped_column(default=list)  # E.164 numbers found in this listing
    handles: Mapped[list[Any]] = mapped_column(default=list)
    posted_at: Mapped[dt.datetime | None]
    refreshed_at: Mapped[dt.datetime | None]
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_checked_at: Mapped[dt.datetime | None]
    removed_at: Mapped[dt.datetime | None]
    content_hash: Mapped[str] = mapped_column(String(80))  # sha256:<hex> of title+text+price
    card_hash: Mapped[str | None] = mapped_column(String(80))  # sha256 of search-card data (incremental crawls)
    language: Mapped[str | None] = mapped_column(String(8))
    search_url: Mapped[str | None] = mapped_column(Text)  # the search/channel page that surfaced it
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)  # views, edited, forwarded_from, params...
    # Auction lots: bidding end, bids so far, and when the lot was seen ended (ended is not removed: the page stays)
    ends_at: Mapped[dt.datetime | None]
    bids_count: Mapped[int | None] = mapped_column(Integer)
    ended_at: Mapped[dt.datetime | None]
    seller: Mapped[Seller | None] = relationship(back_populates="listings")
    case: Mapped["Case | None"] = relationship(back_populates="listings", foreign_keys=[case_id])
    versions: Mapped[list["ListingVersion"]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="ListingVersion.id"
    )
    images: Mapped[list["Image"]] = relationship(back_populates="listing", cascade="all, delete-orphan")
    classifications: Mapped[list["Classification"]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="Classification.id"
    )
    reviews: Mapped[list["Review"]] = relationship(back_populates="listing", order_by="Review.id")


class Case(Base):
    """One offer: every copy of it (reposts, other platforms, other accounts) grouped, with a summary for the queue.

    The summary columns (copies, best score, status, first/last seen...) are kept up to date by store.cases
    whenever a member, a classification or a review changes, so the queue pages by an index, never sorts all.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_queue", "flagged", "best_score", "last_seen", "id"),
        Index("ix_cases_status", "flagged", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    first_seen: Mapped[dt.datetime | None]
    last_seen: Mapped[dt.datetime | None]
    copies: Mapped[int] = mapped_column(Integer, default=0)
    platforms: Mapped[str] = mapped_column(Text, default="")  # "olx,telegram"
    sellers: Mapped[int] = mapped_column(Integer, default=0)  # distinct seller accounts
    best_listing_id: Mapped[int | None] = mapped_column(Integer)
    best_score: Mapped[float] = mapped_column(Float, default=-1.0)  # -1: nothing classified yet
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)  # some copy's latest classification is flagged
    flagged_at: Mapped[dt.datetime | None]  # newest flagged classification among the copies
    status: Mapped[str] = mapped_column(String(16), default="unreviewed")  # newest decision on any copy
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime | None]
    language: Mapped[str | None] = mapped_column(String(8))  # of the best copy
    intent: Mapped[str | None] = mapped_column(String(16))  # of the best copy
    manual: Mapped[bool] = mapped_column(Boolean, default=False)  # an analyst split or merged it
    merged_into_id: Mapped[int | None] = mapped_column(Integer)  # set when merged away (old links follow it)
    listings: Mapped[list["Listing"]] = relationship(back_populates="case", foreign_keys="Listing.case_id",
                                                     order_by="Listing.id")


class GroupingKey(Base):
    """An index entry that finds a listing's possible copies: a MinHash LSH band, a photo hash band or a contact."""

    __tablename__ = "grouping_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120), index=True)  # "t3:9f2c...", "p1:a3f0", "phone:+7702..."
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)


class ListingFingerprint(Base):
    """What grouping computed for a listing: its MinHash signature, the content it was computed on, any error."""

    __tablename__ = "listing_fingerprints"
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(80))
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)  # uint32 LE per permutation: word pairs, then bag of words
    grouped_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    error: Mapped[str | None] = mapped_column(Text)


class ListingVersion(Base):
    """A snapshot of a listing's content, one per content change."""

    __tablename__ = "listing_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(8))
    location: Mapped[str | None] = mapped_column(Text)
    bids_count: Mapped[int | None] = mapped_column(Integer)  # auction lots: a new bid is a new version
    listing: Mapped[Listing] = relationship(back_populates="versions")


class Image(Base):
    """A listing photo: where it came from, where it is stored, and its hashes."""

    __tablename__ = "images"
    __table_args__ = (UniqueConstraint("listing_id", "url", name="uq_images_listing_url"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(80), index=True)  # sha256:<hex>
    phash: Mapped[str | None] = mapped_column(String(32), index=True)
    path: Mapped[str | None] = mapped_column(Text)  # relative to storage.data_dir
    width: Mapped[int | None]
    height: Mapped[int | None]
    ocr_text: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    listing: Mapped[Listing] = relationship(back_populates="images")


class Capture(Base):
    """A raw HTTP response kept in a WARC file (path relative to data_dir, plus offset)."""

    __tablename__ = "captures"
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"), index=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="page")  # page|search|image|api|liveness
    url: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None]
    content_type: Mapped[str | None] = mapped_column(String(200))
    warc_path: Mapped[str] = mapped_column(Text)
    warc_offset: Mapped[int] = mapped_column(BigInteger)
    warc_length: Mapped[int] = mapped_column(BigInteger)
    warc_record_id: Mapped[str | None] = mapped_column(String(80))
    sha256: Mapped[str] = mapped_column(String(80))  # sha256:<hex> of the response body
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Classification(Base):
    """The classifier's verdict on one content version of a listing."""

    __tablename__ = "classifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(80))
    model_version: Mapped[str] = mapped_column(String(80))
    score: Mapped[float] = mapped_column(Float, index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    intent: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    matched_terms: Mapped[list[Any]] = mapped_column(default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    listing: Mapped[Listing] = relationship(back_populates="classifications")


class User(Base):
    """A review-UI account: analyst, admin or viewer."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16), default="analyst")  # analyst|admin|viewer
    language: Mapped[str] = mapped_column(String(8), default="ru")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Review(Base):
    """An analyst's decision on a listing."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    analyst: Mapped[str] = mapped_column(String(80))
    decision: Mapped[str] = mapped_column(String(16))  # sale|buy|not_trade|unsure
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    listing: Mapped[Listing] = relationship(back_populates="reviews")


class AuditEvent(Base):
    """Who did what, when: every decision, export and account change (append-only, hash-chained)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)  # the server's clock, never a user's
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    happened_at: Mapped[dt.datetime | None]  # when the user says it happened (e.g. a backdated appeal step)
    prev_hash: Mapped[str | None] = mapped_column(String(80), unique=True)  # the entry before's hash
    entry_hash: Mapped[str | None] = mapped_column(String(80))  # sha256 over this entry and prev_hash


class EvidenceCapture(Base):
    """One run of the capture chain for a listing (browser capture, context, environment, signature)."""

    __tablename__ = "evidence_captures"
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    directory: Mapped[str] = mapped_column(Text)  # relative to data_dir
    content_hash: Mapped[str | None] = mapped_column(String(80))  # listing content captured
    steps: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {step: {status, error, files}}
    manifest_sha256: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(20), default="flagged")  # flagged|changed|manual


class LivenessCheck(Base):
    """A daily re-check of a flagged or confirmed listing."""

    __tablename__ = "liveness_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    online: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None]
    content_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[str | None] = mapped_column(Text)


class CustodyEvent(Base):
    """One link of a listing's hash-chained custody log (captured, reviewed, exported, handed over)."""

    __tablename__ = "custody_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str | None] = mapped_column(String(80))
    entry_hash: Mapped[str] = mapped_column(String(80))
    signature: Mapped[str | None] = mapped_column(Text)  # "<key fingerprint> <base64 signature over entry_hash>"


class CustodySigning(Base):
    """One row: when this database began signing custody entries (migration 0007). Entries dated before it may be
    unsigned (written before migration 0004); any unsigned entry dated after it is refused as forged."""

    __tablename__ = "custody_signing"
    id: Mapped[int] = mapped_column(primary_key=True)
    introduced_at: Mapped[dt.datetime]


class EvidenceBundle(Base):
    """An exported case ZIP."""

    __tablename__ = "evidence_bundles"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(80))
    listing_ids: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(8), default="ru")


appeal_listings = Table(
    "appeal_listings",
    Base.metadata,
    Column("appeal_id", ForeignKey("appeals.id", ondelete="CASCADE"), primary_key=True),
    Column("listing_id", ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True),
)


class Appeal(Base):
    """A police appeal and its life: draft → submitted → registered → refused | case_opened → court → closed."""

    __tablename__ = "appeals"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="KZ")
    authority: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    registration_number: Mapped[str | None] = mapped_column(String(80))  # КУСП / ЕРДР
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    registered_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    bundle_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_bundles.id", ondelete="SET NULL"))
    history: Mapped[list[Any]] = mapped_column(default=list)  # [{at, status, actor, note}]
    listings: Mapped[list[Listing]] = relationship(secondary=appeal_listings)


class WebSession(Base):
    """A logged-in review-UI session kept on the server: the cookie holds a random token, this row its sha256."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(80), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
    client: Mapped[str | None] = mapped_column(String(80))  # the address that logged in


class WorkOwed(Base):
    """Work a run still owes, kept in the database so the next run does it after a crash.

    kind "photos": a stored listing whose photos are not all fetched yet; "notify": a newly flagged listing
    not yet in any sent digest; "capture": an evidence capture begun in `detail` (a directory under data_dir)
    by `owner` (host:pid) and not finished.
    """

    __tablename__ = "work_owed"
    __table_args__ = (UniqueConstraint("kind", "listing_id", "detail", name="uq_work_owed_kind_listing_detail"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    detail: Mapped[str] = mapped_column(String(400), default="")
    owner: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
