"""The listing page: highlighted text, score and reasons, dates, versions, photos, captures, evidence, decisions."""
from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from alerts.reports.data import country_of
from alerts.review.appeals import COUNTRIES
from alerts.review.queue import DECISIONS
from alerts.web.auth import ANALYSTS, ApiError, page
from alerts.web.diffs import changed, word_diff
from alerts.web.gloss import glosses_for
from alerts.web.highlight import match_segments
from alerts.web.i18n import gettext_for
from alerts.web.reasons import explain, note_text
from alerts.web.views.account import safe_next
from alerts.web.views.saved_copy import listing_captures, saved_copy_source, screenshot_of
from store.models import (Appeal, Classification, EvidenceBundle, EvidenceCapture, Listing,
                          LivenessCheck, appeal_listings)


def requested_listing(request: Request, db) -> tuple[Listing, Classification | None]:
    """The listing named by the URL's listing_id and its newest classification; a 404 if there is no such listing."""
    listing = db.get(Listing, request.path_params["listing_id"])
    if listing is None:
        raise ApiError(404, "not_found", f"no listing with id {request.path_params['listing_id']}")
    return listing, (listing.classifications[-1] if listing.classifications else None)


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
    settings = request.app.state.settings
    _ = gettext_for(request.state.lang)
    captures = listing_captures(db, listing)
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
    explanation = classification.explanation if classification else {}
    appeal_bundles = bundle_choices(db, settings, bundles, listing)
    return request.app.state.render(request, "listing.html", {
        "listing": listing, "classification": classification, "title_segments": title_segments,
        "text_segments": text_segments, "skipped_matches": title_skipped + text_skipped, "stale": stale,
        "reasons": explain(explanation, _), "note": note_text(explanation, classification.category if
                                                                   classification else None, _),
        "glosses": glosses_for([listing.title or "", listing.text or ""],
                               list(classification.matched_terms or []) if classification else [],
                               request.state.lang),
        "screenshot": screenshot_of(db, settings, listing.id),
        "saved_copy": saved_copy_source(db, settings, listing),
        "appeal_country": appeal_country(settings, listing), "appeal_bundles": appeal_bundles,
        "appeal_bundle_id": next((b["id"] for b in appeal_bundles if b["only_this"]), None),
        "history": version_history(listing), "captures": captures, "evidence": evidence, "liveness": liveness,
        "bundles": bundles, "appeals": appeals, "reviews": list(reversed(listing.reviews)),
        "decisions": DECISIONS, "other_by_seller": other_by_seller,
        "images": listing.images, "back": safe_next(request.query_params.get("back"), "/queue"),
        "title": listing.title or listing.platform_listing_id, "is_admin": request.state.user.role == "admin",
        "evidence_available": request.app.state.evidence_exporter() is not None,
    })


def appeal_country(settings, listing: Listing) -> str:
    """The appeal's default country: the listing source's country when appeals go there, else the configured one."""
    country = country_of(listing, settings)
    return country if country in COUNTRIES else settings.evidence.default_country


def bundle_choices(db, settings, bundles: list[EvidenceBundle], listing: Listing) -> list[dict]:
    """Bundles holding this listing, for the appeal form: which hold it alone, which mix countries."""
    out = []
    for b in bundles:
        ids = list(b.listing_ids or [])
        countries = sorted({country_of(x, settings) for x in db.scalars(select(Listing).where(Listing.id.in_(ids)))})
        out.append({"id": b.id, "case_name": b.case_name, "created_at": b.created_at, "size": len(ids),
                    "only_this": ids == [listing.id], "countries": countries, "mixed": len(countries) > 1})
    return out
