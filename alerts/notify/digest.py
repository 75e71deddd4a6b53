"""Collect what a run's digest says: new flagged listings, confirmed cases, blocked sources, markup and yield alerts."""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.money import price_label
from alerts.notify.wording import SOURCE_STATES, gettext_for, health_text
from config import Settings
from crawler.health import markup_problems, run_alerts
from store.models import Classification, CrawlRun, Listing, Review, SourceRun
from store.queries import CONFIRMED_DECISIONS, latest_classifications
from store.work import NOTIFY, owed_listing_ids


def review_base_url(settings: Settings) -> str:
    """The review UI's address for links: web.public_url, else http://host:port."""
    if settings.web.public_url:
        return settings.web.public_url.rstrip("/")
    host = settings.web.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://{host}:{settings.web.port}"


def listing_link(settings: Settings, listing_id: int) -> str:
    """Link to one listing's page in the review UI."""
    return f"{review_base_url(settings)}/listings/{listing_id}"


@dataclass
class DigestItem:
    listing_id: int
    platform: str
    title: str
    price: str
    score: float | None
    intent: str | None
    review_url: str
    source_url: str
    copies: int = 1  # listings of the same case (reposts, other platforms) behind this item


@dataclass
class SourceProblem:
    source: str
    kind: str  # blocked | not_configured | error | markup | zero_yield | yield_drop | missing
    message: str  # in the digest's language


@dataclass
class Digest:
    """Everything one notification says, independent of the channel that carries it."""

    run_id: int
    run_day: str
    generated_at: str
    review_url: str
    language: str = "ru"  # notify.language: the words of every rendering (codes and data stay as stored)
    flagged_count: int = 0  # new flagged offers (cases); their copies are in flagged_copies
    flagged_copies: int = 0
    flagged: list[DigestItem] = field(default_factory=list)  # the top items, highest score first
    confirmed_count: int = 0
    confirmed: list[DigestItem] = field(default_factory=list)
    blocked: list[SourceProblem] = field(default_factory=list)  # blocked or not configured
    markup: list[SourceProblem] = field(default_factory=list)
    health: list[SourceProblem] = field(default_factory=list)  # yield dropped / zero / failed / missing
    failed_steps: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def alert_count(self) -> int:
        return len(self.blocked) + len(self.markup) + len(self.health) + len(self.failed_steps)

    @property
    def is_empty(self) -> bool:
        return not (self.flagged_count or self.confirmed_count or self.alert_count)

    def subject(self, prefix: str = "[SaigaWatch]") -> str:
        _ = gettext_for(self.language)
        parts = [_.n("{n} listing to review", "{n} listings to review", self.flagged_count)]
        if self.confirmed_count:
            parts.append(_.n("{n} confirmed case", "{n} confirmed cases", self.confirmed_count))
        if self.alert_count:
            parts.append(_.n("{n} alert", "{n} alerts", self.alert_count))
        return f"{prefix} {self.run_day}: {', '.join(parts)}".strip()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(alert_count=self.alert_count, subject=self.subject(""), type="saigawatch.digest", version=1)
        return data


def _item(settings: Settings, listing: Listing, cls: Classification | None, copies: int = 1) -> DigestItem:
    return DigestItem(
        listing_id=listing.id, platform=listing.platform, title=(listing.title or listing.text or "")[:160].strip(),
        price=price_label(listing), score=round(cls.score, 3) if cls else None, intent=cls.intent if cls else None,
        review_url=listing_link(settings, listing.id), source_url=listing.url, copies=copies,
    )


def _one_per_case(listings: list[Listing]) -> list[tuple[Listing, int]]:
    """The first listing of each case (in the given order) and how many of the given listings share its case."""
    first: dict[int, Listing] = {}
    count: dict[int, int] = {}
    for listing in listings:
        key = listing.case_id if listing.case_id is not None else -listing.id
        first.setdefault(key, listing)
        count[key] = count.get(key, 0) + 1
    return [(first[k], count[k]) for k in first]


def _chunks(ids: list[int], size: int = 500):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _listings(session: Session, ids: list[int]) -> dict[int, Listing]:
    out: dict[int, Listing] = {}
    for chunk in _chunks(list(ids)):
        out.update({l.id: l for l in session.scalars(select(Listing).where(Listing.id.in_(chunk)))})
    return out


def flagged_to_notify(session: Session, results: dict[str, Any]) -> list[int]:
    """Newly flagged listings not yet in a sent digest (owed in the database, so a run killed before notifying
    leaves them for the next one), plus any the classify step of this run lists."""
    ids = set(owed_listing_ids(session, NOTIFY))
    ids |= {int(i) for i in ((results.get("classify") or {}).get("flagged_listing_ids") or [])}
    return sorted(ids)


