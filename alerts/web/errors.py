"""Error responses: one JSON shape for the API ({"error": {"code", "message"}}), friendly pages for people."""
from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from alerts.web.auth import ApiError, is_api
from alerts.web.i18n import gettext_for, negotiate

log = logging.getLogger(__name__)

CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 422: "invalid", 429: "rate_limited", 500: "internal_error"}


def error_body(code: str, message: str) -> dict:
    """The one JSON error shape of the API."""
    return {"error": {"code": code, "message": message}}


def _wants_json(request: Request) -> bool:
    return is_api(request) or "application/json" in request.headers.get("accept", "")


def _respond(request: Request, status: int, code: str, message: str) -> Response:
    if _wants_json(request):
        return JSONResponse(error_body(code, message), status_code=status)
    lang = getattr(request.state, "lang", None) or negotiate(request.headers.get("accept-language"), "ru")
    request.state.lang = lang
    _ = gettext_for(lang)
    headings = {401: _("Please log in"), 403: _("You do not have access to this page"),
                404: _("Not found"), 429: _("Too many requests"), 500: _("Something went wrong")}
    # people read the message in their language; the English detail stays in the JSON answer and the log
    messages = {
        "not_authenticated": _("Log in first."), "forbidden": _("Your role does not allow this."),
        "not_found": _("There is no such page or record."), "no_saved_copy": _("This listing has no saved copy yet."),
        "capture_unreadable": _("The stored copy cannot be read on the server."),
        "method_not_allowed": _("This address does not accept this kind of request."),
        "rate_limited": _("Too many attempts. Wait a little and try again."),
        "internal_error": _("An unexpected error happened; it has been logged."),
        "csrf_failed": _("The form has expired. Go back, reload the page and try again."),
    }
    text = messages.get(code, _("The request could not be carried out."))
    return request.app.state.render(request, "error.html", {
        "status": status, "heading": headings.get(status, _("Request failed")), "message": text,
        "title": headings.get(status, _("Request failed"))}, status_code=status)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = exc.code if isinstance(exc, ApiError) else CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return _respond(request, exc.status_code, code, message)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(request, 500, "internal_error", "an unexpected error happened; it has been logged")
