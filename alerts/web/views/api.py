"""A small JSON API over the queue of cases and listings (same sessions and roles as the pages)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from alerts.review.queue import QueueFilterError, QueueFilters, flagged_queue
from alerts.web.auth import ANALYSTS, ApiError, page
from alerts.web.views.listing import requested_listing
from store.models import Listing
from store.queries import language_of


def _item(listing: Listing, classification, status: str | None = None) -> dict:
    return {
        "id": listing.id, "platform": listing.platform, "platform_listing_id": listing.platform_listing_id,
        "url": listing.url, "title": listing.title, "price": listing.price, "currency": listing.currency,
        "location": listing.location, "language": language_of(listing, classification),
        "first_seen": listing.first_seen.isoformat(), "last_seen": listing.last_seen.isoformat(),
        "removed_at": listing.removed_at.isoformat() if listing.removed_at else None,
        "ended_at": listing.ended_at.isoformat() if listing.ended_at else None,  # an auction lot whose bidding is over
        "score": classification.score if classification else None,
        "intent": classification.intent if classification else None,
        "matched_terms": list(classification.matched_terms or []) if classification else [],
        "status": status,
    }


@page(roles=ANALYSTS)
def api_queue(request: Request, db) -> Response:
    try:
        filters = QueueFilters.from_params(dict(request.query_params))
        page_no = int(request.query_params.get("page", "1"))
    except QueueFilterError as exc:
        raise ApiError(422, "invalid_filter", str(exc)) from None
    except ValueError:
        raise ApiError(422, "invalid_filter", "page: expected a whole number") from None
    settings = request.app.state.settings
    result = flagged_queue(db, filters=filters, page=page_no, page_size=settings.web.page_size,
                           timezone=settings.web.timezone)
    return JSONResponse({
        "day": result.day.isoformat(), "page": result.page, "pages": result.pages, "total": result.total,
        "counts": result.counts,
        "items": [_case_item(i) for i in result.items],
    })


def _case_item(item) -> dict:
    """One queue row as JSON: the case (copies, platforms, sellers, first/last seen) and its best copy."""
    data = _item(item.listing, item.classification, item.status)
    c = item.case
    data["case"] = {
        "id": c.id, "copies": c.copies, "platforms": c.platforms.split(",") if c.platforms else [],
        "sellers": item.seller_names, "best_score": c.best_score, "status": c.status,
        "first_seen": c.first_seen.isoformat() if c.first_seen else None,
        "last_seen": c.last_seen.isoformat() if c.last_seen else None,
    } if c is not None else None
    data["copies"] = [{"id": l.id, "platform": l.platform, "platform_listing_id": l.platform_listing_id,
                       "url": l.url, "title": l.title, "first_seen": l.first_seen.isoformat(),
                       "joined_because": (l.case_reason or {}).get("detail")} for l in item.copies]
    return data


@page(roles=ANALYSTS)
def api_listing(request: Request, db) -> Response:
    listing, classification = requested_listing(request, db)
    data = _item(listing, classification, listing.reviews[-1].decision if listing.reviews else "unreviewed")
    data["text"] = listing.text
    data["reviews"] = [{"decision": r.decision, "analyst": r.analyst, "note": r.note,
                        "created_at": r.created_at.isoformat()} for r in listing.reviews]
    return JSONResponse({"listing": data})
