"""Crawl health: each source's run history, and alerts when a source is blocked, broken or yields too little."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from store.models import SourceRun

log = logging.getLogger("saigawatch.health")

FINISHED = ("ok", "blocked", "not_configured", "error")
ALERT_KINDS = ("blocked", "not_configured", "error", "zero_yield", "yield_drop", "markup", "missing")


@dataclass
class RunPoint:
    """One source run, as the history shows it."""

    crawl_run_id: int
    started_at: dt.datetime
    status: str
    listings: int
    new: int
    errors: int
    pages: int
    duration_s: float | None
    detail: str | None = None


@dataclass
class HealthAlert:
    source: str
    kind: str  # one of ALERT_KINDS
    message: str
    listings: int | None = None
    average: float | None = None
    # the parts of `message` as data, so a notification can word it in the reader's language
    detail: str | None = None  # the crawler's status detail (blocked, not configured, error)
    reason: str | None = None  # zero_yield: "no_results" (the site found nothing) or "markup" (it may have changed)
    threshold: float | None = None  # yield_drop: the share of the average below which the alert is raised

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SourceHealth:
    """A source's recent history and verdict."""

    source: str
    platform: str
    enabled: bool
    history: list[RunPoint] = field(default_factory=list)  # newest first
    trailing_average: float | None = None
    alerts: list[HealthAlert] = field(default_factory=list)

    @property
    def last(self) -> RunPoint | None:
        return self.history[0] if self.history else None

    @property
    def share(self) -> float | None:
        if self.last is None or not self.trailing_average:
            return None
        return self.last.listings / self.trailing_average

    @property
    def blocks(self) -> int:
        return sum(1 for p in self.history if p.status == "blocked")

    @property
    def state(self) -> str:
        if self.last is None:
            return "no runs"
        return "alert" if self.alerts else "ok"

    def to_dict(self) -> dict[str, Any]:
        last = self.last
        return {
            "source": self.source, "platform": self.platform, "enabled": self.enabled, "state": self.state,
            "last_run_at": last.started_at.isoformat() if last else None,
            "last_status": last.status if last else None,
            "last_listings": last.listings if last else None,
            "trailing_average": round(self.trailing_average, 2) if self.trailing_average is not None else None,
            "share_of_average": round(self.share, 3) if self.share is not None else None,
            "last_errors": last.errors if last else None,
            "blocks_in_history": self.blocks,
            "last_duration_s": last.duration_s if last else None,
            "runs": len(self.history),
            "alerts": [a.to_dict() for a in self.alerts],
            "history": [{**asdict(p), "started_at": p.started_at.isoformat()} for p in self.history],
        }


def _counters(stats: dict[str, Any] | None) -> dict[str, Any]:
    """Scrapy counters of a SourceRun: stats["scrapy"] as the crawler records them, or a flat dict."""
    stats = stats or {}
    scrapy_stats = stats.get("scrapy")
    return scrapy_stats if isinstance(scrapy_stats, dict) else stats


def markup_problems(stats: dict[str, Any] | None, listings_seen: int | None = None) -> dict[str, int]:
    """Counters that signal a markup change: every markup/* and parse/* (rows the parser could not read) above
    zero, and field/<name>/missing when at least
    half of the listings (and at least 3) lack that field — a few ads without a price are normal, all of them are not."""
    out: dict[str, int] = {}
    for key, value in _counters(stats).items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            continue
        if key.startswith(("markup/", "parse/")):
            out[key] = int(value)
        elif key.startswith("field/") and key.endswith("/missing"):
            if listings_seen is None or (value >= 3 and value >= 0.5 * listings_seen):
                out[key] = int(value)
    return out


def _point(row: SourceRun) -> RunPoint:
    duration = None
    if row.finished_at and row.started_at:
        duration = round((row.finished_at - row.started_at).total_seconds(), 1)
    return RunPoint(crawl_run_id=row.crawl_run_id, started_at=row.started_at, status=row.status,
                    listings=row.listings_seen or 0, new=row.listings_new or 0, errors=row.errors_count or 0,
                    pages=row.pages_fetched or 0, duration_s=duration, detail=row.status_detail)


