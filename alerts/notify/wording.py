"""The digest's words in the configured language (catalogue in alerts/notify/translations), and names for its codes."""
from __future__ import annotations

from pathlib import Path

from alerts.i18n import Gettext, N_, load_translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"

# codes the digest shows → msgid
PIPELINE_STEPS = {"crawl": N_("crawl"), "classify": N_("classification"), "capture": N_("evidence capture"),
                  "liveness": N_("online re-checks"), "health": N_("crawl health check"), "reports": N_("reports")}
INTENTS = {"sell": N_("sale"), "buy": N_("purchase"), "unknown": N_("intent unclear")}
SOURCE_STATES = {"blocked": N_("blocked by the site"), "not_configured": N_("not configured")}


def gettext_for(lang: str) -> Gettext:
    """`_` and `_.n` for the digest in one language (English shows the msgids)."""
    return Gettext(lang, load_translations(TRANSLATIONS_DIR, lang))


def step_name(step: str, _: Gettext) -> str:
    return _(PIPELINE_STEPS[step]) if step in PIPELINE_STEPS else step


def health_text(alert: dict, _: Gettext) -> str:
    """A crawl-health alert (crawler.health.HealthAlert as a dict) in the reader's language."""
    kind, detail = alert.get("kind"), alert.get("detail")
    average = alert.get("average")
    if kind == "error":
        text = _("the crawl failed")
    elif kind == "zero_yield":
        text = _("found no listings")
        if average:
            text += " " + _("(average {average})", average=f"{average:.1f}")
        if alert.get("reason") == "no_results":
            text += ": " + _("the site answered «nothing found» to every query")
        elif alert.get("reason") == "markup":
            text += ": " + _("the site's markup may have changed")
    elif kind == "yield_drop" and alert.get("listings") is not None and average:
        seen = alert["listings"]
        text = _.n("found {n} listing", "found {n} listings", seen)
        text += ", " + _("{share} of its average {average}", share=f"{seen / average:.0%}", average=f"{average:.1f}")
        if alert.get("threshold") is not None:
            text += " " + _("(alert below {threshold})", threshold=f"{alert['threshold']:.0%}")
    elif kind == "missing":
        text = _("did not run in this crawl")
    elif kind in SOURCE_STATES:
        text = _(SOURCE_STATES[kind])
    elif kind == "markup":
        text = _("the markup has changed")
    else:
        return str(alert.get("message") or kind)
    return f"{text}: {detail}" if detail and kind != "zero_yield" else text
