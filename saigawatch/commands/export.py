"""`saigawatch export`: listings with their flags and review decisions as CSV or JSON."""
from __future__ import annotations

import csv
import datetime as dt
import getpass
import json
import sys
from pathlib import Path

import click

from alerts.review.queue import EXPORT_FIELDS, export_records
from alerts.review.audit import record_event
from saigawatch.context import UserError, get_context


def register(app: click.Group) -> None:
    app.add_command(export)


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="csv (one row per listing; lists joined with '; ') or json (an array of objects).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output).")
@click.option("--all", "all_listings", is_flag=True, help="Export every listing, not only flagged ones.")
@click.option("--since", default=None, help="Only listings seen on or after this day (YYYY-MM-DD).")
def export(fmt: str, output: Path | None, all_listings: bool, since: str | None) -> None:
    """Export listings and flags (score, intent, matched terms, latest decision)."""
    ctx = get_context()
    since_day = None
    if since:
        try:
            since_day = dt.date.fromisoformat(since)
        except ValueError:
            raise UserError(f"--since: expected a date as YYYY-MM-DD, got {since!r}") from None
    store = ctx.store()
    tmp = None
    try:
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            tmp = output.with_name(output.name + ".part")
            fh = open(tmp, "w", encoding="utf-8", newline="")
        else:
            fh = sys.stdout
        count = 0
        with store.session() as session:
            rows = export_records(session, flagged_only=not all_listings, since=since_day)
            if fmt == "csv":
                writer = csv.DictWriter(fh, fieldnames=EXPORT_FIELDS)
                writer.writeheader()
                for row in rows:
                    writer.writerow({k: "; ".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()})
                    count += 1
            else:
                fh.write("[")
                for row in rows:
                    fh.write(("\n" if count == 0 else ",\n") + json.dumps(row, ensure_ascii=False))
                    count += 1
                fh.write("\n]\n")
            try:
                actor = f"cli:{getpass.getuser()}"
            except Exception:  # noqa: BLE001
                actor = "cli"
            record_event(session, actor, "export", "listings", None,
                         {"format": fmt, "rows": count, "flagged_only": not all_listings, "since": since,
                          "output": str(output) if output else "stdout"})
        if tmp is not None:
            fh.close()
            tmp.replace(output)
    except OSError as exc:
        raise UserError(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()
    if output is not None:
        click.echo(f"exported {count} listings to {output}", err=True)
