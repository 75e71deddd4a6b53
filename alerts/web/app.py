"""The review UI application: `create_app(settings, store)` and the blocking `run_server(settings)`."""
from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from alerts.web import errors
from alerts.web.security import SecurityHeadersMiddleware, load_secret_key
from alerts.web.templating import Renderer, make_environment
from alerts.web.views import (account, admin, api, appeals, cases, dossier, evidence, listing, media, queue,
                              saved_copy, stats)

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "saigawatch_session"


def _root(request: Request):
    return RedirectResponse("/queue", status_code=303)


def _healthz(request: Request):
    return PlainTextResponse("ok")


ROUTES = [
    Route("/", _root),
    Route("/healthz", _healthz),
    Route("/login", account.login_form, methods=["GET"]),
    Route("/login", account.login_submit, methods=["POST"]),
    Route("/logout", account.logout, methods=["POST"]),
    Route("/language", account.anonymous_language, methods=["POST"]),
    Route("/account/language", account.change_language, methods=["POST"]),
    Route("/queue", queue.queue_page, methods=["GET"]),
    Route("/queue/bulk", queue.bulk_decide, methods=["POST"]),
    Route("/queue/uncertain", queue.label_page, methods=["GET"]),
    Route("/cases/split", cases.split_copy, methods=["POST"]),
    Route("/cases/merge", cases.merge_ticked, methods=["POST"]),
    Route("/listings/{listing_id:int}", listing.listing_page, methods=["GET"]),
    Route("/listings/{listing_id:int}/decide", queue.decide, methods=["POST"]),
    Route("/listings/{listing_id:int}/saved-copy", saved_copy.saved_copy_page, methods=["GET"]),
    Route("/listings/{listing_id:int}/saved-copy/frame", saved_copy.saved_copy_frame, methods=["GET"]),
    Route("/evidence/captures/{capture_id:int}/screenshot", saved_copy.screenshot, methods=["GET"]),
    Route("/sellers/{seller_id:int}", dossier.seller_page, methods=["GET"]),
    Route("/dossier", dossier.contact_page, methods=["GET"]),
    Route("/media/images/{image_id:int}", media.image_file, methods=["GET"]),
    Route("/captures/{capture_id:int}", media.capture_file, methods=["GET"]),
    Route("/evidence/export", evidence.export_evidence, methods=["POST"]),
    Route("/evidence/bundles/{bundle_id:int}", evidence.bundle_page, methods=["GET"]),
    Route("/evidence/bundles/{bundle_id:int}/download", evidence.bundle_download, methods=["GET"]),
    Route("/appeals", appeals.appeals_page, methods=["GET"]),
    Route("/appeals", appeals.create, methods=["POST"]),
    Route("/appeals/{appeal_id:int}", appeals.appeal_page, methods=["GET"]),
    Route("/appeals/{appeal_id:int}", appeals.update, methods=["POST"]),
    Route("/stats", stats.stats_page, methods=["GET"]),
    Route("/admin", admin.admin_page, methods=["GET"]),
    Route("/admin/users", admin.user_action, methods=["POST"]),
    Route("/admin/audit", admin.audit_page, methods=["GET"]),
    Route("/api/queue", api.api_queue, methods=["GET"]),
    Route("/api/listings/{listing_id:int}", api.api_listing, methods=["GET"]),
    Route("/api/listings/{listing_id:int}/decision", queue.api_decide, methods=["POST"]),
    Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
]


def create_app(settings, store) -> Starlette:
    """The Starlette app for a configuration and an (initialised) store."""
    secret_key = load_secret_key(settings)
    https = bool(settings.web.public_url and settings.web.public_url.lower().startswith("https://"))
    app = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(SessionMiddleware, secret_key=secret_key, session_cookie=SESSION_COOKIE,
                       max_age=settings.web.session_max_age_s, same_site="lax", https_only=https),
        ],
        exception_handlers={HTTPException: errors.http_error, 500: errors.server_error},
    )
    app.state.settings = settings
    app.state.store = store
    app.state.secret_key = secret_key
    app.state.render = Renderer(make_environment(settings.web.timezone))
    appeals.install_globals(app.state.render.env)
    app.state.evidence_exporter = evidence.find_exporter
    return app


def app_from_environment() -> Starlette:
    """App factory for uvicorn worker processes: config from SAIGAWATCH_CONFIG (or the shipped default)."""
    import os

    from config import load_config
    from store import Store
    from store.private import private_umask

    private_umask()  # also when started by uvicorn directly: the database, WAL and logs stay private
    settings = load_config(os.environ.get("SAIGAWATCH_CONFIG") or None)
    return create_app(settings, Store.from_settings(settings))


def run_server(settings, host: str | None = None, port: int | None = None, store=None, workers: int = 1) -> None:
    """Serve the review UI with uvicorn until interrupted (blocking).

    With workers > 1 each uvicorn worker process builds its own app from the same config file; nothing
    is kept in process memory (sessions and login throttling live in the database).
    """
    import os

    import uvicorn

    from store import Store
    from store.db import check_schema

    store = store or Store.from_settings(settings)
    check_schema(store.engine)
    load_secret_key(settings)  # fail early, and create the key file once before workers start
    host = host or settings.web.host
    port = port or settings.web.port
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("the review UI listens on %s: put it behind an https reverse proxy and set web.public_url", host)
    common = dict(host=host, port=port, log_level="warning", proxy_headers=False, server_header=False)
    if workers > 1:
        if settings.config_path is None:
            raise ValueError("several workers need the settings to come from a config file")
        os.environ["SAIGAWATCH_CONFIG"] = str(settings.config_path)
        uvicorn.run("alerts.web.app:app_from_environment", factory=True, workers=workers, **common)
        return
    uvicorn.run(create_app(settings, store), **common)
