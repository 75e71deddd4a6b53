"""`saigawatch sellers find`: every account and listing linked to a phone or handle, typed any way people write it."""
from __future__ import annotations

import json

import click

from alerts.review.dossier import build_dossier
from crawler.contacts import normalise_query
from saigawatch.context import UserError, get_context


def register(app: click.Group) -> None:
    app.add_command(sellers)


@click.group("sellers")
def sellers() -> None:
    """Seller identity across platforms."""


@sellers.command("find")
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (accounts with evidence, listings, cases).")
def find(query: str, as_json: bool) -> None:
    """Find everybody behind a phone or handle: 8 702 333 44 55, +7 (702) 333-44-55, wa.me/7702…, +86 138…,
    @name, t.me/name, vk.com/name, weibo.com/u/…, "微信: id", "V: id", "вичат id"."""
    found = normalise_query(query)
    if found is None:
        raise UserError(f"not a phone number or account handle: {query!r}")
    kind, value = found
    ctx = get_context()
    with ctx.store().session() as session:
        dossier = build_dossier(session, **{kind: value})
        accounts = [{"id": a.seller.id, "platform": a.seller.platform, "platform_seller_id": a.seller.platform_seller_id,
                     "name": a.seller.name, "url": a.seller.url, "evidence": a.evidence} for a in dossier.accounts]
        listings = [{"id": l.id, "case_id": l.case_id, "platform": l.platform, "title": l.title, "url": l.url,
                     "phones": list(l.phones or []), "handles": list(l.handles or []),
                     "linked_by": dossier.links.get(l.id, [])} for l in dossier.listings]
    if as_json:
        click.echo(json.dumps({"query": query, kind: value, "accounts": accounts, "listings": listings,
                               "cases": sorted({l["case_id"] for l in listings if l["case_id"]}),
                               "phones": dossier.phones, "handles": dossier.handles},
                              ensure_ascii=False, indent=2))
        return
    click.echo(f"{kind} {value}: {len(accounts)} account(s), {len(listings)} listing(s) in "
               f"{dossier.cases} case(s) on {', '.join(dossier.platforms) or 'no platform'}")
    for a in accounts:
        click.echo(f"  {a['platform']:<9} {a['name'] or '—'} ({a['platform_seller_id']})")
        for e in a["evidence"]:
            click.echo(f"      · {e}")
    for l in listings:
        click.echo(f"  case {l['case_id'] or '-':<6} {l['platform']:<9} #{l['id']:<6} {(l['title'] or '')[:60]}")
        click.echo(f"      {l['url']}  [{', '.join(l['linked_by'])}]")
    if not listings:
        click.echo("nobody found")
