"""Police appeals in the review UI: the register, one appeal's page, creating one from a listing, moving it on."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from alerts.review.appeals import (COUNTRIES, STATUSES, AppealError, appeal_dict, appeal_stats, create_appeal, list_appeals,
                            update_appeal, year_range)
from alerts.review.queue import parse_day
from alerts.web.auth import ANALYSTS, ApiError, action, page
from alerts.web.i18n import N_, gettext_for
from alerts.web.templating import flash
from alerts.web.views.account import safe_next
from store.models import Appeal, EvidenceBundle

MAX_LISTINGS = 200  # one appeal form never names more listings than this
# The register's messages (English, from alerts/review/appeals.py) → UI msgids; anything else gets a general message.
ERROR_MESSAGES = [
    (re.compile(r"needs the registration number"),
     N_("Status “registered” needs the registration number (КУСП / ЕРДР). Enter it and save again.")),
    (re.compile(r"it can go to (?P<allowed>.+), not (?P<status>\w+)$"),
     N_("This appeal cannot move to “{status}” from its current status.")),
    (re.compile(r"^nothing to update"), N_("Nothing to save: choose a new status or fill in a field.")),
    (re.compile(r"^an appeal needs a case name"), N_("An appeal needs a case name.")),
    (re.compile(r"^an appeal needs at least one listing"), N_("An appeal needs at least one listing.")),
    (re.compile(r"^country must be one of"), N_("Choose the country: KZ, RU, MN or UZ.")),
    (re.compile(r"^unknown status"), N_("Unknown status.")),
    (re.compile(r"^no listing with id (?P<ids>[\d, ]+)$"), N_("There is no listing with number {ids}.")),
    (re.compile(r"^no evidence bundle with id"), N_("There is no such evidence bundle.")),
    (re.compile(r"^no appeal with id"), N_("There is no such appeal.")),
    (re.compile(r"signed when they are written"),
     N_("No usable signing key, and custody records are never stored unsigned: ask the administrator to set one up.")),
]


def install_globals(env) -> None:
    """Template globals the appeal forms need (the country list comes from the register)."""
    env.globals.update(APPEAL_COUNTRIES=COUNTRIES, APPEAL_STATUSES=STATUSES)


def error_text(_, exc: AppealError) -> str:
    """The register's error in the user's language when it is a known one, else its own words."""
    message = str(exc)
    for pattern, msgid in ERROR_MESSAGES:
        m = pattern.search(message)
        if m:
            values = {k: (v if k == "ids" else _(v)) for k, v in m.groupdict().items()}
            return _(msgid).format(**values) if values else _(msgid)
    return _("The request could not be carried out.")


def _int_or_none(value) -> int | None:
    """An optional integer form field; ValueError for anything but digits."""
    value = (value or "").strip() if isinstance(value, str) else value
    if value in (None, ""):
        return None
    return int(value)


def _when(value: str | None) -> dt.datetime | None:
    """An optional form date (DD.MM.YYYY or YYYY-MM-DD) as noon UTC (like `saigawatch appeals update --date`)."""
    if not value or not value.strip():
        return None
    day = parse_day(value)
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)


def _parse_iso(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _year(request: Request) -> int | None:
    raw = request.query_params.get("year", "")
    if raw == "all":
        return None
    try:
        year = int(raw)
    except ValueError:
        return dt.datetime.now(dt.timezone.utc).year
    return year if 2000 <= year <= 2100 else dt.datetime.now(dt.timezone.utc).year


@page(roles=ANALYSTS)
def appeals_page(request: Request, db) -> Response:
    """The register: every appeal, newest first, filtered by status and country, with the year's numbers."""
    _ = gettext_for(request.state.lang)
    status = request.query_params.get("status") or None
    country = request.query_params.get("country") or None
    error = None
    if status and status not in STATUSES:
        error, status = _("Unknown status."), None
    if country and country not in COUNTRIES:
        error, country = _("Choose the country: KZ, RU, MN or UZ."), None
    appeals = list_appeals(db, status=status, country=country)
    year = _year(request)
    start, end = year_range(year) if year else (None, None)
    numbers = appeal_stats(db, start=start, end=end)
    this_year = dt.datetime.now(dt.timezone.utc).year
    return request.app.state.render(request, "appeals.html", {
        "appeals": appeals, "status": status, "country": country, "error": error, "numbers": numbers,
        "year": year, "years": list(range(this_year, this_year - 6, -1)), "title": _("Appeals"),
    }, status_code=400 if error else 200)


def _bundles_for(db, listing_ids: set[int]) -> list[EvidenceBundle]:
    """Exported bundles that contain any of these listings, newest first."""
    recent = db.scalars(select(EvidenceBundle).order_by(EvidenceBundle.created_at.desc()).limit(500))
    return [b for b in recent if listing_ids & set(b.listing_ids or [])]


