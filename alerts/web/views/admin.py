"""Admin pages: crawl health, sources, user accounts and the audit log."""
from __future__ import annotations

import datetime as dt
import importlib
import logging

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from alerts.notify.wording import gettext_for as notify_gettext_for
from alerts.notify.wording import health_text
from alerts.review.users import (
    ROLES,
    UserError,
    create_user,
    list_users,
    set_disabled,
    set_password,
    set_role,
)
from alerts.web.auth import ADMINS, action, page
from alerts.web.i18n import gettext_for
from alerts.web.templating import flash
from alerts.web.wording import error_text
from store.models import AuditEvent, SourceRun

log = logging.getLogger(__name__)
AUDIT_PAGE = 100


def crawl_health(db, settings) -> tuple[list[dict] | None, list[SourceRun]]:
    """crawler.health.health_table as dicts when that module is installed, plus the latest SourceRun rows."""
    table = None
    try:
        health = importlib.import_module("crawler.health")
    except ImportError:
        health = None
    if health is not None and hasattr(health, "health_table"):
        try:
            table = [row.to_dict() if hasattr(row, "to_dict") else dict(row) for row in health.health_table(db, settings)]
            for row in table:
                last = row.get("last_run_at")
                row["last_run_dt"] = dt.datetime.fromisoformat(last) if isinstance(last, str) else last
        except Exception as exc:  # noqa: BLE001 - the admin page still shows the raw runs
            log.warning("crawl health table failed: %s", exc)
    runs = list(db.scalars(select(SourceRun).order_by(SourceRun.started_at.desc(), SourceRun.id.desc()).limit(50)))
    return table, runs


@page(roles=ADMINS)
def admin_page(request: Request, db) -> Response:
    _ = gettext_for(request.state.lang)
    table, runs = crawl_health(db, request.app.state.settings)
    digest_words = notify_gettext_for(request.state.lang)  # the digest's catalogue words crawl-health alerts
    for row in table or []:
        for alert in row.get("alerts") or []:
            if isinstance(alert, dict):
                alert["message"] = health_text(alert, digest_words)
    return request.app.state.render(request, "admin.html", {
        "health": table, "runs": runs, "users": list_users(db), "roles": ROLES,
        "sources": request.app.state.settings.sources, "title": _("Administration"),
        "config_path": str(request.app.state.settings.config_path or ""),
    })


@page(roles=ADMINS)
def audit_page(request: Request, db) -> Response:
    _ = gettext_for(request.state.lang)
    try:
        before = int(request.query_params.get("before", "0")) or None
    except ValueError:
        before = None
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE)
    actor = (request.query_params.get("actor") or "").strip()
    if before:
        query = query.where(AuditEvent.id < before)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    events = list(db.scalars(query))
    return request.app.state.render(request, "audit.html", {
        "events": events, "actor": actor, "more": events[-1].id if len(events) == AUDIT_PAGE else None,
        "title": _("Audit log"),
    })


@action(roles=ADMINS)
def user_action(request: Request, db, data) -> Response:
    """Add a user, change a role, disable/enable, or set a new password."""
    _ = gettext_for(request.state.lang)
    actor = request.state.user.username
    op = data.get("op")
    username = (data.get("username") or "").strip()
    try:
        if op == "add":
            create_user(db, username, data.get("password") or "", data.get("role") or "analyst",
                        data.get("language") or "ru", actor=actor)
            flash(request, "ok", _("User {name} created.", name=username))
        elif op == "role":
            set_role(db, username, data.get("role") or "", actor=actor)
            flash(request, "ok", _("Role of {name} changed.", name=username))
        elif op in ("disable", "enable"):
            if op == "disable" and username == actor:
                raise UserError(_("You cannot disable your own account."))
            set_disabled(db, username, op == "disable", actor=actor)
            flash(request, "ok", _("Account {name} updated.", name=username))
        elif op == "password":
            set_password(db, username, data.get("password") or "", actor=actor)
            flash(request, "ok", _("Password of {name} changed.", name=username))
        else:
            raise UserError(f"unknown operation {op!r}")
    except UserError as exc:
        db.rollback()
        flash(request, "error", error_text(exc, _))
    return RedirectResponse("/admin#users", status_code=303)
