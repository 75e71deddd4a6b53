"""`saigawatch retention`: purge raw captures and photos of never-flagged listings past retention.raw_capture_days."""
from __future__ import annotations

import json

import click

from saigawatch.ops.retention import purge
from saigawatch.ops.maintenance import megabytes, under_run_lock


def register(app: click.Group) -> None:
    app.add_command(retention)


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="Only show what would be purged; change nothing.")
@click.option("--days", type=click.IntRange(1, None), default=None,
              help="Purge captures older than this many days (default: retention.raw_capture_days).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--wait-lock", type=click.IntRange(0, None), default=0, show_default=True,
              help="Seconds to wait for a running run-daily to finish before giving up.")
def retention(dry_run: bool, days: int | None, as_json: bool, wait_lock: int) -> None:
    """Purge raw captures (WARC records) and photos of listings that were never flagged.

    Evidence of flagged, reviewed, captured or appealed listings is never purged. Shared WARC files are
    rewritten without the purged records. Runs under the run-daily lock, so it never overlaps a crawl.
    """
    with under_run_lock(wait_lock) as (settings, store):
        result = purge(store, settings, days=days, dry_run=dry_run)
    s = result.summary()
    if as_json:
        click.echo(json.dumps({"dry_run": dry_run, **s}, indent=2))
    else:
        verb = "would purge" if dry_run else "purged"
        kinds = ", ".join(f"{k} {v}" for k, v in s["captures_by_kind"].items()) or "none"
        click.echo(f"retention: captures fetched before {s['cutoff']} of never-flagged listings")
        click.echo(f"{verb} {s['captures']} capture(s) ({kinds}), {megabytes(s['capture_bytes'])} of WARC records "
                   f"in {s['warc_files']} file(s)")
        click.echo(f"{verb} {s['images']} photo(s); {s['image_files']} file(s), {megabytes(s['image_bytes'])}")
        click.echo(f"kept: evidence of {s['protected_listings']} flagged/reviewed/captured listing(s); "
                   f"{s['unclassified_listings_kept']} never-classified listing(s)")
        if s["deferred_warc_files"]:
            click.echo(f"deferred: {s['deferred_warc_files']} WARC file(s) modified within the last "
                       f"{settings.retention.skip_files_modified_within_hours} h (a crawler may still write them)")
        if not dry_run:
            click.echo(f"rewrote {s['warc_files_rewritten']} and deleted {s['warc_files_deleted']} WARC file(s); "
                       f"freed {megabytes(s['bytes_freed'])}")
        for err in s["errors"]:
            click.echo(f"error: {err}", err=True)
    if s["errors"]:
        raise click.exceptions.Exit(1)
