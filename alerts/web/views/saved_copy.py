"""The saved copy of a listing replayed as a page (scripts off, nothing fetched), and the evidence screenshot."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import or_, select
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from alerts.web.auth import ANALYSTS, ApiError, page
from alerts.web.i18n import gettext_for
from alerts.web.security import CAPTURE_CSP
from alerts.web.views.media import _charset, inside
from store.models import Capture, EvidenceCapture, Listing

# A replayed page: sandboxed (no scripts, opaque origin), nothing loaded from anywhere, framed by our page only.
REPLAY_CSP = CAPTURE_CSP + "; frame-ancestors 'self'"
EVIDENCE_PAGES = ("http/page.html", "browser/dom.html")  # the fetched response first, the rendered DOM second
SCREENSHOT = "browser/screenshot.png"


def evidence_file(settings, capture: EvidenceCapture, names: tuple[str, ...]) -> Path | None:
    """The first of `names` that exists in an evidence capture's directory (never outside data_dir)."""
    base = inside(settings.storage.data_path, capture.directory)
    for name in names:
        path = inside(base, name)
        if path.is_file():
            return path
    return None


def listing_captures(db, listing: Listing) -> list[Capture]:
    """Crawl captures of the listing's page: linked to it, or fetched from its address (channel/API posts)."""
    return list(db.scalars(select(Capture).where(
        or_(Capture.listing_id == listing.id, Capture.url == listing.url),
        Capture.kind.in_(("page", "api", "liveness", "search"))).order_by(Capture.fetched_at.desc()).limit(20)))


def saved_copy_source(db, settings, listing: Listing) -> tuple[str, int] | None:
    """What the saved-copy page replays: ("evidence", id) with a stored page, else ("capture", id), else None."""
    for ev in db.scalars(select(EvidenceCapture).where(EvidenceCapture.listing_id == listing.id)
                         .order_by(EvidenceCapture.started_at.desc())):
        if evidence_file(settings, ev, EVIDENCE_PAGES):
            return "evidence", ev.id
    captures = listing_captures(db, listing)
    html = [c for c in captures if "html" in (c.content_type or "") or c.kind == "page"]
    chosen = (html or captures or [None])[0]
    return ("capture", chosen.id) if chosen else None


def screenshot_of(db, settings, listing_id: int) -> EvidenceCapture | None:
    """The newest evidence capture of a listing that holds a screenshot."""
    for ev in db.scalars(select(EvidenceCapture).where(EvidenceCapture.listing_id == listing_id)
                         .order_by(EvidenceCapture.started_at.desc())):
        if evidence_file(settings, ev, (SCREENSHOT,)):
            return ev
    return None


def _listing(db, request: Request) -> Listing:
    listing = db.get(Listing, request.path_params["listing_id"])
    if listing is None:
        raise ApiError(404, "not_found", f"no listing with id {request.path_params['listing_id']}")
    return listing


@page(roles=ANALYSTS)
def saved_copy_page(request: Request, db) -> Response:
    """Our page around a sandboxed frame that shows the stored response as the analyst would have seen it."""
    _ = gettext_for(request.state.lang)
    listing = _listing(db, request)
    source = saved_copy_source(db, request.app.state.settings, listing)
    if source is None:
        raise ApiError(404, "no_saved_copy", "this listing has no saved copy yet")
    kind, source_id = source
    fetched = (db.get(EvidenceCapture, source_id).started_at if kind == "evidence"
               else db.get(Capture, source_id).fetched_at)
    return request.app.state.render(request, "saved_copy.html", {
        "listing": listing, "kind": kind, "source_id": source_id, "fetched": fetched,
        "title": _("Saved copy"), "frame_src": f"/listings/{listing.id}/saved-copy/frame?{kind}={source_id}"})


@page(roles=ANALYSTS)
def saved_copy_frame(request: Request, db) -> Response:
    """The stored HTML itself, for the sandboxed frame: scripts never run, no subresource is fetched."""
    from store.warc import read_response

    listing = _listing(db, request)
    settings = request.app.state.settings
    headers = {"Content-Security-Policy": REPLAY_CSP, "X-Frame-Options": "SAMEORIGIN",
               "X-Content-Type-Options": "nosniff"}
    if "evidence" in request.query_params:
        ev = _owned(db, EvidenceCapture, request.query_params["evidence"], listing)
        path = evidence_file(settings, ev, EVIDENCE_PAGES)
        if path is None:
            raise ApiError(404, "not_found", "the stored page file is missing")
        return Response(path.read_bytes(), media_type="text/html; charset=utf-8", headers=headers)
    capture = _owned(db, Capture, request.query_params.get("capture"), listing)
    inside(settings.storage.data_path, capture.warc_path)
    try:
        record = read_response(settings.storage.data_path, capture.warc_path, capture.warc_offset)
    except (OSError, ValueError) as exc:
        raise ApiError(404, "capture_unreadable", f"the stored capture cannot be read: {exc}") from None
    if "html" in (capture.content_type or "html"):
        charset = _charset(capture.content_type) or "utf-8"
        return Response(record.body, media_type=f"text/html; charset={charset}", headers=headers)
    return Response(record.body, media_type="text/plain; charset=utf-8", headers=headers)


def _owned(db, model, raw_id, listing: Listing):
    try:
        row = db.get(model, int(raw_id))
    except (TypeError, ValueError):
        row = None
    if row is None or (getattr(row, "listing_id", None) != listing.id and getattr(row, "url", None) != listing.url):
        raise ApiError(404, "not_found", "no such saved copy of this listing")
    return row


@page(roles=ANALYSTS)
def screenshot(request: Request, db) -> Response:
    """The evidence screenshot (with its URL and UTC time banner) of an evidence capture."""
    ev = db.get(EvidenceCapture, request.path_params["capture_id"])
    path = evidence_file(request.app.state.settings, ev, (SCREENSHOT,)) if ev else None
    if path is None:
        raise ApiError(404, "not_found", "no screenshot in this evidence capture")
    return FileResponse(path, media_type="image/png", headers={"Content-Security-Policy": CAPTURE_CSP,
                                                               "Cache-Control": "private, max-age=3600"})
