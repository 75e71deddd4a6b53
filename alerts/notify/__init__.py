"""Notifications after each run: an email digest, a Telegram message and a JSON webhook; one failing channel never fails the run."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable

from alerts.notify.digest import Digest, build_digest, flagged_to_notify, review_base_url
from alerts.notify.email import ChannelError, send_email
from alerts.notify.telegram import send_telegram
from alerts.notify.webhook import send_webhook
from alerts.notify.wording import gettext_for
from config import Settings
from store.work import NOTIFY, settle

log = logging.getLogger("saigawatch.notify")

__all__ = ["ChannelError", "Digest", "build_digest", "notify_step", "send_digest", "send_test_digest"]


def _channels(settings: Settings) -> list[tuple[str, bool, Callable[[Digest], str]]]:
    n = settings.notify
    return [
        ("email", n.smtp.enabled, lambda d: send_email(n.smtp, d)),
        ("telegram", n.telegram.enabled, lambda d: send_telegram(n.telegram, d)),
        ("webhook", n.webhook.enabled, lambda d: send_webhook(n.webhook, d)),
    ]


def send_digest(settings: Settings, digest: Digest) -> dict[str, str]:
    """Send through every enabled channel; {channel: "sent: …" | "error: …" | "disabled" | "skipped: …"}."""
    status: dict[str, str] = {}
    quiet = digest.is_empty and not settings.notify.send_when_empty
    for name, enabled, send in _channels(settings):
        if not enabled:
            status[name] = "disabled"
            continue
        if quiet:
            status[name] = "skipped: nothing to report (notify.send_when_empty is false)"
            continue
        try:
            detail = send(digest)
        except ChannelError as exc:
            log.error("notify: %s failed: %s", name, exc)
            status[name] = f"error: {exc}"
        except Exception as exc:  # noqa: BLE001 - a channel bug must not fail the run either
            log.exception("notify: %s failed unexpectedly", name)
            status[name] = f"error: {type(exc).__name__}: {exc}"
        else:
            log.info("notify: %s %s", name, detail)
            status[name] = f"sent: {detail}"
    return status


def send_test_digest(settings: Settings, store=None, run: Any = None) -> dict[str, str]:
    """Send the digest of `run` (a CrawlRun; an empty digest without one) through every enabled channel, marked
    as a test (subject prefix "… test", in notify.language) and sent even when empty; the same statuses as send_digest."""
    if store is not None and run is not None:
        with store.session() as session:
            digest = build_digest(session, settings, run.id, (run.stats or {}).get("pipeline") or {})
    else:
        now = dt.datetime.now(dt.timezone.utc)
        digest = Digest(run_id=0, run_day=now.date().isoformat(), generated_at=now.isoformat(timespec="seconds"),
                        review_url=review_base_url(settings), language=settings.notify.language)
    n = settings.notify
    _ = gettext_for(n.language)
    test = _("test")
    test_settings = settings.model_copy(update={"notify": n.model_copy(update={
        "smtp": n.smtp.model_copy(update={"subject_prefix": f"{n.smtp.subject_prefix} {test}"}),
        "send_when_empty": True})})
    return send_digest(test_settings, digest)


def notify_step(ctx) -> dict[str, Any]:
    """Pipeline step: build this run's digest and send it through the enabled channels.

    The digest lists every flagged listing not yet notified; they stay owed (for the next run) only when every
    enabled channel failed.
    """
    with ctx.store.session() as session:
        owed = flagged_to_notify(session, ctx.results)
        digest = build_digest(session, ctx.settings, ctx.crawl_run_id, ctx.results, ctx.now)
    channels = send_digest(ctx.settings, digest)
    enabled = [v for v in channels.values() if v != "disabled"]
    delivered = not enabled or any(not v.startswith("error") for v in enabled)
    if delivered:
        with ctx.store.session() as session:
            settle(session, NOTIFY, owed)
    status = ", ".join(f"{k} {v.split(':', 1)[0]}" for k, v in channels.items() if v != "disabled") or "no channel enabled"
    return {
        "channels_status": status,  # e.g. "email sent, telegram error" (one line for the run summary)
        "flagged": digest.flagged_count,
        "confirmed": digest.confirmed_count,
        "alerts": digest.alert_count,
        "channels": channels,
        "sent": sorted(k for k, v in channels.items() if v.startswith("sent")),
        "failed": sorted(k for k, v in channels.items() if v.startswith("error")),
        "still_owed": 0 if delivered else len(owed),
    }
