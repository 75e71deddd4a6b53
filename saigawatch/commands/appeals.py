"""`saigawatch appeals`: the register of police appeals (new, list, show, update, stats)."""
from __future__ import annotations

import datetime as dt
import getpass
import json

import click

from alerts.review.appeals import (STATUSES, AppealError, appeal_dict, appeal_stats, create_appeal, get_appeal, list_appeals,
                            update_appeal, year_range)
from saigawatch.context import UserError, get_context


def register(app: click.Group) -> None:
    app.add_command(appeals)


def _date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"--date {value!r}: expected YYYY-MM-DD") from None
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)


@click.group("appeals")
def appeals() -> None:
    """Police appeals: draft → submitted → registered → refused | case_opened → court → closed."""


@appeals.command("new")
@click.argument("listing_ids", nargs=-1, type=int, required=True)
@click.option("--case", "case_name", required=True, help="Case name (as in the exported bundle).")
@click.option("--country", type=click.Choice(["KZ", "RU", "MN", "UZ"]), default="KZ", show_default=True,
              help="Country whose police receive it.")
@click.option("--authority", default="", help="The police body it is addressed to.")
@click.option("--bundle-id", type=int, default=None, help="Id of the exported evidence bundle it attaches.")
@click.option("--note", default="", help="Free text.")
@click.option("--actor", default=None, help="Who records it (default: login name).")
def new(listing_ids, case_name, country, authority, bundle_id, note, actor) -> None:
    """Create a draft appeal covering LISTING_IDS."""
    with get_context().store().session() as session:
        try:
            appeal = create_appeal(session, case_name=case_name, listing_ids=list(listing_ids), country=country,
                                   authority=authority, note=note, bundle_id=bundle_id, actor=actor or getpass.getuser())
        except AppealError as exc:
            raise UserError(str(exc)) from None
        click.echo(f"appeal {appeal.id} created (draft)")


@appeals.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only appeals in this status.")
@click.option("--country", default=None, help="Only appeals to this country's police (KZ, RU, MN, UZ).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(status, country, as_json) -> None:
    """List appeals, newest first."""
    with get_context().store().session() as session:
        rows = [appeal_dict(a) for a in list_appeals(session, status=status, country=country)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no appeals")
    for a in rows:
        number = f" №{a['registration_number']}" if a["registration_number"] else ""
        click.echo(f"{a['id']:>4}  {a['status']:<12} {a['country']}  {a['case_name']}{number}  "
                   f"({len(a['listings'])} listing(s), created {a['created_at'][:10]})")


@appeals.command("show")
@click.argument("appeal_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(appeal_id, as_json) -> None:
    """Show one appeal with its listings and history."""
    with get_context().store().session() as session:
        try:
            a = appeal_dict(get_appeal(session, appeal_id))
        except AppealError as exc:
            raise UserError(str(exc)) from None
    if as_json:
        click.echo(json.dumps(a, ensure_ascii=False, indent=2))
        return
    click.echo(f"appeal {a['id']}: {a['case_name']} — {a['status']}"
               + (f", registration №{a['registration_number']}" if a["registration_number"] else ""))
    click.echo(f"country {a['country']}, authority: {a['authority'] or '—'}, bundle: {a['bundle_id'] or '—'}")
    for key in ("created_at", "submitted_at", "registered_at", "closed_at"):
        if a[key]:
            click.echo(f"{key.replace('_at', ''):>10}: {a[key]}")
    if a["outcome"]:
        click.echo(f"outcome: {a['outcome']}")
    click.echo("listings:")
    for x in a["listings"]:
        click.echo(f"  {x['id']}  {x['platform']} {x['platform_listing_id']}  {x['url']}")
    click.echo("history:")
    for h in a["history"]:
        click.echo(f"  {h['at']}  {h['status']:<12} {h['actor']}  {h.get('note') or ''}")
    click.echo(f"next: {', '.join(a['next_statuses']) or '—'}")


@appeals.command("update")
@click.argument("appeal_id", type=int)
@click.option("--status", type=click.Choice(STATUSES), default=None, help="New status (only allowed transitions).")
@click.option("--number", default=None, help="Police registration number (КУСП / ЕРДР); required for 'registered'.")
@click.option("--authority", default=None, help="Change the authority.")
@click.option("--outcome", default=None, help="Outcome text (refusal reason, verdict...).")
@click.option("--date", "date", default=None, help="When it happened, YYYY-MM-DD (default: now).")
@click.option("--bundle-id", type=int, default=None, help="Attach an exported bundle by id.")
@click.option("--add-listing", "add_listings", type=int, multiple=True, help="Add a listing (repeatable).")
@click.option("--note", default="", help="Free text kept in the history.")
@click.option("--actor", default=None, help="Who records it (default: login name).")
def update(appeal_id, status, number, authority, outcome, date, bundle_id, add_listings, note, actor) -> None:
    """Move APPEAL_ID to a new status and/or change its details."""
    ctx = get_context()
    with ctx.store().session() as session:
        try:
            appeal = update_appeal(session, appeal_id, actor=actor or getpass.getuser(), status=status,
                                   registration_number=number, authority=authority, outcome=outcome,
                                   note=note, at=_date(date), bundle_id=bundle_id,
                                   add_listing_ids=list(add_listings) or None, settings=ctx.settings)
        except AppealError as exc:
            raise UserError(str(exc)) from None
        click.echo(f"appeal {appeal.id}: {appeal.status}")


@appeals.command("stats")
@click.option("--year", type=int, default=None, help="Calendar year (default: all time).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def stats(year, as_json) -> None:
    """Listings found and confirmed, appeals filed and their outcomes (the NGO's yearly numbers)."""
    start, end = year_range(year) if year else (None, None)
    with get_context().store().session() as session:
        result = appeal_stats(session, start=start, end=end).as_dict()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for key, value in result.items():
        if key != "by_status":
            click.echo(f"{key.replace('_', ' '):<20} {value}")
    click.echo("current status:      " + ", ".join(f"{k} {v}" for k, v in result["by_status"].items()))
