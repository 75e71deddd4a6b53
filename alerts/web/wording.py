"""The UI's names for stored codes: capture steps, HTTP results, countries, languages, platforms, audit actions."""
from __future__ import annotations

import re
from typing import Any

from alerts.web.i18n import N_

STEP_LABELS = {"warc": N_("web archive (WARC)"), "screenshot": N_("screenshot"), "context": N_("search page and seller"),
               "environment": N_("capture computer"), "sign": N_("signature"), "timestamp": N_("trusted timestamp")}
STEP_STATUSES = {"ok": N_("done"), "error": N_("failed"), "skipped": N_("skipped"), "partial": N_("partly done"),
                 "pending": N_("waiting")}
CAPTURE_REASONS = {"flagged": N_("flagged listing"), "changed": N_("the listing changed"), "manual": N_("captured by hand")}
SOURCE_KINDS = {"search": N_("search"), "channel": N_("channel"), "community": N_("community"), "forum": N_("forum"),
                "site": N_("site")}
RUN_STATUSES = {"ok": N_("ok"), "blocked": N_("blocked"), "error": N_("error"), "empty": N_("nothing found"),
                "running": N_("running"), "partial": N_("partly done")}
CAPTURE_KINDS = {"page": N_("listing page"), "search": N_("search page"), "api": N_("platform data"),
                 "liveness": N_("online check"), "blocked": N_("blocked by the site"), "image": N_("photo")}
COUNTRY_NAMES = {"KZ": N_("Kazakhstan"), "RU": N_("Russia"), "MN": N_("Mongolia"), "UZ": N_("Uzbekistan"),
                 "CN": N_("China"), "UA": N_("Ukraine")}
LANGUAGE_NAMES = {"ru": N_("Russian"), "kk": N_("Kazakh"), "zh": N_("Chinese"), "mn": N_("Mongolian"),
                  "uz": N_("Uzbek"), "uk": N_("Ukrainian"), "en": N_("English"), "other": N_("other language")}
PLATFORM_NAMES = {"olx": "OLX", "avito": "Avito", "xianyu": "Xianyu", "telegram": "Telegram", "vk": "VK",
                  "weibo": "Weibo", "tieba": "Tieba"}
# audit action → msgid; detail keys → msgid
AUDIT_ACTIONS = {
    "review": N_("decision"), "review.decide": N_("decision"), "review.bulk_action": N_("bulk decision"),
    "evidence.export": N_("evidence exported"), "evidence.export_failed": N_("evidence export failed"),
    "evidence.download": N_("bundle downloaded"), "appeal_create": N_("appeal created"),
    "appeal_update": N_("appeal changed"), "login": N_("logged in"), "login_failed": N_("failed login"),
    "logout": N_("logged out"), "login.failed": N_("failed login"), "login.blocked": N_("login blocked"),
    "review.bulk": N_("bulk decision"), "evidence_export": N_("evidence exported"), "user.create": N_("user created"), "user.role": N_("role changed"),
    "user.disable": N_("account disabled"), "user.enable": N_("account enabled"), "user.password": N_("password changed"),
    "user.language": N_("language changed"), "audit.verify": N_("audit log checked"),
}
OBJECT_TYPES = {"user": N_("user"), "case": N_("case"), "bundle": N_("bundle"), "listing": N_("Listing"),
                "appeal": N_("Appeal"), "account": N_("Account")}
AUDIT_FIELDS = {"decision": N_("decision"), "listing_ids": N_("listings"), "bundle_id": N_("bundle"),
                "error": N_("error"), "path": N_("file"), "status": N_("status"), "note": N_("note"),
                "registration_number": N_("registration number"), "case": N_("case"), "role": N_("role"),
                "language": N_("language"), "happened_at": N_("when it happened"), "country": N_("country"),
                "ip": N_("address"), "count": N_("number"),
                "from": N_("from"), "to": N_("to"), "listings": N_("listings"), "bundle": N_("bundle"),
                "changes": N_("changes"), "review_id": N_("decision number"), "authority": N_("authority"),
                "outcome": N_("outcome"), "username": N_("user"), "reason": N_("reason")}
# stored values shown in audit details → msgid
AUDIT_VALUES = {"sale": N_("Confirmed sale"), "buy": N_("Confirmed buy"), "not_trade": N_("Not trade"),
                "unsure": N_("Unsure"), "analyst": N_("analyst"), "admin": N_("admin"), "viewer": N_("viewer"),
                "draft": N_("draft"), "submitted": N_("submitted"), "registered": N_("registered"),
                "refused": N_("refused"), "case_opened": N_("case_opened"), "court": N_("court"), "closed": N_("closed"),
                "ru": N_("Russian"), "kk": N_("Kazakh"), "en": N_("English")}



def http_status_text(status: int | None) -> str:
    """A msgid for an HTTP result as a reader understands it."""
    if status is None:
        return N_("no answer")
    if 200 <= status < 300:
        return N_("page opened")
    if 300 <= status < 400:
        return N_("redirected")
    if status in (404, 410):
        return N_("page gone")
    if status in (403, 429):
        return N_("blocked by the site")
    return N_("site error")


