"""`saigawatch backup` and `saigawatch restore`: the database plus WARC, photo and evidence files in one tar."""
from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

import click

from saigawatch.ops.backup import BackupError, create_backup, prune_backups, read_manifest, restore_backup, verify_backup
from saigawatch.context import UserError, get_context
from saigawatch.ops.maintenance import megabytes, under_run_lock


def register(app: click.Group) -> None:
    app.add_command(backup)
    app.add_command(restore)


@contextlib.contextmanager
def _progress(label: str):
    """A progress callback (done, total bytes): a rich bar on a terminal, a log line per 10 % otherwise."""
    if sys.stdout.isatty():
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn(label), BarColumn(), DownloadColumn(), TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task(label, total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)
        return
    log = logging.getLogger("saigawatch.backup")
    last = [-1]

    def report(done: int, total: int) -> None:
        tenth = int(done * 10 / total) if total else 10
        if tenth > last[0]:
            last[0] = tenth
            log.info("%s: %d%% (%s of %s)", label, tenth * 10, megabytes(done), megabytes(total))

    yield report


@click.command("backup")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Directory for a timestamped backup file, or the file itself (a path ending in .tar) "
                   "(default: <storage.data_dir>/backups; better: a different disk).")
@click.option("--keep", type=click.IntRange(1, None), default=None,
              help="Afterwards delete all but the newest N backups in the output directory.")
@click.option("--wait-lock", type=click.IntRange(0, None), default=0, show_default=True,
              help="Seconds to wait for a running run-daily to finish before giving up.")
def backup(output: Path | None, keep: int | None, wait_lock: int) -> None:
    """Back up the database (SQLite online backup or pg_dump) and every file under storage.data_dir.

    Runs under the run-daily lock, so the database and the files it names are taken together.
    """
    try:
        with under_run_lock(wait_lock) as (settings, store), _progress("backup") as progress:
            result = create_backup(settings, store, output, progress=progress)
    except BackupError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"backup written: {result.path} ({result.database_kind} database + {result.files - 1} file(s), "
               f"{megabytes(result.bytes)})")
    if result.secrets == "encrypted":
        click.echo("the session secret is in the backup, encrypted with $SAIGAWATCH_BACKUP_PASSPHRASE")
    elif result.secrets == "left out":
        click.echo("the session secret is left out (set SAIGAWATCH_BACKUP_PASSPHRASE to include it encrypted); "
                   "a restored installation makes a new one and users log in again")
    if keep:
        for old in prune_backups(result.path.parent, keep):
            click.echo(f"deleted old backup {old}")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--target", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="New or empty directory to restore into; it becomes the data directory.")
@click.option("--check", "check_only", is_flag=True,
              help="Only verify the backup against its manifest (every file's sha256); restore nothing.")
@click.option("--database-url", default=None,
              help="For a PostgreSQL backup: URL of an empty database to restore into "
                   "(default: $SAIGAWATCH_DATABASE_URL).")
def restore(archive: Path, target: Path | None, check_only: bool, database_url: str | None) -> None:
    """Restore a backup into an empty directory, checking every file against the backup's manifest."""
    if check_only:
        try:
            files, size = verify_backup(archive)
            meta = read_manifest(archive)
        except BackupError as exc:
            raise UserError(str(exc)) from None
        click.echo(f"backup OK: {files} file(s), {megabytes(size)}, {meta['database']['kind']} database, "
                   f"made {meta['created_at']}")
        return
    if target is None:
        raise UserError("give --target DIR (a new or empty directory), or --check to only verify the backup")
    ctx = get_context()
    url = database_url
    if url is None and _is_pg_backup(archive):
        url = os.environ.get(ctx.settings.storage.database_url_env)
    try:
        result = restore_backup(archive, target.absolute(), url)
    except BackupError as exc:
        raise UserError(str(exc)) from None
    click.echo(f"restored {result.files} file(s), {megabytes(result.bytes)}, into {result.target}")
    click.echo(f"session secret: {result.secrets}")
    click.echo("database: " + ", ".join(f"{k} {v}" for k, v in result.counts.items()))
    if result.missing:
        click.echo(f"warning: {len(result.missing)} file(s) named in the database are not in the backup, "
                   f"e.g. {result.missing[0]}", err=True)
    else:
        click.echo("every WARC file, photo and evidence directory named in the database is present")
    click.echo("to use it, set in your config:")
    click.echo(f"  storage:\n    data_dir: {result.target}")
    if result.database_kind == "sqlite":
        click.echo(f"    database_path: {result.target / 'saigawatch.db'}")
    else:
        click.echo(f"  and {ctx.settings.storage.database_url_env}={result.database_url}")


def _is_pg_backup(archive: Path) -> bool:
    try:
        return read_manifest(archive)["database"]["kind"] == "postgresql"
    except BackupError as exc:
        raise UserError(str(exc)) from None

