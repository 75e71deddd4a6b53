"""`saigawatch doctor`: report files and folders with looser permissions than 0600/0700, and work still owed."""
from __future__ import annotations

import click

from saigawatch.context import get_context
from saigawatch.ops.doctor import examine
from store.db import StoreError
from store.private import tighten

OWED_LABELS = {"photos": "listing(s) with photos pending", "notify": "flagged listing(s) not yet notified",
               "capture": "evidence capture(s) left incomplete"}


def register(app: click.Group) -> None:
    app.add_command(doctor)


@click.command("doctor")
@click.option("--fix", is_flag=True, help="Remove group and other permissions from what is reported.")
def doctor(fix: bool) -> None:
    """Check the installation: every file SaigaWatch writes should be 0600 in a 0700 folder.

    Exit status 1 when something is readable by other users (after --fix: when it could not be tightened).
    """
    ctx = get_context()
    settings = ctx.settings
    try:
        store = ctx.store()
    except StoreError:
        store = None
    report = examine(settings, store)
    for path in report.checked:
        click.echo(f"checked {path}")
    failed = 0
    for loose in report.loose:
        if fix:
            try:
                tighten(loose)
                click.echo(f"fixed {loose.describe()}")
                continue
            except OSError as exc:
                click.echo(f"cannot fix {loose.path}: {exc.strerror}", err=True)
        failed += 1
        click.echo(f"loose permissions: {loose.describe()}")
    for kind, count in sorted(report.owed.items()):
        click.echo(f"owed: {count} {OWED_LABELS.get(kind, kind)} (the next run-daily does this work)")
    if store is None:
        click.echo("database not initialised: run 'saigawatch init'")
    if failed:
        click.echo(f"{failed} path(s) readable by other users: run 'saigawatch doctor --fix' or chmod them "
                   "(files 600, folders 700)")
        raise click.exceptions.Exit(1)
    click.echo("permissions OK: files 0600, folders 0700")
