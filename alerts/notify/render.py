"""Turn a Digest into plain text, an HTML email body, and Telegram-sized HTML messages."""
from __future__ import annotations

from html import escape

from alerts.notify.digest import Digest, DigestItem

TELEGRAM_LIMIT = 4096


def _item_line(item: DigestItem) -> str:
    bits = [f"[{item.platform}]", item.title or "(no title)"]
    if item.price:
        bits.append(f"— {item.price}")
    if item.score is not None:
        bits.append(f"(score {item.score:.2f}{', ' + item.intent if item.intent else ''})")
    if item.copies > 1:
        bits.append(f"×{item.copies} copies")
    return " ".join(bits)


def _sections(d: Digest) -> list[tuple[str, list[str]]]:
    """(heading, lines) in the order every channel shows them; plain text lines."""
    out: list[tuple[str, list[str]]] = []
    if d.failed_steps:
        out.append(("Failed pipeline steps", [f"{s} (see the log)" for s in d.failed_steps]))
    if d.blocked:
        out.append(("Sources blocked or not configured", [f"{p.source}: {p.message}" for p in d.blocked]))
    if d.health:
        out.append(("Crawl health alerts", [f"{p.source}: {p.message}" for p in d.health]))
    if d.markup:
        out.append(("Markup-change errors", [f"{p.source}: {p.message}" for p in d.markup]))
    return out


def render_text(d: Digest) -> str:
    """The plain-text digest (email text part, webhook 'text')."""
    lines = [f"SaigaWatch daily run {d.run_id} — {d.run_day}", ""]
    t = d.totals
    if t:
        lines.append(f"Sources crawled: {t.get('sources', 0)}, pages: {t.get('pages_fetched', 0)}, "
                     f"listings seen: {t.get('listings_seen', 0)} (new {t.get('listings_new', 0)}, "
                     f"changed {t.get('listings_changed', 0)})")
    lines.append(f"New flagged offers (cases): {d.flagged_count}" + (f" ({d.flagged_copies} listings with reposts)"
                                                                     if d.flagged_copies > d.flagged_count else ""))
    lines.append(f"New confirmed cases: {d.confirmed_count}")
    lines.append("")
    if d.flagged:
        more = f" (top {len(d.flagged)} of {d.flagged_count})" if d.flagged_count > len(d.flagged) else ""
        lines.append(f"Flagged for review{more}:")
        for i, item in enumerate(d.flagged, 1):
            lines.append(f"{i}. {_item_line(item)}")
            lines.append(f"   review: {item.review_url}")
        lines.append("")
    if d.confirmed:
        lines.append("Confirmed by analysts since the previous run:")
        for i, item in enumerate(d.confirmed, 1):
            lines.append(f"{i}. {_item_line(item)}")
            lines.append(f"   {item.review_url}")
        lines.append("")
    for heading, items in _sections(d):
        lines.append(f"{heading}:")
        lines.extend(f"- {x}" for x in items)
        lines.append("")
    if d.is_empty:
        lines.append("Nothing new today; every source ran normally.")
        lines.append("")
    lines.append(f"Review queue: {d.review_url}/queue")
    return "\n".join(lines).rstrip() + "\n"


def render_html(d: Digest) -> str:
    """A small self-contained HTML body (no external resources)."""
    e = escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>" + e(d.subject("SaigaWatch")) + "</title></head>",
        "<body style='font-family:DejaVu Sans,Arial,sans-serif;font-size:14px;color:#222'>",
        f"<h2 style='margin:0 0 8px'>SaigaWatch — {e(d.run_day)} (run {d.run_id})</h2>",
    ]
    t = d.totals
    if t:
        parts.append(f"<p>Sources crawled: {t.get('sources', 0)} · pages: {t.get('pages_fetched', 0)} · listings seen: "
                     f"{t.get('listings_seen', 0)} (new {t.get('listings_new', 0)}, changed {t.get('listings_changed', 0)})</p>")
    parts.append(f"<p><b>New flagged offers (cases): {d.flagged_count}</b> ({d.flagged_copies} listings) · <b>New confirmed cases: {d.confirmed_count}</b></p>")

    def table(items: list[DigestItem]) -> str:
        rows = ["<table cellpadding='4' style='border-collapse:collapse'>",
                "<tr style='background:#eee'><th>#</th><th>Platform</th><th>Listing</th><th>Price</th><th>Score</th></tr>"]
        for i, it in enumerate(items, 1):
            score = f"{it.score:.2f}" if it.score is not None else ""
            rows.append(f"<tr><td>{i}</td><td>{e(it.platform)}</td><td><a href='{e(it.review_url)}'>{e(it.title or '(no title)')}</a>"
                        f" <small>(<a href='{e(it.source_url)}'>original</a>)</small></td><td>{e(it.price)}</td>"
                        f"<td>{score}{' ' + e(it.intent) if it.intent else ''}</td></tr>")
        rows.append("</table>")
        return "".join(rows)

    if d.flagged:
        parts.append("<h3>Flagged for review</h3>" + table(d.flagged))
        if d.flagged_count > len(d.flagged):
            parts.append(f"<p>… and {d.flagged_count - len(d.flagged)} more in the <a href='{e(d.review_url)}/queue'>queue</a>.</p>")
    if d.confirmed:
        parts.append("<h3>Confirmed by analysts since the previous run</h3>" + table(d.confirmed))
    for heading, items in _sections(d):
        parts.append(f"<h3 style='color:#a30'>{e(heading)}</h3><ul>" + "".join(f"<li>{e(x)}</li>" for x in items) + "</ul>")
    if d.is_empty:
        parts.append("<p>Nothing new today; every source ran normally.</p>")
    parts.append(f"<p><a href='{e(d.review_url)}/queue'>Open the review queue</a></p></body></html>")
    return "\n".join(parts)


def render_telegram(d: Digest) -> list[str]:
    """Telegram HTML messages, each within the Bot API's 4096-character limit."""
    e = escape
    blocks = [f"<b>SaigaWatch {e(d.run_day)}</b> (run {d.run_id})\n"
              f"New flagged: <b>{d.flagged_count}</b> · confirmed: <b>{d.confirmed_count}</b>"]
    if d.flagged:
        lines = ["<b>Flagged for review</b>"]
        for i, it in enumerate(d.flagged, 1):
            lines.append(f"{i}. <a href=\"{e(it.review_url)}\">{e(_item_line(it))}</a>")
        blocks.append("\n".join(lines))
    if d.confirmed:
        lines = ["<b>Confirmed cases</b>"]
        for i, it in enumerate(d.confirmed, 1):
            lines.append(f"{i}. <a href=\"{e(it.review_url)}\">{e(_item_line(it))}</a>")
        blocks.append("\n".join(lines))
    for heading, items in _sections(d):
        blocks.append(f"<b>⚠ {e(heading)}</b>\n" + "\n".join(f"• {e(x)}" for x in items))
    if d.is_empty:
        blocks.append("Nothing new today; every source ran normally.")
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
