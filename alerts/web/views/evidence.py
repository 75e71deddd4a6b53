"""Evidence export from the UI: calls the evidence exporter and serves the finished bundle."""
from __future__ import annotations

import datetime as dt
import importlib
import logging
from pathlib import Path

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from alerts.review.audit import record_event
from alerts.web.auth import ANALYSTS, ApiError, action, page
from alerts.web.i18n import gettext_for
from alerts.web.templating import flash
from alerts.web.views.account import safe_next
from store.models import EvidenceBundle, Listing

log = logging.getLogger(__name__)
EXPORTER_MODULE = "alerts.evidence.export"


def find_exporter():
    """alerts.evidence.export.export_case, or None while that module is not installed."""
    try:
        module = importlib.import_module(EXPORTER_MODULE)
    except ImportError as exc:
        if exc.name and EXPORTER_MODULE.startswith(exc.name):
            return None
        raise
    return getattr(module, "export_case", None)


def _bundle_id(db, result) -> int | None:
    """The EvidenceBundle row for what the exporter returned (the ZIP path, a bundle, or an object with an id)."""
    if isinstance(result, EvidenceBundle):
        return result.id
    if isinstance(result, (str, Path)):
        return db.scalar(select(EvidenceBundle.id).where(EvidenceBundle.path == str(result))
                         .order_by(EvidenceBundle.id.desc()).limit(1))
    for attr in ("bundle_id", "id"):
        value = getattr(result, attr, None)
        if isinstance(value, int):
            return value
    bundle = getattr(result, "bundle", None)
    return bundle.id if isinstance(bundle, EvidenceBundle) else None


@action(roles=ANALYSTS)
def export_evidence(request: Request, db, data) -> Response:
    _ = gettext_for(request.state.lang)
    back = safe_next(data.get("next"), "/queue")
    exporter = request.app.state.evidence_exporter()
    user = request.state.user
    try:
        ids = sorted({int(x) for x in (data.get("ids") or [])})
    except (TypeError, ValueError):
        ids = []
    ids = [i for i in ids if db.get(Listing, i) is not None]
    if not ids:
        flash(request, "error", _("Tick at least one listing first."))
        return RedirectResponse(back, status_code=303)
    if exporter is None:
        flash(request, "error", _("The evidence exporter is not installed on this server."))
        return RedirectResponse(back, status_code=303)
    case_name = (data.get("case_name") or "").strip() or \
        f"case-{dt.datetime.now(dt.timezone.utc):%Y%m%d-%H%M}-{ids[0]}"
    db.commit()  # the exporter opens its own sessions; it must see everything saved so far
    try:
        report_language = data.get("report_language") or (user.language if user.language in ("ru", "kk") else "ru")
        result = exporter(request.app.state.settings, request.app.state.store, ids, case_name, user.username,
                          report_language if report_language in ("ru", "kk") else "ru")
    except Exception as exc:  # noqa: BLE001 - shown to the analyst and audited, the UI keeps working
        log.exception("evidence export failed")
        record_event(db, user.username, "evidence.export_failed", "case", case_name,
                     {"listing_ids": ids, "error": f"{type(exc).__name__}: {exc}"})
        flash(request, "error", _("Evidence export failed. The administrator finds the details in the audit log."))
        return RedirectResponse(back, status_code=303)
    bundle_id = _bundle_id(db, result)
    record_event(db, user.username, "evidence.export", "case", case_name,
                 {"listing_ids": ids, "bundle_id": bundle_id})
    if bundle_id:
        flash(request, "ok", _("Evidence bundle {case} is ready.", case=case_name))
        return RedirectResponse(f"/evidence/bundles/{bundle_id}", status_code=303)
    flash(request, "ok", _("Evidence bundle {case} is ready.", case=case_name))
    return RedirectResponse(back, status_code=303)


@page(roles=ANALYSTS)
def bundle_page(request: Request, db) -> Response:
    bundle = db.get(EvidenceBundle, request.path_params["bundle_id"])
    if bundle is None:
        raise ApiError(404, "not_found", f"no evidence bundle with id {request.path_params['bundle_id']}")
    _ = gettext_for(request.state.lang)
    return request.app.state.render(request, "bundle.html", {"bundle": bundle, "title": _("Evidence bundle")})


@page(roles=ANALYSTS)
def bundle_download(request: Request, db) -> Response:
    bundle = db.get(EvidenceBundle, request.path_params["bundle_id"])
    if bundle is None:
        raise ApiError(404, "not_found", f"no evidence bundle with id {request.path_params['bundle_id']}")
    settings = request.app.state.settings
    path = Path(bundle.path).expanduser()
    if not path.is_absolute():
        candidates = [settings.storage.data_path / path, Path(settings.evidence.export_dir).expanduser() / path, path]
        path = next((c for c in candidates if c.is_file()), candidates[0])
    if not path.is_file():
        raise ApiError(404, "not_found", "the bundle file is missing on the server")
    record_event(db, request.state.user.username, "evidence.download", "bundle", bundle.id, {"path": str(bundle.path)})
    return FileResponse(path, media_type="application/zip", filename=path.name)
