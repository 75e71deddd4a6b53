"""Turn a Digest into plain text, an HTML email body, and Telegram-sized HTML messages."""
from __future__ import annotations

from html import escape

from alerts.i18n import N_, Gettext
from alerts.notify.digest import Digest, DigestItem
from alerts.notify.wording import INTENTS, gettext_for, step_name

TELEGRAM_LIMIT = 4096


def _item_line(item: DigestItem, _: Gettext) -> str:
    bits = [f"[{item.platform}]", item.title or _("(no title)")]
    if item.price:
        bits.append(f"— {item.price}")
    if item.score is not None:
        kind = [_(INTENTS[item.intent])] if item.intent in INTENTS else []
        bits.append("(" + ", ".join([_("score {score}", score=f"{item.score:.2f}"), *kind]) + ")")
    if item.copies > 1:
        bits.append(_.n("×{n} copy", "×{n} copies", item.copies))
    return " ".join(bits)


def _sections(d: Digest, _: Gettext) -> list[tuple[str, list[str]]]:
    """(heading, lines) in the order every channel shows them; plain text lines."""
    out: list[tuple[str, list[str]]] = []
    if d.failed_steps:
        out.append((_("Failed pipeline steps"), [_("{step} (see the log)", step=step_name(s, _)) for s in d.failed_steps]))
    if d.blocked:
        out.append((_("Sources blocked or not configured"), [f"{p.source}: {p.message}" for p in d.blocked]))
    if d.health:
        out.append((_("Crawl health alerts"), [f"{p.source}: {p.message}" for p in d.health]))
    if d.markup:
        out.append((_("Markup-change errors"), [f"{p.source}: {p.message}" for p in d.markup]))
    return out


def _counts(d: Digest, _: Gettext) -> tuple[str, str]:
    """"12 new listings flagged", "1 new confirmed case" with the language's plural forms."""
    flagged = _.n("{n} new listing flagged", "{n} new listings flagged", d.flagged_count)  # one per offer (case)
    if d.flagged_copies > d.flagged_count:  # reposts: a secondary figure
        flagged += " " + _.n("({n} copy with reposts)", "({n} copies with reposts)", d.flagged_copies)
    return (flagged, _.n("{n} new confirmed case", "{n} new confirmed cases", d.confirmed_count))


def _totals(d: Digest, _: Gettext) -> str:
    t = d.totals
    return _("Sources crawled: {sources}, pages: {pages}, listings seen: {seen} (new {new}, changed {changed})",
             sources=t.get("sources", 0), pages=t.get("pages_fetched", 0), seen=t.get("listings_seen", 0),
             new=t.get("listings_new", 0), changed=t.get("listings_changed", 0))


def render_text(d: Digest) -> str:
    """The plain-text digest (email text part, webhook 'text')."""
    _ = gettext_for(d.language)
    lines = [_("SaigaWatch daily run {run} — {day}", run=d.run_id, day=d.run_day), ""]
    if d.totals:
        lines.append(_totals(d, _))
    lines.extend(_counts(d, _))
    lines.append("")
    if d.flagged:
        if d.flagged_count > len(d.flagged):
            lines.append(_("Flagged for review (top {shown} of {total}):", shown=len(d.flagged), total=d.flagged_count))
        else:
            lines.append(_("Flagged for review") + ":")
        for i, item in enumerate(d.flagged, 1):
            lines.append(f"{i}. {_item_line(item, _)}")
            lines.append(f"   {_('review')}: {item.review_url}")
        lines.append("")
    if d.confirmed:
        lines.append(_("Confirmed by analysts since the previous run") + ":")
        for i, item in enumerate(d.confirmed, 1):
            lines.append(f"{i}. {_item_line(item, _)}")
            lines.append(f"   {item.review_url}")
        lines.append("")
    for heading, items in _sections(d, _):
        lines.append(f"{heading}:")
        lines.extend(f"- {x}" for x in items)
        lines.append("")
    if d.is_empty:
        lines.append(_("Nothing new today; every source ran normally."))
        lines.append("")
    lines.append(_("Review queue: {url}", url=f"{d.review_url}/queue"))
    return "\n".join(lines).rstrip() + "\n"


