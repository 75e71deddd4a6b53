"""The seller dossier page (linked accounts across platforms with evidence) and the phone/handle search."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from alerts.review.dossier import build_dossier
from alerts.web.auth import ANALYSTS, ApiError, page
from alerts.web.i18n import gettext_for
from crawler.contacts import normalise_query
from store.models import Seller


@page(roles=ANALYSTS)
def seller_page(request: Request, db) -> Response:
    seller = db.get(Seller, request.path_params["seller_id"])
    if seller is None:
        raise ApiError(404, "not_found", f"no seller with id {request.path_params['seller_id']}")
    return _render(request, db, seller_id=seller.id, heading=seller.name or seller.platform_seller_id)


@page(roles=ANALYSTS)
def contact_page(request: Request, db) -> Response:
    """?q= whatever was typed (8 702…, +7 (702)…, wa.me/…, @name, vk.com/…, 微信…), or ?phone= / ?handle=."""
    _ = gettext_for(request.state.lang)
    typed = (request.query_params.get("q") or request.query_params.get("phone")
             or request.query_params.get("handle") or "").strip()
    if not typed:
        return request.app.state.render(request, "dossier.html", {
            "dossier": None, "heading": "", "typed": "", "title": _("Find a seller")})
    found = normalise_query(typed)
    if found is None:
        return request.app.state.render(request, "dossier.html", {
            "dossier": None, "heading": typed, "typed": typed, "title": _("Find a seller"),
            "error": _("Not a phone number or account handle: {value}", value=typed)}, status_code=400)
    kind, value = found
    return _render(request, db, heading=value, typed=typed, **{kind: value})


def _render(request: Request, db, heading: str, typed: str = "", **start) -> Response:
    _ = gettext_for(request.state.lang)
    dossier = build_dossier(db, **start)
    return request.app.state.render(request, "dossier.html", {
        "dossier": dossier, "heading": heading, "typed": typed, "title": _("Seller dossier") + f": {heading}",
    })
