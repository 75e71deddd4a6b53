"""Statistics for the review UI: flagged and confirmed listings per week, platform and language; appeals."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Appeal, Classification, Listing
from store.queries import CONFIRMED_DECISIONS, is_confirmed, language_column, latest_classification_ids, latest_reviews


@dataclass
class Statistics:
    weeks: list[tuple[str, list[float]]]  # (the week's Monday "16.11", [flagged, confirmed])
    platforms: list[tuple[str, list[float]]]
    languages: list[tuple[str, list[float]]]
    decisions: dict[str, int]
    appeals_by_status: dict[str, int]
    appeal_outcomes: dict[str, int]
    totals: dict[str, int]


def _week(value: dt.datetime) -> str:
    """The week's Monday as DD.MM (what the chart shows under each column)."""
    monday = value.date() - dt.timedelta(days=value.weekday())
    return monday.strftime("%d.%m")


def collect(session: Session, weeks: int = 12, now: dt.datetime | None = None) -> Statistics:
    """Counts over every listing ever flagged, plus appeals; `weeks` most recent weeks for the weekly chart."""
    now = now or dt.datetime.now(dt.timezone.utc)
    first_flagged = dict(session.execute(
        select(Classification.listing_id, func.min(Classification.created_at))
        .where(Classification.flagged.is_(True)).group_by(Classification.listing_id)).all())
    latest = {lid: (r.decision, r.created_at) for lid, r in latest_reviews(session).items()}
    meta = {}
    latest_cls = latest_classification_ids(first_flagged)
    if first_flagged:  # the language rule of the queue and the API: the classifier's, else the crawler's
        meta = {lid: (platform, lang) for lid, platform, lang in session.execute(
            select(Listing.id, Listing.platform, language_column()).select_from(Listing)
            .outerjoin(latest_cls, latest_cls.c.listing_id == Listing.id)
            .outerjoin(Classification, Classification.id == latest_cls.c.max_id)
            .where(Listing.id.in_(list(first_flagged))))}

    week_keys = [_week(now - dt.timedelta(weeks=i)) for i in reversed(range(weeks))]
    flagged_w, confirmed_w = Counter(), Counter()
    flagged_p, confirmed_p, flagged_l, confirmed_l = Counter(), Counter(), Counter(), Counter()
    for lid, at in first_flagged.items():
        flagged_w[_week(at)] += 1
        platform, lang = meta.get(lid, ("?", None))
        flagged_p[platform] += 1
        flagged_l[lang or "?"] += 1
    decisions = Counter()
    for lid, (decision, at) in latest.items():
        decisions[decision] += 1
        if is_confirmed(decision):
            confirmed_w[_week(at)] += 1
            platform, lang = meta.get(lid, ("?", None))
            confirmed_p[platform] += 1
            confirmed_l[lang or "?"] += 1

    def pairs(flagged: Counter, confirmed: Counter) -> list[tuple[str, list[float]]]:
        keys = sorted(set(flagged) | set(confirmed), key=lambda k: (-flagged[k], k))
        return [(k, [flagged[k], confirmed[k]]) for k in keys]

    appeals = list(session.execute(select(Appeal.status, Appeal.outcome)))
    return Statistics(
        weeks=[(k, [flagged_w[k], confirmed_w[k]]) for k in week_keys],
        platforms=pairs(flagged_p, confirmed_p),
        languages=pairs(flagged_l, confirmed_l),
        decisions=dict(decisions),
        appeals_by_status=dict(Counter(status for status, _ in appeals)),
        appeal_outcomes=dict(Counter((outcome or "").strip() for status, outcome in appeals if (outcome or "").strip())),
        totals={"flagged": len(first_flagged), "reviewed": len(latest),
                "confirmed": sum(decisions[d] for d in CONFIRMED_DECISIONS), "appeals": len(appeals)},
    )
