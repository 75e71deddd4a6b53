"""Backup and restore: the database (SQLite online backup or pg_dump) plus the WARC, photo and evidence files.

A backup is one uncompressed tar (WARC files are already gzipped): database/<dump>, data/<files under
storage.data_dir>, and manifest.json last, listing every file with its size and sha256. It is written as
<name>.partial and renamed when complete, so a file named *.tar is always a finished backup. The tar and
everything restored from it are private (0600 files, 0700 folders).

The session secret (data_dir/web-secret-key) is never stored in the clear: it is left out, or, when
$SAIGAWATCH_BACKUP_PASSPHRASE is set, stored encrypted (scrypt + AES-256-GCM) as secrets/web-secret-key.enc.
Sessions live on the server, so a restore without it only makes a new secret: users log in again.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Callable

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from config import Settings
from store import Store
from store.db import check_schema
from saigawatch.ops.secretbox import SecretBoxError, open_box, seal
from store.models import Capture, EvidenceBundle, EvidenceCapture, Image, Listing

log = logging.getLogger("saigawatch.backup")
FORMAT = "saigawatch-backup"
VERSION = 1
PREFIX = "saigawatch-backup-"
SQLITE_NAME = "saigawatch.db"
SKIP_SUFFIXES = ("-wal", "-shm", "-journal", ".partial", ".lock")
PASSPHRASE_ENV = "SAIGAWATCH_BACKUP_PASSPHRASE"
SECRET_FILES = ("web-secret-key",)  # under data_dir: never copied in the clear


class BackupError(Exception):
    """A backup cannot be made or restored; the message says what and where."""


@dataclass
class BackupResult:
    path: Path
    database_kind: str
    files: int
    bytes: int
    secrets: str = "left out"  # "left out" | "encrypted" | "none present"


@dataclass
class RestoreResult:
    target: Path
    database_kind: str
    database_url: str
    files: int
    bytes: int
    counts: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    secrets: str = "none in the backup"  # "restored" | "left out: ..." | "none in the backup"


class _HashingReader(io.RawIOBase):
    """Reads exactly `size` bytes of a file (it may still grow) and hashes them on the way."""

    def __init__(self, fh: BinaryIO, size: int):
        self.fh, self.left, self.sha = fh, size, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n is None or n < 0 else min(n, self.left)
        data = self.fh.read(n)
        if len(data) < n and n:
            raise BackupError(f"{self.fh.name}: file shrank while it was being backed up")
        self.left -= len(data)
        self.sha.update(data)
        return data


def _db_kind(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name == "sqlite":
        return "sqlite"
    if name.startswith("postgresql"):
        return "postgresql"
    raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")


def _pg_env(url: str) -> dict[str, str]:
    """libpq environment for a SQLAlchemy URL (keeps the password off the command line)."""
    u = make_url(url)
    env = dict(os.environ)
    for key, value in (("PGHOST", u.host), ("PGPORT", u.port), ("PGUSER", u.username), ("PGPASSWORD", u.password),
                       ("PGDATABASE", u.database)):
        if value is not None:
            env[key] = str(value)
    return env


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if not exe:
        raise BackupError(f"{name} not found: install the Debian 'postgresql-client' (or 'postgresql') package")
    return exe


def dump_database(url: str, workdir: Path) -> tuple[str, Path]:
    """Dump the database into workdir: ('sqlite', file) via the online-backup API, or ('postgresql', custom-format dump)."""
    kind = _db_kind(url)
    if kind == "sqlite":
        src_path = make_url(url).database
        if not src_path or src_path == ":memory:" or not Path(src_path).exists():
            raise BackupError(f"SQLite database {src_path!r} does not exist")
        dst_path = workdir / SQLITE_NAME
        src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True, timeout=60)
        dst = sqlite3.connect(dst_path)
        try:
            src.backup(dst)  # a consistent snapshot even while others write
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
            src.close()
        return kind, dst_path
    dst_path = workdir / "saigawatch.pgdump"
    result = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "-f", str(dst_path)],
                            env=_pg_env(url), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[-500:]}")
    return kind, dst_path


def _data_files(data_dir: Path, exclude: set[Path]) -> list[Path]:
    out = []
    if not data_dir.exists():
        return out
    for root, dirs, files in os.walk(data_dir):
        root_p = Path(root)
        dirs[:] = sorted(d for d in dirs if (root_p / d).resolve() not in exclude)
        for name in sorted(files):
            p = root_p / name
            if p.resolve() in exclude or name.endswith(SKIP_SUFFIXES) or name.startswith(PREFIX) or p.is_symlink():
                continue
            out.append(p)
    return out


def _add(tar: tarfile.TarFile, arcname: str, path: Path, manifest: list[dict[str, Any]]) -> int:
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        info = tarfile.TarInfo(arcname)
        info.size, info.mtime, info.mode = st.st_size, int(st.st_mtime), 0o600
        reader = _HashingReader(fh, st.st_size)
        tar.addfile(info, reader)
    manifest.append({"path": arcname, "size": info.size, "sha256": "sha256:" + reader.sha.hexdigest()})
    return info.size


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def default_backup_dir(settings: Settings) -> Path:
    return settings.storage.data_path / "backups"


def create_backup(settings: Settings, store: Store, output: Path | None = None, now: dt.datetime | None = None,
                  progress: Callable[[int, int], None] | None = None) -> BackupResult:
    """Write a backup tar; `output` is a directory (a timestamped name is chosen) or a file path ending in .tar.

    `progress(done_bytes, total_bytes)` is called after each file.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    data_dir = settings.storage.data_path
    name = f"{PREFIX}{now.strftime('%Y%m%dT%H%M%SZ')}.tar"
    if output is None:
        target = default_backup_dir(settings) / name
    elif output.is_dir() or not output.name.endswith(".tar"):
        target = output / name  # a directory (created if needed); a path ending in .tar is the file itself
    else:
        target = output
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_name(target.name + ".partial")
    exclude = {default_backup_dir(settings).resolve(), target.resolve(), partial.resolve(),
               (data_dir / "log").resolve(), Path(settings.schedule.lock_file).expanduser().resolve()}
    secret_paths = [data_dir / name for name in SECRET_FILES]
    exclude |= {p.resolve() for p in secret_paths}
    if _db_kind(store.url) == "sqlite":
        exclude.add(Path(make_url(store.url).database).resolve())
    with store.engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    manifest: list[dict[str, Any]] = []
    total = 0
    with tempfile.TemporaryDirectory(prefix="saigawatch-backup-") as tmp:
        kind, dump = dump_database(store.url, Path(tmp))  # the database first: every file it names already exists
        files = _data_files(data_dir, exclude)
        expected = dump.stat().st_size + sum(_size(p) for p in files)
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            total += _add(tar, f"database/{dump.name}", dump, manifest)
            for path in files:
                rel = path.relative_to(data_dir).as_posix()
                try:
                    total += _add(tar, f"data/{rel}", path, manifest)
                except FileNotFoundError:
                    continue  # removed meanwhile (e.g. a temporary file)
                if progress:
                    progress(total, max(expected, total))
            secrets_state = _add_secrets(tar, secret_paths, manifest)
            meta = {"format": FORMAT, "version": VERSION, "created_at": now.isoformat(timespec="seconds"),
                    "database": {"kind": kind, "file": f"database/{dump.name}", "alembic_revision": revision},
                    "source_data_dir": str(data_dir.resolve()), "secrets": secrets_state, "files": manifest}
            blob = json.dumps(meta, indent=2, ensure_ascii=False).encode("utf-8")
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(blob), int(now.timestamp()), 0o600
            tar.addfile(info, io.BytesIO(blob))
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, target)
    log.info("backup: %s written (%s database, %d files, %d bytes)", target, kind, len(manifest), total)
    return BackupResult(target, kind, len(manifest), total, secrets_state)


def _add_secrets(tar: tarfile.TarFile, paths: list[Path], manifest: list[dict[str, Any]]) -> str:
    """Encrypt the secrets into secrets/<name>.enc with $SAIGAWATCH_BACKUP_PASSPHRASE, or leave them out."""
    present = [p for p in paths if p.is_file()]
    if not present:
        return "none present"
    passphrase = os.environ.get(PASSPHRASE_ENV, "")
    if not passphrase:
        return "left out"
    for path in present:
        try:
            blob = seal(path.read_bytes(), passphrase)
        except SecretBoxError as exc:
            raise BackupError(f"{PASSPHRASE_ENV}: {exc}") from None
        name = f"secrets/{path.name}.enc"
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(blob), int(path.stat().st_mtime), 0o600
        tar.addfile(info, io.BytesIO(blob))
        manifest.append({"path": name, "size": len(blob), "sha256": "sha256:" + hashlib.sha256(blob).hexdigest()})
    return "encrypted"


def prune_backups(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` finished backups in `directory`; return what was deleted."""
    backups = sorted(directory.glob(f"{PREFIX}*.tar"))
    doomed = backups[:-keep] if keep > 0 else backups
    for p in doomed:
        p.unlink()
    return doomed


def read_manifest(archive: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive, "r:") as tar:
            member = tar.getmember("manifest.json")
            data = json.loads(tar.extractfile(member).read())
    except FileNotFoundError:
        raise BackupError(f"{archive}: file not found") from None
    except KeyError:
        raise BackupError(f"{archive}: no manifest.json: not a finished SaigaWatch backup") from None
    except (tarfile.TarError, ValueError, OSError) as exc:
        raise BackupError(f"{archive}: not a readable backup ({exc})") from None
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise BackupError(f"{archive}: unknown backup format {data.get('format')!r} version {data.get('version')!r}")
    return data


def verify_backup(archive: Path) -> tuple[int, int]:
    """Check every file of a backup against its manifest without unpacking; (files, bytes) or BackupError."""
    meta = read_manifest(archive)
    expected = {f["path"]: f for f in meta["files"]}
    seen: set[str] = set()
    total = 0
    with tarfile.open(archive, "r:") as tar:
        for member, entry, _rel in _listed_members(archive, tar, expected):
            total += _copy_checked(archive, tar, member, entry)
            seen.add(member.name)
    _check_none_missing(archive, expected, seen)
    return len(seen), total


def _listed_members(archive: Path, tar: tarfile.TarFile, expected: dict[str, dict]):
    """Each file of an open backup (manifest.json aside) with its manifest entry and safe relative path.

    BackupError on an entry the manifest does not list, one that is not a regular file, or an unsafe path.
    """
    for member in tar:
        if member.name == "manifest.json":
            continue
        entry = expected.get(member.name)
        if entry is None or not member.isfile():
            raise BackupError(f"{archive}: unexpected entry {member.name!r} (not in the manifest)")
        yield member, entry, _safe_rel(member.name)


def _copy_checked(archive: Path, tar: tarfile.TarFile, member: tarfile.TarInfo, entry: dict, out=None) -> int:
    """Stream one file of the backup (into `out` if given), checking its sha256 and size; its size or BackupError."""
    sha = hashlib.sha256()
    src = tar.extractfile(member)
    while chunk := src.read(1 << 20):
        sha.update(chunk)
        if out is not None:
            out.write(chunk)
    if "sha256:" + sha.hexdigest() != entry["sha256"] or member.size != entry["size"]:
        raise BackupError(f"{archive}: {member.name} does not match its manifest hash: the backup is damaged")
    return member.size


def _check_none_missing(archive: Path, expected: dict[str, dict], seen: set[str]) -> None:
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{archive}: {len(missing)} file(s) listed in the manifest are missing, e.g. {missing[0]}")


def _safe_rel(name: str) -> PurePosixPath:
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise BackupError(f"unsafe path in backup: {name!r}")
    return p


def _database_is_empty(url: str) -> bool:
    store = Store(url)
    try:
        return not inspect(store.engine).get_table_names()
    finally:
        store.dispose()


def restore_backup(archive: Path, target: Path, database_url: str | None = None) -> RestoreResult:
    """Unpack a backup into an empty `target` directory (it becomes the data_dir), checking every sha256.

    SQLite backups restore to target/saigawatch.db; PostgreSQL dumps need `database_url` of an empty database.
    """
    meta = read_manifest(archive)
    kind = meta["database"]["kind"]
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"restore target {target} is not empty; restore into a new or empty directory")
    if kind == "postgresql":
        if not database_url:
            raise BackupError("this backup holds a PostgreSQL dump: give --database-url (or SAIGAWATCH_DATABASE_URL) "
                              "of an empty database to restore into")
        if _db_kind(database_url) != "postgresql":
            raise BackupError("a PostgreSQL dump can only be restored into PostgreSQL")
        if not _database_is_empty(database_url):
            raise BackupError("the target database is not empty; create a new database to restore into")
    elif database_url and _db_kind(database_url) != "sqlite":
        raise BackupError("this backup holds a SQLite database; restore it without --database-url")
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    expected = {f["path"]: f for f in meta["files"]}
    done: set[str] = set()
    total = 0
    with tempfile.TemporaryDirectory(prefix="saigawatch-restore-") as tmp, tarfile.open(archive, "r:") as tar:
        dump_path: Path | None = None
        sealed: list[Path] = []
        for member, entry, rel in _listed_members(archive, tar, expected):
            if rel.parts[0] == "database":
                dest = Path(tmp) / rel.name
                dump_path = dest
            elif rel.parts[0] == "secrets" and len(rel.parts) == 2 and rel.name.endswith(".enc"):
                dest = Path(tmp) / "secrets" / rel.name
                sealed.append(dest)
            elif rel.parts[0] == "data" and len(rel.parts) > 1:
                dest = target.joinpath(*rel.parts[1:])
            else:
                raise BackupError(f"{archive}: unexpected entry {member.name!r}")
            dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with os.fdopen(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                total += _copy_checked(archive, tar, member, entry, out)
            done.add(member.name)
        _check_none_missing(archive, expected, done)
        if dump_path is None:
            raise BackupError(f"{archive}: no database dump inside")
        if kind == "sqlite":
            db_file = target / SQLITE_NAME
            if db_file.exists():
                raise BackupError(f"{db_file} already exists in the restored files; cannot place the database there")
            shutil.move(str(dump_path), db_file)
            url = f"sqlite:///{db_file}"
        else:
            result = subprocess.run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                                     "-d", make_url(database_url).database, str(dump_path)],
                                    env=_pg_env(database_url), capture_output=True, text=True)
            if result.returncode != 0:
                raise BackupError(f"pg_restore failed: {result.stderr.strip()[-500:]}")
            url = database_url
        secrets_state = _restore_secrets(sealed, target)
    restored = RestoreResult(target, kind, url, len(done), total, secrets=secrets_state)
    restored.counts, restored.missing = verify_restored(url, target)
    return restored


def _restore_secrets(sealed: list[Path], target: Path) -> str:
    if not sealed:
        return "none in the backup"
    passphrase = os.environ.get(PASSPHRASE_ENV, "")
    if not passphrase:
        return f"left out: set {PASSPHRASE_ENV} to restore the encrypted session secret"
    for box in sealed:
        try:
            plain = open_box(box.read_bytes(), passphrase)
        except SecretBoxError as exc:
            raise BackupError(f"{box.name}: {exc}") from None
        dest = target / box.name.removesuffix(".enc")
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(plain)
    return "restored"


def verify_restored(url: str, data_dir: Path) -> tuple[dict[str, int], list[str]]:
    """Row counts of the restored database and every file it names that is not in data_dir."""
    store = Store(url)
    try:
        check_schema(store.engine)
        with store.session() as s:
            counts = {name: s.scalar(select(func.count()).select_from(model)) for name, model in
                      (("listings", Listing), ("captures", Capture), ("images", Image),
                       ("evidence_captures", EvidenceCapture), ("evidence_bundles", EvidenceBundle))}
            wanted = set(s.scalars(select(Capture.warc_path).distinct()))
            wanted |= {p for p in s.scalars(select(Image.path).where(Image.path.is_not(None)))}
            wanted |= set(s.scalars(select(EvidenceCapture.directory)))
    finally:
        store.dispose()
    missing = sorted(p for p in wanted if not (data_dir / p).exists())
    return counts, missing
