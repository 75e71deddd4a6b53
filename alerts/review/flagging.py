"""Classify new or changed listings into Classification rows; surface uncertain items; turn reviews into training data."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from store.models import Classification, Listing, Review
from store.queries import is_confirmed, latest_classifications, latest_reviews
from store.work import NOTIFY, owe

log = logging.getLogger("saigawatch.flagging")
OCR_SEPARATOR = "\n\n"
MAX_ERROR_MESSAGES = 20


def listing_input(listing: Listing) -> tuple[dict[str, Any], int | None]:
    """The classifier input for a listing (title, text and any OCR text appended) and where the OCR part starts."""
    text = listing.text or ""
    # Listing.ocr_text already joins its photos' text; the photos are read only when it is empty.
    ocr_parts = [listing.ocr_text] if (listing.ocr_text or "").strip() else [img.ocr_text for img in (listing.images or [])]
    ocr = "\n".join(p.strip() for p in ocr_parts if p and p.strip())
    ocr_start = None
    if ocr:
        ocr_start = len(text) + len(OCR_SEPARATOR)
        text = text + OCR_SEPARATOR + ocr
    return {"text": text, "title": listing.title or None, "lang": None}, ocr_start


def _relabel_ocr(explanation: dict, ocr_start: int | None) -> dict:
    """Matches found in the appended OCR text point into the OCR text, with field 'ocr'."""
    if ocr_start is None:
        return explanation
    for m in explanation.get("matches", []):
        if m.get("field") == "text" and m["start"] >= ocr_start:
            m["field"] = "ocr"
            m["start"] -= ocr_start
            m["end"] -= ocr_start
    return explanation


def listings_to_classify(session: Session, model_version: str) -> list[int]:
    """Ids of listings never classified, changed since (content hash), or classified by another model version."""
    latest = {lid: (c.content_hash, c.model_version) for lid, c in latest_classifications(session).items()}
    rows = session.execute(select(Listing.id, Listing.content_hash).order_by(Listing.id)).all()
    return [lid for lid, chash in rows if latest.get(lid) != (chash, model_version)]


def classify_step(ctx) -> dict[str, Any]:
    """Pipeline step: classify new/changed listings and write Classification rows (one bad listing never stops it)."""
    from classifiers import classifier_from_settings

    settings = ctx.settings
    clf = classifier_from_settings(settings.classifier, settings.config_dir)
    batch_size = settings.classifier.batch_size
    stats: dict[str, Any] = {"model_version": clf.version, "threshold": clf.threshold, "classified": 0, "flagged": 0,
                             "flagged_listing_ids": [], "low_priority_ids": [], "errors": 0, "error_messages": []}
    with ctx.store.session() as session:
        todo = listings_to_classify(session, clf.version)
    stats["to_classify"] = len(todo)
    for start in range(0, len(todo), batch_size):
        ids = todo[start:start + batch_size]
        with ctx.store.session() as session:
            previous = latest_classifications(session, ids)
            listings = session.scalars(select(Listing).where(Listing.id.in_(ids))
                                       .options(selectinload(Listing.images)).order_by(Listing.id)).all()
            try:
                prepared = [listing_input(lst) for lst in listings]
                verdicts = clf.classify_many([p[0] for p in prepared], batch_size=batch_size)
            except Exception:  # noqa: BLE001 - fall back to one at a time to isolate the bad listing
                log.exception("batch classification failed; retrying one listing at a time")
                prepared, verdicts = [], []
                kept = []
                for lst in listings:
                    try:
                        item = listing_input(lst)
                        verdicts.append(clf.classify_many([item[0]])[0])
                        prepared.append(item)
                        kept.append(lst)
                    except Exception as exc:  # noqa: BLE001
                        _record_error(stats, lst.id, exc)
                listings = kept
            for lst, (item, ocr_start), v in zip(listings, prepared, verdicts):
                try:
                    session.add(Classification(
                        listing_id=lst.id, content_hash=lst.content_hash, model_version=v.model_version,
                        score=v.score, flagged=v.flagged, language=v.lang, intent=v.intent, category=v.category,
                        matched_terms=v.matched_terms, explanation=_relabel_ocr(v.explanation, ocr_start),
                        created_at=ctx.now))
                    if not lst.language:
                        lst.language = v.lang
                    stats["classified"] += 1
                    if v.flagged:
                        stats["flagged"] += 1
                        before = previous.get(lst.id)
                        if before is None or not before.flagged:
                            owe(session, NOTIFY, lst.id)  # with the verdict: a crash before notify keeps it owed
                            stats["flagged_listing_ids"].append(lst.id)
                            if v.priority == "low":
                                stats["low_priority_ids"].append(lst.id)
                except Exception as exc:  # noqa: BLE001
                    _record_error(stats, lst.id, exc)
    stats["newly_flagged"] = len(stats["flagged_listing_ids"])
    log.info("classified %d listing(s): %d flagged (%d newly), %d error(s), model %s", stats["classified"],
             stats["flagged"], stats["newly_flagged"], stats["errors"], clf.version)
    return stats


def _record_error(stats: dict[str, Any], listing_id: int, exc: Exception) -> None:
    stats["errors"] += 1
    if len(stats["error_messages"]) < MAX_ERROR_MESSAGES:
        stats["error_messages"].append(f"listing {listing_id}: {type(exc).__name__}: {exc}")
    log.warning("listing %s not classified: %s", listing_id, exc)


def uncertain_listings(session: Session, limit: int = 20) -> list[tuple[Listing, Classification]]:
    """Unreviewed listings whose latest score lies closest to the decision threshold: the best ones to label next."""
    reviewed = set(session.scalars(select(Review.listing_id).distinct()))
    items = []
    for lid, c in latest_classifications(session).items():
        if lid in reviewed:
            continue
        threshold = (c.explanation or {}).get("threshold", 0.5)
        items.append((abs(c.score - float(threshold)), c.id, c))
    items.sort(key=lambda t: (t[0], t[1]))
    chosen = [c for _, _, c in items[:limit]]
    listings = {lst.id: lst for lst in session.scalars(select(Listing).where(Listing.id.in_([c.listing_id for c in chosen])))}
    return [(listings[c.listing_id], c) for c in chosen if c.listing_id in listings]


def review_examples(session: Session) -> list[dict[str, Any]]:
    """Labelled examples from analysts' latest decision per listing: sale/buy → trade, not_trade → not_trade."""
    reviews = sorted(latest_reviews(session, decided_only=True).values(), key=lambda r: r.id)
    last_class = latest_classifications(session)
    out = []
    for r in reviews:
        listing = session.get(Listing, r.listing_id)
        if listing is None or not (is_confirmed(r.decision) or r.decision == "not_trade"):
            continue
        item, _ = listing_input(listing)
        if r.decision == "not_trade":
            c = last_class.get(listing.id)
            category = c.category if c is not None and c.category not in (None, "trade") else "irrelevant"
            label, intent = "not_trade", "unknown"
        else:
            label, intent, category = "trade", "sell" if r.decision == "sale" else "buy", "trade"
        out.append({"id": f"review-{listing.id}", "lang": listing.language or None, "title": item["title"] or "",
                    "text": item["text"], "label": label, "intent": intent, "category": category})
    return out