def audit_details(details: Any, _) -> list[tuple[str, str]]:
    """(label, value) pairs of an audit entry's details, in the user's language (no Python dicts)."""
    if not isinstance(details, dict):
        return []
    return [(_field(key, _), _value(value, _)) for key, value in details.items()]


def _field(key: str, _) -> str:
    return _(AUDIT_FIELDS[key]) if key in AUDIT_FIELDS else key.replace("_", " ")


def _value(value: Any, _) -> str:
    """A detail value as words: known codes translated, lists joined, nested mappings as 'field: value'."""
    if isinstance(value, list):
        return ", ".join(_value(v, _) for v in value[:20]) + (" …" if len(value) > 20 else "")
    if isinstance(value, dict):
        return "; ".join(f"{_field(k, _)}: {_value(v, _)}" for k, v in value.items())
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and value in AUDIT_VALUES:
        return _(AUDIT_VALUES[value])
    return str(value)


def template_names(_) -> dict[str, Any]:
    """Per-request helpers for templates: code → name in the user's language."""
    return {
        "country_name": lambda code: _(COUNTRY_NAMES[code]) if code in COUNTRY_NAMES else (code or "—"),
        "language_name": lambda code: _(LANGUAGE_NAMES[code]) if code in LANGUAGE_NAMES else (code or "—"),
        "platform_name": lambda code: _(N_("website")) if code == "site" else PLATFORM_NAMES.get(code, code or "—"),
        "audit_action": lambda code: _(AUDIT_ACTIONS[code]) if code in AUDIT_ACTIONS else code,
        "audit_details": lambda details: audit_details(details, _),
    }


TEMPLATE_GLOBALS = {"STEP_LABELS": STEP_LABELS, "STEP_STATUSES": STEP_STATUSES, "CAPTURE_REASONS": CAPTURE_REASONS,
                    "CAPTURE_KINDS": CAPTURE_KINDS, "OBJECT_TYPES": OBJECT_TYPES,
                    "SOURCE_KINDS": SOURCE_KINDS, "RUN_STATUSES": RUN_STATUSES, "http_status_text": http_status_text}


# Domain errors (English, for the CLI and the log) → the UI's msgid; {field} is a form field's label.
FIELD_LABELS = {"min_score": N_("Score from"), "max_score": N_("Score to"), "date_from": N_("Flagged from"),
                "date_to": N_("Flagged to"), "status": N_("Status"), "day": N_("Day"), "decision": N_("Decision"),
                "note": N_("Note")}
ERROR_PATTERNS = [
    (re.compile(r"^(?P<field>\w+): expected a number between 0 and 1"), N_("{field}: enter a number from 0 to 1.")),
    (re.compile(r"^(?P<field>\w+): expected a date as"), N_("{field}: enter a date.")),
    (re.compile(r"^(?P<field>\w+): expected one of"), N_("{field}: choose one of the offered values.")),
    (re.compile(r"^note: at most (?P<n>\d+) characters"), N_("The note is too long: at most {n} characters.")),
    (re.compile(r"^no listing with id"), N_("There is no such listing.")),
    (re.compile(r"^password too short: at least (?P<n>\d+)"), N_("The password is too short: at least {n} characters.")),
    (re.compile(r"^no user named"), N_("There is no such user.")),
    (re.compile(r"^invalid username"), N_("The user name may hold 2–80 letters, digits, '_', '.', '@' or '-'.")),
    (re.compile(r"^invalid role"), N_("Choose a role from the list.")),
    (re.compile(r"^invalid language"), N_("Choose a language from the list.")),
    (re.compile(r"already exists$"), N_("A user with this name already exists.")),
    (re.compile(r"^unknown operation"), N_("Unknown action.")),
]


def error_text(exc: Exception, _) -> str:
    """A domain error in the user's language; an unknown one as a general message (its words go to the log)."""
    message = str(exc)
    for pattern, msgid in ERROR_PATTERNS:
        m = pattern.search(message)
        if m:
            values = m.groupdict()
            if "field" in values:
                values["field"] = _(FIELD_LABELS[values["field"]]) if values["field"] in FIELD_LABELS else values["field"]
            return _(msgid, **values)
    return _("The request could not be carried out.")


# Stored codes the templates translate with _(code): marked here so the catalogue test knows them.
CODE_MSGIDS = (
    N_("draft"), N_("submitted"), N_("registered"), N_("refused"), N_("case_opened"), N_("court"), N_("closed"),
    N_("analyst"), N_("admin"), N_("viewer"), N_("sell"), N_("buy"), N_("unknown"), N_("trade"), N_("firearm"),
    N_("souvenir"), N_("news"), N_("other-horn"), N_("medicine"), N_("irrelevant"), N_("high"), N_("low"), N_("none"),
    N_("ok"), N_("alert"), N_("no runs"), N_("seller"), N_("phone"), N_("handle"), N_("Status"),
    N_("Registration number (КУСП / ЕРДР)"), N_("Authority"), N_("Outcome"), N_("Evidence bundle"), N_("Listings"),
    N_("Confirmed sale"), N_("Confirmed buy"), N_("Not trade"), N_("Unsure"), N_("horn"), N_("product"),
    N_("protected"), N_("other step"), N_("other reason"), N_("other page"), N_("other source"), N_("other result"),
)