def evaluate(source: str, rows: list[SourceRun], settings: Settings) -> tuple[float | None, list[HealthAlert]]:
    """Trailing average of earlier successful runs and the alerts for the newest run (rows newest first)."""
    cfg = settings.health
    if not rows:
        return None, []
    last, earlier = rows[0], rows[1:]
    ok_earlier = [r.listings_seen or 0 for r in earlier if r.status == "ok"][: cfg.trailing_runs]
    average = sum(ok_earlier) / len(ok_earlier) if ok_earlier else None
    alerts: list[HealthAlert] = []
    detail = f": {last.status_detail}" if last.status_detail else ""
    if last.status == "blocked":
        alerts.append(HealthAlert(source, "blocked", f"blocked by the site{detail}", last.listings_seen, average,
                                  last.status_detail))
    elif last.status == "not_configured":
        alerts.append(HealthAlert(source, "not_configured", f"not configured{detail}", None, average,
                                  last.status_detail))
    elif last.status == "error":
        alerts.append(HealthAlert(source, "error", f"crawl failed{detail}", last.listings_seen, average,
                                  last.status_detail))
    elif last.status == "ok":
        seen = last.listings_seen or 0
        if seen == 0:
            avg_s = f" (trailing average {average:.1f})" if average else ""
            counters = _counters(last.stats)
            if counters.get("search/no_results") and not markup_problems(last.stats):
                reason, why = "no_results", "the site answered 'no results' to every query"
            else:
                reason, why = "markup", "the site's markup may have changed"
            alerts.append(HealthAlert(source, "zero_yield", f"yielded no listings{avg_s}: {why}", 0, average,
                                      reason=reason))
        elif average and len(ok_earlier) >= cfg.min_runs_for_average and seen < cfg.min_share_of_average * average:
            alerts.append(HealthAlert(
                source, "yield_drop",
                f"yielded {seen} listings, {seen / average:.0%} of its trailing average {average:.1f} "
                f"(alert below {cfg.min_share_of_average:.0%})", seen, average,
                threshold=cfg.min_share_of_average))
    problems = {k: v for k, v in markup_problems(last.stats, last.listings_seen).items() if k.startswith("markup/")}
    if problems:
        listed = ", ".join(f"{k}={v}" for k, v in sorted(problems.items()))
        alerts.append(HealthAlert(source, "markup", f"markup problems: {listed}", last.listings_seen, average,
                                  detail=listed))
    return average, alerts


def health_table(session: Session, settings: Settings, runs: int | None = None,
                 sources: list[str] | None = None) -> list[SourceHealth]:
    """Every configured source (and any other with history): its last `runs` finished runs and its alerts.

    This is what `saigawatch health` prints and what the admin page of the review UI shows.
    """
    keep = max(runs or 0, settings.health.trailing_runs * 4 + 1)  # room for blocked/failed runs between ok ones
    configured = {s.name: s for s in settings.sources}
    rows = session.scalars(
        select(SourceRun).where(SourceRun.status.in_(FINISHED)).order_by(SourceRun.started_at.desc(), SourceRun.id.desc())
    ).all()
    by_source: dict[str, list[SourceRun]] = {}
    for row in rows:
        bucket = by_source.setdefault(row.source_name, [])
        if len(bucket) < keep:
            bucket.append(row)
    names = list(configured) + sorted(n for n in by_source if n not in configured)
    table: list[SourceHealth] = []
    for name in names:
        if sources is not None and name not in sources:
            continue
        cfg = configured.get(name)
        history = by_source.get(name, [])
        if cfg is not None and not cfg.enabled and not history:
            continue
        platform = cfg.platform if cfg else (history[0].platform if history else "?")
        average, alerts = evaluate(name, history, settings)
        shown = history[: runs or settings.health.trailing_runs + 1]
        table.append(SourceHealth(name, platform, bool(cfg and cfg.enabled), [_point(r) for r in shown], average, alerts))
    return table


def run_alerts(session: Session, settings: Settings, crawl_run_id: int, expected: list[str] | None) -> list[HealthAlert]:
    """Alerts for the sources of one crawl run, plus sources that were expected but did not run at all."""
    ran = set(session.scalars(select(SourceRun.source_name).where(SourceRun.crawl_run_id == crawl_run_id)))
    alerts: list[HealthAlert] = []
    for row in health_table(session, settings, sources=sorted(ran)):
        if row.last is not None and row.last.crawl_run_id == crawl_run_id:
            alerts.extend(row.alerts)
    for name in expected or []:
        if name not in ran:
            alerts.append(HealthAlert(name, "missing", "did not run in this crawl (no source run was recorded)"))
    return alerts


def health_step(ctx) -> dict[str, Any]:
    """Pipeline step: health alerts for this run's sources (read by the notify step)."""
    crawl = ctx.results.get("crawl")
    expected = None
    if crawl is not None and "error" not in crawl:
        expected = ctx.sources or [s.name for s in ctx.settings.sources if s.enabled]
    with ctx.store.session() as session:
        alerts = run_alerts(session, ctx.settings, ctx.crawl_run_id, expected)
    for alert in alerts:
        log.warning("health: %s: %s", alert.source, alert.message)
    return {"alerts": [a.to_dict() for a in alerts], "alert_count": len(alerts),
            "sources_alerting": sorted({a.source for a in alerts})}
