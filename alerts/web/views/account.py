"""Login, logout and the user's own language choice."""
from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from alerts.review.users import UserError, authenticate, set_language
from alerts.review.audit import record_event
from alerts.web.auth import EVERYONE, action, page
from alerts.web.i18n import LANGUAGES, gettext_for
from alerts.web.wording import error_text
from alerts.web.security import csrf_token, ip_actor, login_blocked, password_stamp
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


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


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


@action(roles=None)
def login_submit(request: Request, db, data) -> Response:
    settings = request.app.state.settings
    username = (data.get("username") or "").strip()
    password = data.get("password") or ""
    next_url = safe_next(data.get("next"), "")
    ip = _client_ip(request)
    _ = gettext_for(request.state.lang)
    render = request.app.state.render
    if login_blocked(db, username, ip, settings.web.login_attempts_per_minute):
        record_event(db, ip_actor(ip), "login.blocked", "login", username, {})
        return render(request, "login.html", {"next": next_url, "username": username,
                                              "error": _("Too many failed attempts. Wait a minute and try again.")},
                      status_code=429, headers={"Retry-After": "60"})
    user = authenticate(db, username, password)
    if user is None:
        record_event(db, ip_actor(ip), "login.failed", "login", username, {})
        return render(request, "login.html", {"next": next_url, "username": username,
                                              "error": _("Wrong username or password, or the account is disabled.")},
                      status_code=401)
    request.session.clear()  # a fresh session (and CSRF token) after login
    request.session.update(uid=user.id, stamp=password_stamp(request.app.state.secret_key, user.password_hash))
    csrf_token(request.session)
    record_event(db, user.username, "login", "user", user.username, {"ip": ip})
    return RedirectResponse(next_url or home_for(user.role), status_code=303)


@action(roles=EVERYONE)
def logout(request: Request, db, data) -> Response:
    record_event(db, request.state.user.username, "logout", "user", request.state.user.username, {})
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
