"""The listing page: highlighted text, score and reasons, dates, versions, photos, captures, evidence, decisions."""
from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from alerts.review.queue import DECISIONS
from alerts.web.auth import ANALYSTS, ApiError, page
from alerts.web.diffs import changed, word_diff
from alerts.web.highlight import match_segments
from alerts.web.views.account import safe_next
from store.models import (Appeal, Capture, Classification, EvidenceBundle, EvidenceCapture, Listing,
                          LivenessCheck, appeal_listings)


def requested_listing(request: Request, db) -> tuple[Listing, Classification | None]:
    """The listing named by the URL's listing_id and its newest classification; a 404 if there is no such listing."""
    listing = db.get(Listing, request.path_params["listing_id"])
    if listing is None:
        raise ApiError(404, "not_found", f"no listing with id {request.path_params['listing_id']}")
    return listing, (listing.classifications[-1] if listing.classifications else None)


def reasons_of(explanation: dict) -> list[str]:
    """Human-readable reasons from a classification's explanation (whatever shape the classifier gives)."""
    out = []
    raw = explanation.get("reasons") if isinstance(explanation, dict) else None
    for r in raw or []:
        if isinstance(r, str):
            out.append(r)
        elif isinstance(r, dict):
            text = r.get("text") or r.get("reason") or r.get("rule") or ", ".join(f"{k}: {v}" for k, v in r.items())
            weight = r.get("weight")
            out.append(f"{text} ({weight:+.2f})" if isinstance(weight, (int, float)) else str(text))
    return out


def version_history(listing: Listing) -> list[dict]:
    """Versions newest first, each with word diffs of title and text against the one before."""
    history, previous = [], None
    for version in listing.versions:
        entry = {"version": version, "title_diff": None, "text_diff": None, "price_changed": False,
                 "location_changed": False, "previous": previous}
        if previous is not None:
            if changed(previous.title, version.title):
                entry["title_diff"] = word_diff(previous.title, version.title)
            if changed(previous.text, version.text):
                entry["text_diff"] = word_diff(previous.text, version.text)
            entry["price_changed"] = (previous.price, previous.currency) != (version.price, version.currency)
            entry["location_changed"] = changed(previous.location, version.location)
        history.append(entry)
        previous = version
    return list(reversed(history))


@page(roles=ANALYSTS)
def listing_page(request: Request, db) -> Response:
    listing, classification = requested_listing(request, db)
    matches = (classification.explanation or {}).get("matches", []) if classification else []
    title_segments, title_skipped = match_segments(listing.title, matches, "title")
    text_segments, text_skipped = match_segments(listing.text, matches, "text")
    stale = bool(classification and classification.content_hash != listing.content_hash)
    captures = list(db.scalars(select(Capture).where(Capture.listing_id == listing.id).order_by(Capture.fetched_at.desc())))
    evidence = list(db.scalars(select(EvidenceCapture).where(EvidenceCapture.listing_id == listing.id)
                               .order_by(EvidenceCapture.started_at.desc())))
    liveness = list(db.scalars(select(LivenessCheck).where(LivenessCheck.listing_id == listing.id)
                               .order_by(LivenessCheck.checked_at.desc()).limit(10)))
    bundles = [b for b in db.scalars(select(EvidenceBundle).order_by(EvidenceBundle.created_at.desc()).limit(500))
               if listing.id in (b.listing_ids or [])]
    appeals = list(db.scalars(select(Appeal).join(appeal_listings, appeal_listings.c.appeal_id == Appeal.id)
                              .where(appeal_listings.c.listing_id == listing.id)))
    other_by_seller = 0
    if listing.seller_id:
        from sqlalchemy import func
        other_by_seller = db.scalar(select(func.count()).select_from(Listing).where(
            Listing.seller_id == listing.seller_id, Listing.id != listing.id)) or 0
    return request.app.state.render(request, "listing.html", {
        "listing": listing, "classification": classification, "title_segments": title_segments,
        "text_segments": text_segments, "skipped_matches": title_skipped + text_skipped, "stale": stale,
        "reasons": reasons_of(classification.explanation if classification else {}),
        "history": version_history(listing), "captures": captures, "evidence": evidence, "liveness": liveness,
        "bundles": bundles, "appeals": appeals, "reviews": list(reversed(listing.reviews)),
        "decisions": DECISIONS, "other_by_seller": other_by_seller,
        "images": listing.images, "back": safe_next(request.query_params.get("back"), "/queue"),
        "title": listing.title or listing.platform_listing_id,
        "evidence_available": request.app.state.evidence_exporter() is not None,
    })