def _since_previous_run(session: Session, run: CrawlRun) -> dt.datetime:
    """Start of the previous run of the same kind (a manual `crawl` in between does not count), else a day ago."""
    previous = session.scalars(select(CrawlRun).where(CrawlRun.id < run.id, CrawlRun.status != "running",
                                                      CrawlRun.trigger == run.trigger)
                               .order_by(CrawlRun.id.desc()).limit(1)).first()
    return previous.started_at if previous else run.started_at - dt.timedelta(days=1)


def build_digest(session: Session, settings: Settings, crawl_run_id: int, results: dict[str, Any] | None = None,
                 now: dt.datetime | None = None) -> Digest:
    """Read the run, its source runs and the earlier steps' results into a Digest."""
    results = results or {}
    now = now or dt.datetime.now(dt.timezone.utc)
    run = session.get(CrawlRun, crawl_run_id)
    if run is None:
        raise ValueError(f"crawl run {crawl_run_id} does not exist")
    top = settings.notify.top_items
    digest = Digest(run_id=run.id, run_day=run.run_day or run.started_at.date().isoformat(),
                    generated_at=now.isoformat(timespec="seconds"), review_url=review_base_url(settings),
                    language=settings.notify.language)
    _ = gettext_for(digest.language)

    flagged_ids = flagged_to_notify(session, results)
    verdicts = latest_classifications(session, flagged_ids)
    listings = [l for l in _listings(session, flagged_ids).values() if l.id not in verdicts or verdicts[l.id].flagged]
    listings = sorted(listings, key=lambda l: (-(verdicts[l.id].score if l.id in verdicts else 0), l.id))
    offers = _one_per_case(listings)
    digest.flagged_count = len(offers)
    digest.flagged_copies = len(listings)
    digest.flagged = [_item(settings, l, verdicts.get(l.id), n) for l, n in offers[:top]]

    since = _since_previous_run(session, run)
    reviews = session.scalars(select(Review).where(Review.created_at >= since, Review.decision.in_(CONFIRMED_DECISIONS))
                              .order_by(Review.created_at.desc())).all()
    confirmed_ids = list(dict.fromkeys(r.listing_id for r in reviews))
    confirmed_verdicts = latest_classifications(session, confirmed_ids)
    confirmed = _listings(session, confirmed_ids)
    confirmed_offers = _one_per_case([confirmed[i] for i in confirmed_ids if i in confirmed])
    digest.confirmed_count = len(confirmed_offers)
    digest.confirmed = [_item(settings, l, confirmed_verdicts.get(l.id), n) for l, n in confirmed_offers[:top]]

    source_runs = session.scalars(select(SourceRun).where(SourceRun.crawl_run_id == run.id).order_by(SourceRun.source_name)).all()
    digest.totals = {
        "sources": len(source_runs),
        "pages_fetched": sum(r.pages_fetched or 0 for r in source_runs),
        "listings_seen": sum(r.listings_seen or 0 for r in source_runs),
        "listings_new": sum(r.listings_new or 0 for r in source_runs),
        "listings_changed": sum(r.listings_changed or 0 for r in source_runs),
        "errors": sum(r.errors_count or 0 for r in source_runs),
    }
    for r in source_runs:
        if r.status in ("blocked", "not_configured"):
            label = _(SOURCE_STATES[r.status])
            digest.blocked.append(SourceProblem(r.source_name, r.status,
                                                f"{label}{': ' + r.status_detail if r.status_detail else ''}"))
        problems = markup_problems(r.stats, r.listings_seen)
        if problems:
            listed = ", ".join(f"{k}={v}" for k, v in sorted(problems.items()))
            digest.markup.append(SourceProblem(r.source_name, "markup", f"{_('the markup has changed')}: {listed}"))

    health = results.get("health")
    if health is not None and "alerts" in health:
        alerts = health["alerts"]
    else:
        alerts = [a.to_dict() for a in run_alerts(session, settings, run.id, None)]
    for alert in alerts:
        if alert["kind"] in ("blocked", "not_configured", "markup"):
            continue  # already listed from the source runs themselves
        digest.health.append(SourceProblem(alert["source"], alert["kind"], health_text(alert, _)))

    digest.failed_steps = sorted(name for name, res in results.items()
                                 if isinstance(res, dict) and "error" in res and name != "notify")
    return digest
