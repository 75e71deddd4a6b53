"""Login (throttled, session rotated), logout (session ended on the server) and the user's own language choice."""
from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from alerts.review.users import UserError, authenticate, set_language
from alerts.review.audit import record_event
from alerts.review.logins import end_session, open_session
from alerts.web.auth import EVERYONE, action, page, request_client
from alerts.web.i18n import LANGUAGES, gettext_for
from alerts.web.wording import error_text
from alerts.web.security import account_locked, address_delay, csrf_token, ip_actor
from alerts.web.templating import flash
from store.models import User


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths are followed after login (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def home_for(role: str) -> str:
    return "/stats" if role == "viewer" else "/queue"


@page(roles=None)
def login_form(request: Request, db) -> Response:
    if request.state.user is not None:
        return RedirectResponse(safe_next(request.query_params.get("next"), home_for(request.state.user.role)), 303)
    lang = request.query_params.get("lang")
    if lang in LANGUAGES:
        request.session["lang"] = lang
        request.state.lang = lang
    csrf_token(request.session)
    return request.app.state.render(request, "login.html", {"next": safe_next(request.query_params.get("next"), ""),
                                                            "error": None, "username": ""})


async def login_submit(request: Request):
    """POST /login: an address that keeps failing waits longer before its password is checked (never refused)."""
    await request.form()  # read once here; the action wrapper reuses it
    delay = await run_in_threadpool(_address_delay, request)
    if delay:
        await asyncio.sleep(delay)  # waits without holding a worker thread
    request.state.login_delay = delay
    return await _login_checked(request)


def _address_delay(request: Request) -> float:
    with request.app.state.store.session() as db:
        return address_delay(db, request_client(request), request.app.state.settings.web.login_slowdown_max_s)


@action(roles=None)
def _login_checked(request: Request, db, data) -> Response:
    settings = request.app.state.settings
    username = (data.get("username") or "").strip()[:80]
    password = data.get("password") or ""
    next_url = safe_next(data.get("next"), "")
    ip = request_client(request)
    _ = gettext_for(request.state.lang)
    render = request.app.state.render
    if account_locked(db, username, settings.web.login_attempts_per_minute):
        record_event(db, ip_actor(ip), "login.blocked", "login", username, {})
        return render(request, "login.html", {"next": next_url, "username": username,
                                              "error": _("Too many failed attempts. Wait a minute and try again.")},
                      status_code=429, headers={"Retry-After": "60"})
    user = authenticate(db, username, password)
    if user is None:
        record_event(db, ip_actor(ip), "login.failed", "login", username,
                     {"delay_s": round(getattr(request.state, "login_delay", 0.0), 3)})
        return render(request, "login.html", {"next": next_url, "username": username,
                                              "error": _("Wrong username or password, or the account is disabled.")},
                      status_code=401)
    end_session(db, request.session.get("sid"))  # rotation: nothing from before the login stays valid
    request.session.clear()
    request.session["sid"] = open_session(db, user, settings.web.session_max_age_s, ip)
    csrf_token(request.session)
    record_event(db, user.username, "login", "user", user.username, {"ip": ip})
    return RedirectResponse(next_url or home_for(user.role), status_code=303)


@action(roles=EVERYONE)
def logout(request: Request, db, data) -> Response:
    record_event(db, request.state.user.username, "logout", "user", request.state.user.username, {})
    end_session(db, request.session.get("sid"))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@action(roles=EVERYONE)
def change_language(request: Request, db, data) -> Response:
    user = request.state.user
    try:
        set_language(db, db.get(User, user.id), data.get("language") or "")
    except UserError as exc:
        flash(request, "error", error_text(exc, gettext_for(request.state.lang)))
    back = safe_next(data.get("next"), home_for(user.role))
    return RedirectResponse(back, status_code=303)


@action(roles=None)
def anonymous_language(request: Request, db, data) -> Response:
    lang = data.get("language")
    if lang in LANGUAGES:
        request.session["lang"] = lang
    return RedirectResponse(safe_next(data.get("next"), "/login"), status_code=303)
