"""Jinja2 environment (autoescaped), display filters, and the page renderer every handler uses."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from alerts.money import money
from alerts.web.gloss import gloss_of
from alerts.web.i18n import LANGUAGES, N_, gettext_for
from alerts.web.wording import TEMPLATE_GLOBALS, template_names
from alerts.web.security import csrf_token

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SAFE_SCHEMES = ("http", "https")
# msgids for the classifier's match roles (shown when hovering a highlighted word)
ROLE_LABELS = {"species": N_("names the saiga"), "disguise": N_("disguised name"), "product": N_("horn or horn product"),
               "intent_sell": N_("sell wording"), "intent_buy": N_("buy wording"), "intent": N_("intent"), "price": N_("price"),
               "quantity": N_("quantity"), "confounder": N_("confounder"), "protected_other": N_("another protected species")}


def safe_url(value: str | None) -> str | None:
    """The URL if it is plain http(s), else None: scraped links never become javascript:/data: hrefs."""
    if not value:
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc:
        return None
    if any(ch in value for ch in "\x00\r\n\t"):
        return None
    return value


def make_environment(timezone: str) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html", "svg"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    zone = ZoneInfo(timezone)

    def localtime(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return "—"
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(zone).strftime(fmt)

    env.filters.update(localtime=localtime, money=money, safe_url=safe_url,
                       score=lambda v: "—" if v is None else f"{v:.2f}")
    env.globals.update(LANGUAGES=LANGUAGES, timezone_name=timezone, ROLE_LABELS=ROLE_LABELS, gloss_of=gloss_of,
                       **TEMPLATE_GLOBALS)
    return env


def url_with(path: str, **params) -> str:
    """A path with the non-empty parameters as a query string."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return path + ("?" + urlencode(kept) if kept else "")


class Renderer:
    """Renders a template with the request's user, language, CSRF token and flash messages."""

    def __init__(self, env: Environment):
        self.env = env

    def __call__(self, request: Request, template: str, context: dict | None = None,
                 status_code: int = 200, headers: dict | None = None) -> HTMLResponse:
        user = getattr(request.state, "user", None)
        lang = getattr(request.state, "lang", None) or "ru"
        _ = gettext_for(lang)
        session = request.scope.get("session")  # absent when a crash happened outside the session layer
        values = {
            "request": request,
            "title": None,
            "user": user,
            "lang": lang,
            "_": _,
            "ngettext": _.n,
            **template_names(_),
            "csrf_token": csrf_token(session) if session is not None else "",
            "flashes": session.pop("flash", []) if session is not None and "flash" in session else [],
            "url_with": url_with,
        }
        values.update(context or {})
        html = self.env.get_template(template).render(values)
        return HTMLResponse(html, status_code=status_code, headers=headers)


def flash(request: Request, kind: str, message: str) -> None:
    """Queue a one-time message (kind: ok|error|info) for the next page."""
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], {"kind": kind, "message": message}]
