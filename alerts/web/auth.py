"""Who is asking: the session's user, role checks, and the page/action wrappers every route uses."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from alerts.web.i18n import negotiate
from alerts.review.logins import session_user
from alerts.web.security import csrf_valid, client_address
from store.models import User

ANALYSTS = ("analyst", "admin")
EVERYONE = ("analyst", "admin", "viewer")
ADMINS = ("admin",)


class ApiError(HTTPException):
    """An error with a stable machine-readable code, rendered as {"error": {"code", "message"}}."""

    def __init__(self, status_code: int, code: str, message: str):
        super().__init__(status_code=status_code, detail=message)
        self.code = code


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


@dataclass(frozen=True)
class CurrentUser:
    """A detached snapshot of the logged-in account (safe to use after the request's session closed)."""

    id: int
    username: str
    role: str
    language: str


def load_user(request: Request, db: Session) -> User | None:
    """The enabled user of the request's server-side session, else None (logged out, disabled, password changed,
    expired: the session row is gone or no longer valid)."""
    token = request.session.get("sid")
    if token is None:
        return None
    user = session_user(db, token)
    if user is None:
        request.session.pop("sid", None)
    return user


def request_client(request: Request) -> str:
    """The client's address, through the configured trusted proxies only."""
    return client_address(request.client.host if request.client else None, request.headers.get("x-forwarded-for"),
                          request.app.state.settings.web.trusted_proxies)


def _prepare(request: Request, db: Session, roles: tuple[str, ...] | None) -> Response | None:
    """Set request.state.user/lang; return a redirect or raise 403 when the user may not proceed."""
    settings = request.app.state.settings
    user = load_user(request, db)
    request.state.user = CurrentUser(user.id, user.username, user.role, user.language) if user else None
    request.state.lang = (user.language if user else None) or request.session.get("lang") or negotiate(
        request.headers.get("accept-language"), settings.web.default_language)
    if roles is None:
        return None
    if user is None:
        if is_api(request):
            raise ApiError(401, "not_authenticated", "log in first")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
    if user.role not in roles:
        raise ApiError(403, "forbidden", f"the {user.role} role may not do this")
    return None


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def page(roles: tuple[str, ...] | None) -> Callable:
    """A GET handler `fn(request, db) -> Response` run in a worker thread with a database session."""
    def decorate(fn: Callable[[Request, Session], Response]) -> Callable:
        def run(request: Request) -> Response:
            with request.app.state.store.session() as db:
                early = _prepare(request, db, roles)
                return early or fn(request, db)

        @functools.wraps(fn)
        async def endpoint(request: Request) -> Response:
            return await run_in_threadpool(run, request)

        return endpoint
    return decorate


def action(roles: tuple[str, ...] | None, json_body: bool = False) -> Callable:
    """A POST handler `fn(request, db, data) -> Response`: form (or JSON) read, CSRF checked, roles checked."""
    def decorate(fn: Callable[[Request, Session, dict[str, Any]], Response]) -> Callable:
        def run(request: Request, data: dict[str, Any], token: str | None) -> Response:
            with request.app.state.store.session() as db:
                early = _prepare(request, db, roles)
                if early is not None:
                    return early
                if not csrf_valid(request.session, token):
                    raise ApiError(403, "csrf_failed", "the form has expired or the CSRF token is missing; reload the page")
                return fn(request, db, data)

        @functools.wraps(fn)
        async def endpoint(request: Request) -> Response:
            data: dict[str, Any]
            if json_body or request.headers.get("content-type", "").startswith("application/json"):
                try:
                    data = await request.json()
                except ValueError:
                    raise ApiError(400, "bad_json", "the request body is not valid JSON") from None
                if not isinstance(data, dict):
                    raise ApiError(400, "bad_json", "the request body must be a JSON object")
            else:
                form = await request.form()
                data = {key: form.getlist(key) if key.endswith("[]") or key == "ids" else form.get(key)
                        for key in form.keys()}
            token = request.headers.get("x-csrf-token") or data.get("csrf_token")
            return await run_in_threadpool(run, request, data, token if isinstance(token, str) else None)

        return endpoint
    return decorate
