"""`saigawatch init`: create or migrate the database and sync sources from config."""
from __future__ import annotations

import click
from sqlalchemy import select

from saigawatch.context import get_context
from store.models import Source


def register(app: click.Group) -> None:
    app.add_command(init)


@click.command("init")
def init() -> None:
    """Create the database or migrate it to the newest schema, and record the configured sources."""
    ctx = get_context()
    store = ctx.store(initialised=False)
    store.init()
    with store.session() as session:
        sync_sources(session, ctx.settings)
    click.echo(f"database ready: {store.engine.url.render_as_string(hide_password=True)}")


def sync_sources(session, settings) -> None:
    """Make the `sources` table mirror the config (added, changed or disabled; never deleted)."""
    known = {s.name: s for s in session.scalars(select(Source))}
    for cfg in settings.sources:
        row = known.pop(cfg.name, None) or Source(name=cfg.name)
        row.platform = cfg.platform
        row.kind = cfg.kind
        row.target = ", ".join(cfg.queries or cfg.channels)
        row.language = cfg.language
        row.enabled = cfg.enabled
        session.add(row)
    for leftover in known.values():
        leftover.enabled = False