@page(roles=ANALYSTS)
def appeal_page(request: Request, db) -> Response:
    """One appeal: its facts, covered listings, linked bundle, history, and the form for its next step."""
    _ = gettext_for(request.state.lang)
    appeal = db.get(Appeal, request.path_params["appeal_id"])
    if appeal is None:
        raise ApiError(404, "not_found", f"no appeal with id {request.path_params['appeal_id']}")
    data = appeal_dict(appeal)
    history = [{**h, "when": _parse_iso(h.get("at"))} for h in data["history"]]
    bundle = db.get(EvidenceBundle, appeal.bundle_id) if appeal.bundle_id else None
    bundles = _bundles_for(db, {x.id for x in appeal.listings})
    return request.app.state.render(request, "appeal.html", {
        "appeal": appeal, "data": data, "history": history, "bundle": bundle, "bundles": bundles,
        "next_statuses": data["next_statuses"], "today": dt.datetime.now(dt.timezone.utc).date().isoformat(),
        "title": f"{_('Appeal')} {appeal.id}: {appeal.case_name}",
    })


@action(roles=ANALYSTS)
def create(request: Request, db, data) -> Response:
    """Form post ("Create appeal" on a listing page): a draft appeal for the given listings, then its page."""
    _ = gettext_for(request.state.lang)
    back = safe_next(data.get("next"), "/appeals")
    try:
        ids = list(dict.fromkeys(int(x) for x in (data.get("ids") or [])))
        bundle_id = _int_or_none(data.get("bundle_id"))
    except (TypeError, ValueError):
        flash(request, "error", _("Invalid selection."))
        return RedirectResponse(back, status_code=303)
    if len(ids) > MAX_LISTINGS:
        flash(request, "error", _("Invalid selection."))
        return RedirectResponse(back, status_code=303)
    case_name = (data.get("case_name") or "").strip()
    if not case_name and bundle_id is not None:
        bundle = db.get(EvidenceBundle, bundle_id)
        case_name = bundle.case_name if bundle else ""
    if not case_name and ids:
        case_name = f"appeal-{dt.datetime.now(dt.timezone.utc):%Y%m%d}-{ids[0]}"
    country = (data.get("country") or request.app.state.settings.evidence.default_country).strip().upper()
    try:
        appeal = create_appeal(db, case_name=case_name[:200], listing_ids=ids, actor=request.state.user.username,
                               country=country, authority=(data.get("authority") or "").strip(),
                               note=(data.get("note") or "").strip(), bundle_id=bundle_id)
    except AppealError as exc:
        db.rollback()
        flash(request, "error", _("The appeal was not created: {error}", error=error_text(_, exc)))
        return RedirectResponse(back, status_code=303)
    flash(request, "ok", _("Appeal {id} created as a draft.", id=appeal.id))
    return RedirectResponse(f"/appeals/{appeal.id}", status_code=303)


@action(roles=ANALYSTS)
def update(request: Request, db, data) -> Response:
    """Form post from an appeal's page: next status (only those the register allows), number, details, note."""
    _ = gettext_for(request.state.lang)
    appeal_id = request.path_params["appeal_id"]
    appeal = db.get(Appeal, appeal_id)
    if appeal is None:
        raise ApiError(404, "not_found", f"no appeal with id {appeal_id}")
    back = f"/appeals/{appeal_id}"
    try:
        bundle_id = _int_or_none(data.get("bundle_id"))
        add_listing = _int_or_none(data.get("add_listing"))
    except (TypeError, ValueError):
        flash(request, "error", _("The appeal was not changed: {error}", error=_("a listing or bundle id must be a number")))
        return RedirectResponse(back, status_code=303)
    try:
        at = _when(data.get("date"))
    except ValueError:
        flash(request, "error", _("The appeal was not changed: {error}", error=_("enter the date as DD.MM.YYYY")))
        return RedirectResponse(back, status_code=303)
    if at is not None and at.date() > dt.datetime.now(dt.timezone.utc).date():
        flash(request, "error", _("The appeal was not changed: {error}", error=_("the date is in the future")))
        return RedirectResponse(back, status_code=303)
    number = (data.get("registration_number") or "").strip() or None
    authority = data.get("authority")
    outcome = (data.get("outcome") or "").strip() or None
    try:
        update_appeal(db, appeal_id, actor=request.state.user.username, status=data.get("status") or None,
                      registration_number=number if number != appeal.registration_number else None,
                      authority=authority.strip() if isinstance(authority, str) else None,
                      outcome=outcome if outcome != appeal.outcome else None,
                      note=(data.get("note") or "").strip(), at=at,
                      bundle_id=bundle_id if bundle_id != appeal.bundle_id else None,
                      add_listing_ids=[add_listing] if add_listing is not None else None,
                      settings=request.app.state.settings)
    except AppealError as exc:
        db.rollback()  # the register may have changed fields before it refused; keep nothing
        flash(request, "error", _("The appeal was not changed: {error}", error=error_text(_, exc)))
        return RedirectResponse(back, status_code=303)
    flash(request, "ok", _("Appeal {id} saved: {status}.", id=appeal_id, status=_(appeal.status)))
    return RedirectResponse(back, status_code=303)
