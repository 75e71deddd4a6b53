"""`saigawatch queue`: print today's flagged queue, one line per case (the same list the review UI shows)."""
from __future__ import annotations

import json

import click

from alerts.review.queue import STATUS_FILTERS, QueueFilterError, QueueFilters, flagged_queue
from saigawatch.context import UserError, get_context


def register(app: click.Group) -> None:
    app.add_command(queue)


@click.command("queue")
@click.option("--day", default=None, help="Queue day as YYYY-MM-DD (default: today in web.timezone).")
@click.option("--status", type=click.Choice(STATUS_FILTERS), default="open", show_default=True,
              help="open = flagged that day plus the unreviewed backlog; or one review status; or all.")
@click.option("--platform", default=None, help="Only this platform (olx, avito, telegram, ...).")
@click.option("--language", default=None, help="Only this language code (ru, kk, zh, ...).")
@click.option("--min-score", type=float, default=None, help="Only cases whose best copy scores at least this (0..1).")
@click.option("--search", "q", default=None, help="Only cases with a copy whose title or text contains this text.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True, help="How many to print.")
@click.option("--uncertain", is_flag=True,
              help="Instead, list unreviewed listings scored closest to the threshold (the best ones to label next).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object with counts and items).")
def queue(day, status, platform, language, min_score, q, limit, uncertain, as_json) -> None:
    """Print the flagged queue, one line per case (an offer with all its copies), highest score first."""
    ctx = get_context()
    if uncertain:
        _print_uncertain(ctx, limit, as_json)
        return
    try:
        filters = QueueFilters(status=status, platform=platform, language=language, min_score=min_score, q=q)
        with ctx.store().session() as session:
            result = flagged_queue(session, day=day, filters=filters, page_size=limit,
                                   timezone=ctx.settings.web.timezone)
            items = [{
                "case_id": i.case.id if i.case else None, "copies": i.case.copies if i.case else 1,
                "platforms": (i.case.platforms.split(",") if i.case and i.case.platforms else [i.listing.platform]),
                "sellers": i.seller_names,
                "first_seen": i.case.first_seen.isoformat() if i.case and i.case.first_seen else None,
                "copy_ids": [c.id for c in i.copies],
                "id": i.listing.id, "score": round(i.classification.score, 3), "status": i.status,
                "platform": i.listing.platform, "platform_listing_id": i.listing.platform_listing_id,
                "language": i.classification.language or i.listing.language, "intent": i.classification.intent,
                "title": i.listing.title, "price": i.listing.price, "currency": i.listing.currency,
                "url": i.listing.url,
                "last_seen": (i.case.last_seen if i.case and i.case.last_seen else i.listing.last_seen).isoformat(),
                "matched_terms": list(i.classification.matched_terms or []),
            } for i in result.items]
    except QueueFilterError as exc:
        raise UserError(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"day": result.day.isoformat(), "status": status, "total": result.total,
                               "counts": result.counts, "items": items}, ensure_ascii=False, indent=2))
        return
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    click.echo(f"flagged queue {result.day.isoformat()} ({status}): {result.total} cases  [{counts}]")
    if not items:
        click.echo("nothing to review")
        return
    for it in items:
        price = f"{it['price']:,.0f} {it['currency'] or ''}".replace(",", " ").strip() if it["price"] is not None else "-"
        title = (it["title"] or "").replace("\n", " ")
        title = title if len(title) <= 70 else title[:69] + "…"
        copies = f"  ×{it['copies']} copies on {', '.join(it['platforms'])}" if it["copies"] > 1 else ""
        click.echo(f"{it['score']:.2f}  {it['status']:<10} case {it['case_id']:<6} {it['platform']:<8} #{it['id']:<6} "
                   f"{title}  [{price}]{copies}")
        click.echo(f"      {it['url']}")
    if result.total > len(items):
        click.echo(f"... {result.total - len(items)} more (use --limit)")


def _print_uncertain(ctx, limit: int, as_json: bool) -> None:
    from alerts.review.flagging import uncertain_listings

    with ctx.store().session() as session:
        items = [{"id": listing.id, "score": round(c.score, 3),
                  "threshold": (c.explanation or {}).get("threshold"), "platform": listing.platform,
                  "title": listing.title, "url": listing.url}
                 for listing, c in uncertain_listings(session, limit=limit)]
    if as_json:
        click.echo(json.dumps({"uncertain": items}, ensure_ascii=False, indent=2))
        return
    click.echo(f"{len(items)} unreviewed listings closest to the threshold (label these first):")
    for it in items:
        click.echo(f"{it['score']:.2f}  {it['platform']:<8} #{it['id']:<6} {(it['title'] or '')[:70]}")
        click.echo(f"      {it['url']}")
