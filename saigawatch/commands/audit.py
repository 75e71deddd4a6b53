"""`saigawatch audit verify`: check the audit log's hash chain (no entry changed, removed or inserted)."""
from __future__ import annotations

import json

import click

from saigawatch.context import get_context
from store.audit_chain import verify_chain

EXIT_BROKEN = 3  # the chain is broken (1 is a usage or setup error)


def register(app: click.Group) -> None:
    app.add_command(audit)


@click.group("audit")
def audit() -> None:
    """The audit log of the review stage (append-only, hash-chained)."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def verify(as_json: bool) -> None:
    """Walk the audit log in order and check every entry's hash and link; exit 3 when the chain is broken.

    Write the printed head hash down (or keep it with a report): a later run that prints the same or a
    newer chain built on it shows that nothing before it was rewritten.
    """
    store = get_context().store()
    with store.session() as session:
        report = verify_chain(session)
    if as_json:
        click.echo(json.dumps({"ok": report.ok, "entries": report.entries, "unchained": report.unchained,
                               "head": report.head, "problems": [{"id": i, "problem": p} for i, p in report.problems]},
                              ensure_ascii=False, indent=2))
    else:
        for entry_id, problem in report.problems:
            click.echo(f"audit entry {entry_id}: {problem}", err=True)
        state = "OK" if report.ok else f"BROKEN ({len(report.problems)} problems)"
        click.echo(f"audit log {state}: {report.entries} entries, head {report.head}")
    if not report.ok:
        raise SystemExit(EXIT_BROKEN)