def render_html(d: Digest) -> str:
    """A small self-contained HTML body (no external resources)."""
    e = escape
    _ = gettext_for(d.language)
    parts = [
        f"<!doctype html><html lang='{e(d.language)}'><head><meta charset='utf-8'><title>" + e(d.subject("SaigaWatch"))
        + "</title></head>",
        "<body style='font-family:DejaVu Sans,Arial,sans-serif;font-size:14px;color:#222'>",
        f"<h2 style='margin:0 0 8px'>{e(_('SaigaWatch — {day} (run {run})', day=d.run_day, run=d.run_id))}</h2>",
    ]
    if d.totals:
        parts.append(f"<p>{e(_totals(d, _))}</p>")
    parts.append("<p>" + " · ".join(f"<b>{e(c)}</b>" for c in _counts(d, _)) + "</p>")

    def table(items: list[DigestItem]) -> str:
        rows = ["<table cellpadding='4' style='border-collapse:collapse'>",
                "<tr style='background:#eee'><th>#</th>" + "".join(f"<th>{e(_(h))}</th>" for h in
                                                                  (N_("Platform"), N_("Listing"), N_("Price"),
                                                                   N_("Score"))) + "</tr>"]
        for i, it in enumerate(items, 1):
            score = f"{it.score:.2f}" if it.score is not None else ""
            intent = _(INTENTS[it.intent]) if it.intent in INTENTS else ""
            rows.append(f"<tr><td>{i}</td><td>{e(it.platform)}</td><td><a href='{e(it.review_url)}'>"
                        f"{e(it.title or _('(no title)'))}</a> <small>(<a href='{e(it.source_url)}'>{e(_('original'))}</a>)"
                        f"</small></td><td>{e(it.price)}</td><td>{score}{' ' + e(intent) if intent else ''}</td></tr>")
        rows.append("</table>")
        return "".join(rows)

    if d.flagged:
        parts.append(f"<h3>{e(_('Flagged for review'))}</h3>" + table(d.flagged))
        more = d.flagged_count - len(d.flagged)
        if more > 0:
            parts.append("<p>" + e(_.n("… and {n} more listing in the queue.", "… and {n} more listings in the queue.",
                                       more)) + "</p>")
    if d.confirmed:
        parts.append(f"<h3>{e(_('Confirmed by analysts since the previous run'))}</h3>" + table(d.confirmed))
    for heading, items in _sections(d, _):
        parts.append(f"<h3 style='color:#a30'>{e(heading)}</h3><ul>" + "".join(f"<li>{e(x)}</li>" for x in items) + "</ul>")
    if d.is_empty:
        parts.append(f"<p>{e(_('Nothing new today; every source ran normally.'))}</p>")
    parts.append(f"<p><a href='{e(d.review_url)}/queue'>{e(_('Open the review queue'))}</a></p></body></html>")
    return "\n".join(parts)


def render_telegram(d: Digest) -> list[str]:
    """Telegram HTML messages, each within the Bot API's 4096-character limit."""
    e = escape
    _ = gettext_for(d.language)
    blocks = [f"<b>{e(_('SaigaWatch — {day} (run {run})', day=d.run_day, run=d.run_id))}</b>\n"
              + " · ".join(e(c) for c in _counts(d, _))]
    for heading, items in ((_("Flagged for review"), d.flagged), (_("Confirmed cases"), d.confirmed)):
        if items:
            lines = [f"<b>{e(heading)}</b>"]
            for i, it in enumerate(items, 1):
                lines.append(f"{i}. <a href=\"{e(it.review_url)}\">{e(_item_line(it, _))}</a>")
            blocks.append("\n".join(lines))
    for heading, items in _sections(d, _):
        blocks.append(f"<b>⚠ {e(heading)}</b>\n" + "\n".join(f"• {e(x)}" for x in items))
    if d.is_empty:
        blocks.append(e(_("Nothing new today; every source ran normally.")))
    return _pack(blocks)


def _pack(blocks: list[str]) -> list[str]:
    """Join blocks into messages under the limit; an oversized block is split on line breaks."""
    pieces = [piece for block in blocks
              for piece in ([block] if len(block) <= TELEGRAM_LIMIT else _split_lines(block))]
    return _fill(pieces, "\n\n")


def _split_lines(block: str) -> list[str]:
    """An oversized block as parts under the limit, cut between lines (an overlong line is truncated)."""
    return _fill([line[: TELEGRAM_LIMIT - 1] for line in block.split("\n")], "\n")


def _fill(pieces: list[str], sep: str) -> list[str]:
    """Join pieces (each under the limit) in order with `sep` into as few parts under the limit as fit."""
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{sep}{piece}" if current else piece
        if len(candidate) <= TELEGRAM_LIMIT:
            current = candidate
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts
