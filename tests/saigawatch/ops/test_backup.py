"""Backup and restore: everything comes back byte for byte into an empty directory, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import os
import tarfile
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from saigawatch.ops.backup import read_manifest
from saigawatch.cli import app
from store import Store
from store.models import Capture, EvidenceCapture, Image
from store.warc import read_response
from tests.ops_support import NOW, add_listing, prepared_store
from tests.saigawatch.ops.test_retention import _world


def _populate(settings, store):
    _world(store, settings)
    data_dir = settings.storage.data_path
    with store.session() as s:
        listing = add_listing(s, "e1", "Рога сайги, 2 шт", score=0.9, flagged=True)
        (data_dir / "evidence/1").mkdir(parents=True)
        (data_dir / "evidence/1/manifest.json").write_text('{"files": []}', encoding="utf-8")
        (data_dir / "evidence/1/screenshot.png").write_bytes(os.urandom(4096))
        s.add(EvidenceCapture(listing_id=listing.id, started_at=NOW, directory="evidence/1", steps={}))
    (data_dir / "log").mkdir(exist_ok=True)
    (data_dir / "log/saigawatch.log").write_text("not backed up\n")


def _snapshot(url, data_dir):
    store = Store(url)
    try:
        with store.session() as s:
            caps = {c.id: (c.url, c.sha256, read_response(data_dir, c.warc_path, c.warc_offset).body)
                    for c in s.scalars(select(Capture))}
            images = {i.id: (data_dir / i.path).read_bytes() for i in s.scalars(select(Image)) if i.path}
    finally:
        store.dispose()
    evidence = {p.relative_to(data_dir).as_posix(): p.read_bytes() for p in (data_dir / "evidence").rglob("*") if p.is_file()}
    return caps, images, evidence


def _run(*args):
    result = CliRunner().invoke(app, list(args))
    return result


def test_backup_and_restore_sqlite(config_file, tmp_path):
    settings = prepared_store(config_file, _populate)
    before = _snapshot(settings.storage.database_url(), settings.storage.data_path)
    backups = tmp_path / "backups"
    r = _run("--config", str(config_file), "backup", "--output", str(backups) + "/")
    assert r.exit_code == 0, r.output
    archive = next(backups.glob("saigawatch-backup-*.tar"))
    manifest = read_manifest(archive)
    names = {f["path"] for f in manifest["files"]}
    assert manifest["database"]["kind"] == "sqlite" and "database/saigawatch.db" in names
    assert "data/log/saigawatch.log" not in names and not any(n.endswith("sw.db") for n in names)
    assert all(f["sha256"].startswith("sha256:") for f in manifest["files"])

    target = tmp_path / "restored"
    r = _run("--config", str(config_file), "restore", str(archive), "--target", str(target))
    assert r.exit_code == 0, r.output
    assert "every WARC file, photo and evidence directory named in the database is present" in r.output
    assert f"database_path: {target / 'saigawatch.db'}" in r.output
    assert _snapshot(f"sqlite:///{target / 'saigawatch.db'}", target) == before
    # restoring over existing data is refused, nothing is touched
    r = _run("--config", str(config_file), "restore", str(archive), "--target", str(target))
    assert r.exit_code == 1 and "is not empty" in r.output


def test_damaged_backup_is_detected(config_file, tmp_path):
    prepared_store(config_file, _populate)
    archive = tmp_path / "b.tar"
    assert _run("--config", str(config_file), "backup", "-o", str(archive)).exit_code == 0
    r = _run("--config", str(config_file), "restore", str(archive), "--check")
    assert r.exit_code == 0 and r.output.startswith("backup OK: ") and "sqlite database" in r.output
    with tarfile.open(archive) as tar:
        member = tar.getmember("data/evidence/1/screenshot.png")
        offset = member.offset_data
    with open(archive, "r+b") as fh:
        fh.seek(offset + 100)
        byte = fh.read(1)
        fh.seek(offset + 100)
        fh.write(bytes([byte[0] ^ 0xFF]))
    r = _run("--config", str(config_file), "restore", str(archive), "--check")
    assert r.exit_code == 1 and "data/evidence/1/screenshot.png does not match its manifest hash" in r.output
    r = _run("--config", str(config_file), "restore", str(archive), "--target", str(tmp_path / "r"))
    assert r.exit_code == 1 and "data/evidence/1/screenshot.png does not match its manifest hash" in r.output
    r = _run("--config", str(config_file), "restore", str(config_file), "--target", str(tmp_path / "r2"))
    assert r.exit_code == 1 and "not a readable backup" in r.output


def test_keep_prunes_old_backups(config_file, tmp_path):
    prepared_store(config_file)
    out = tmp_path / "bk"
    out.mkdir()
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        (out / f"saigawatch-backup-{stamp}.tar").write_bytes(b"old")
    r = _run("--config", str(config_file), "backup", "-o", str(out), "--keep", "2")
    assert r.exit_code == 0, r.output
    left = sorted(p.name for p in out.iterdir())
    assert len(left) == 2 and left[0] == "saigawatch-backup-20260103T000000Z.tar"


@pytest.mark.postgres
def test_backup_and_restore_postgresql(postgres_server, config_file, tmp_path, monkeypatch):
    url = postgres_server.create_database(f"bk_{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("SAIGAWATCH_DATABASE_URL", url)
    settings = prepared_store(config_file, _populate)
    before = _snapshot(url, settings.storage.data_path)
    archive = tmp_path / "pg.tar"
    r = _run("--config", str(config_file), "backup", "-o", str(archive))
    assert r.exit_code == 0, r.output
    assert read_manifest(archive)["database"]["file"] == "database/saigawatch.pgdump"
    fresh = postgres_server.create_database(f"rs_{uuid.uuid4().hex[:8]}")
    target = tmp_path / "restored"
    r = _run("--config", str(config_file), "restore", str(archive), "--target", str(target), "--database-url", fresh)
    assert r.exit_code == 0, r.output
    assert _snapshot(fresh, target) == before
    # a non-empty database is never overwritten
    r = _run("--config", str(config_file), "restore", str(archive), "--target", str(tmp_path / "again"),
             "--database-url", fresh)
    assert r.exit_code == 1 and "not empty" in r.output
    assert json.loads(json.dumps(read_manifest(archive)))["format"] == "saigawatch-backup"
