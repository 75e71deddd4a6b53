"""The queue page, decisions (form and keyboard, then on to the next item) and the bulk "not trade" action."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from alerts.review.queue import DECISIONS, STATUS_FILTERS, QueueFilterError, QueueFilters, ReviewError, facet_values, \
    flagged_queue, record_review
from alerts.review.audit import record_event
from alerts.web.auth import ANALYSTS, ApiError, action, page
from alerts.web.i18n import N_, gettext_for
from alerts.web.templating import flash, url_with
from alerts.web.views.account import safe_next
from alerts.web.wording import error_text

MAX_BULK = 500


def _page_number(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


@page(roles=ANALYSTS)
def queue_page(request: Request, db) -> Response:
    settings = request.app.state.settings
    _ = gettext_for(request.state.lang)
    error = None
    try:
        filters = QueueFilters.from_params(dict(request.query_params))
    except QueueFilterError as exc:
        error = error_text(exc, _)
        filters = QueueFilters()
    result = flagged_queue(db, filters=filters, page=_page_number(request), page_size=settings.web.page_size,
                           timezone=settings.web.timezone)
    params = filters.as_params()
    here = url_with("/queue", **params, page=result.page if result.page > 1 else None)
    return request.app.state.render(request, "queue.html", {
        "result": result, "filters": filters, "params": params, "facets": facet_values(db),
        "statuses": STATUS_FILTERS, "decisions": DECISIONS, "error": error, "here": here,
        "title": _("Queue"),
    }, status_code=400 if error else 200)


@action(roles=ANALYSTS)
def decide(request: Request, db, data) -> Response:
    """Form post from the listing page: save the decision and go on (to the next listing or back)."""
    listing_id = request.path_params["listing_id"]
    _ = gettext_for(request.state.lang)
    order = queue_order(request, db, safe_next(data.get("next"), "/queue"))  # before the decision moves the item
    try:
        record_review(db, listing_id, request.state.user.username, data.get("decision") or "", data.get("note") or "")
    except ReviewError as exc:
        flash(request, "error", error_text(exc, _))
        return RedirectResponse(f"/listings/{listing_id}", status_code=303)
    flash(request, "ok", _("Decision saved: {decision}", decision=_(DECISION_LABELS.get(data["decision"], ""))))
    back = safe_next(data.get("next"), "/queue")
    following = next_in_queue(request, db, listing_id, back, order)
    return RedirectResponse(url_with(f"/listings/{following}", back=back) if following else back, status_code=303)


def queue_order(request: Request, db, back: str) -> list[int]:
    """Listing ids in the order the queue behind `back` shows them (its filters; at most MAX_BULK)."""
    query = dict(parse_qsl(urlsplit(back).query)) if urlsplit(back).path == "/queue" else {}
    try:
        filters = QueueFilters.from_params(query)
    except QueueFilterError:
        filters = QueueFilters()
    settings = request.app.state.settings
    result = flagged_queue(db, filters=filters, page=1, page_size=MAX_BULK, timezone=settings.web.timezone)
    return [item.listing.id for item in result.items]


def next_in_queue(request: Request, db, listing_id: int, back: str, order: list[int]) -> int | None:
    """The queue item after this listing (as the analyst saw the queue), or the first one still to review."""
    if listing_id in order:
        after = order[order.index(listing_id) + 1:]
        return after[0] if after else None
    remaining = [i for i in queue_order(request, db, back) if i != listing_id]
    return remaining[0] if remaining else None


@action(roles=ANALYSTS)
def bulk_decide(request: Request, db, data) -> Response:
    """Bulk decision for ticked rows (the queue offers "not trade" for obvious false positives)."""
    _ = gettext_for(request.state.lang)
    decision = data.get("decision") or "not_trade"
    raw_ids = data.get("ids") or []
    back = safe_next(data.get("next"), "/queue")
    try:
        ids = sorted({int(x) for x in raw_ids})
    except (TypeError, ValueError):
        flash(request, "error", _("Invalid selection."))
        return RedirectResponse(back, status_code=303)
    if not ids:
        flash(request, "error", _("Tick at least one listing first."))
        return RedirectResponse(back, status_code=303)
    if len(ids) > MAX_BULK or decision not in DECISIONS:
        flash(request, "error", _("Invalid selection."))
        return RedirectResponse(back, status_code=303)
    user = request.state.user.username
    try:
        for listing_id in ids:
            record_review(db, listing_id, user, decision, data.get("note") or "", bulk=True)
    except ReviewError as exc:
        db.rollback()
        flash(request, "error", error_text(exc, _))
        return RedirectResponse(back, status_code=303)
    record_event(db, user, "review.bulk_action", "listing", None, {"decision": decision, "listing_ids": ids})
    flash(request, "ok", _("{n} listings marked as {decision}.", n=len(ids),
                           decision=_(DECISION_LABELS[decision])))
    return RedirectResponse(back, status_code=303)


@action(roles=ANALYSTS, json_body=True)
def api_decide(request: Request, db, data) -> Response:
    """JSON decision used by the keyboard shortcuts: {"decision", "note"} → {"review": {...}}."""
    listing_id = request.path_params["listing_id"]
    try:
        review = record_review(db, listing_id, request.state.user.username, data.get("decision") or "",
                               data.get("note") or "")
    except ReviewError as exc:
        code = "not_found" if "no listing" in str(exc) else "invalid_decision"
        raise ApiError(404 if code == "not_found" else 422, code, str(exc)) from None
    return JSONResponse({"review": {"id": review.id, "listing_id": review.listing_id, "decision": review.decision,
                                    "analyst": review.analyst, "note": review.note,
                                    "created_at": review.created_at.isoformat()}})


# msgids for decisions and statuses (translated in the catalogues)
DECISION_LABELS = {"sale": N_("Confirmed sale"), "buy": N_("Confirmed buy"), "not_trade": N_("Not trade"),
                   "unsure": N_("Unsure"), "unreviewed": N_("Unreviewed"), "open": N_("To review"), "all": N_("All")}


@page(roles=ANALYSTS)
def label_page(request: Request, db) -> Response:
    """Unreviewed listings the classifier is least sure about: deciding these teaches it the most."""
    from alerts.review.flagging import uncertain_listings

    _ = gettext_for(request.state.lang)
    items = uncertain_listings(db, limit=request.app.state.settings.web.page_size)
    return request.app.state.render(request, "label.html", {"items": items, "title": _("To label")})
