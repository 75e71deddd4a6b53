"""The seller dossier page: linked listings across platforms, contacts, reposts, activity."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from alerts.web.auth import ANALYSTS, ApiError, page
from alerts.review.dossier import build_dossier
from alerts.web.i18n import gettext_for
from store.models import Seller


@page(roles=ANALYSTS)
def seller_page(request: Request, db) -> Response:
    seller = db.get(Seller, request.path_params["seller_id"])
    if seller is None:
        raise ApiError(404, "not_found", f"no seller with id {request.path_params['seller_id']}")
    return _render(request, db, seller_id=seller.id, heading=seller.name or seller.platform_seller_id)


@page(roles=ANALYSTS)
def contact_page(request: Request, db) -> Response:
    phone = (request.query_params.get("phone") or "").strip() or None
    handle = (request.query_params.get("handle") or "").strip() or None
    if not phone and not handle:
        raise ApiError(400, "missing_parameter", "give ?phone=+E164 or ?handle=@name")
    return _render(request, db, phone=phone, handle=handle, heading=phone or handle)


def _render(request: Request, db, heading: str, **start) -> Response:
    _ = gettext_for(request.state.lang)
    dossier = build_dossier(db, duplicate_ratio=request.app.state.settings.web.near_duplicate_ratio, **start)
    return request.app.state.render(request, "dossier.html", {
        "dossier": dossier, "heading": heading, "title": _("Seller dossier") + f": {heading}",
    })
