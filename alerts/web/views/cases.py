"""Split a copy out of its case and merge ticked cases (from the queue and the listing page)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from alerts.review.cases import CaseError, case_of_listing, merge, split
from alerts.web.auth import ANALYSTS, action
from alerts.web.i18n import gettext_for
from alerts.web.templating import flash
from alerts.web.views.account import safe_next


@action(roles=ANALYSTS)
def split_copy(request: Request, db, data) -> Response:
    """Form post: {split_listing: listing id} takes that copy out of its case."""
    _ = gettext_for(request.state.lang)
    back = safe_next(data.get("next"), "/queue")
    try:
        case = split(db, int(data.get("split_listing") or 0), request.state.user.username)
    except (CaseError, ValueError) as exc:
        db.rollback()
        flash(request, "error", str(exc))
        return RedirectResponse(back, status_code=303)
    flash(request, "ok", _("Copy moved to a case of its own: #{n}.", n=case.id))
    return RedirectResponse(back, status_code=303)


@action(roles=ANALYSTS)
def merge_ticked(request: Request, db, data) -> Response:
    """Form post from the queue: the ticked rows' cases become one."""
    _ = gettext_for(request.state.lang)
    back = safe_next(data.get("next"), "/queue")
    try:
        case_ids = [c for c in (case_of_listing(db, int(x)) for x in data.get("ids") or []) if c]
        case = merge(db, case_ids, request.state.user.username)
    except (CaseError, ValueError) as exc:
        db.rollback()
        flash(request, "error", str(exc))
        return RedirectResponse(back, status_code=303)
    flash(request, "ok", _("Cases merged into #{n}: {copies} copies.", n=case.id, copies=case.copies))
    return RedirectResponse(back, status_code=303)
