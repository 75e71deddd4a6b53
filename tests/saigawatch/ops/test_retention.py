"""Retention: never-flagged captures go, evidence stays, shared WARC files are rewritten safely."""
from __future__ import annotations

import datetime as dt
import json
import os

from click.testing import CliRunner
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from saigawatch.ops.retention import plan_purge, purge
from saigawatch.cli import app
from store.models import Capture, Image
from store.warc import WarcWriter, read_response
from tests.ops_support import NOW, add_listing, add_review, ops_settings, prepared_store

OLD = NOW - dt.timedelta(days=120)


def _capture(session, writer, url, body, listing=None, kind="page", when=OLD):
    ref = writer.write_response(url, 200, [("Content-Type", "text/html")], body, when)
    cap = Capture(listing_id=listing.id if listing else None, kind=kind, url=url, status_code=200,
                  content_type="text/html", warc_path=ref.path, warc_offset=ref.offset, warc_length=ref.length,
                  warc_record_id=ref.record_id, sha256=ref.sha256, fetched_at=when)
    session.add(cap)
    session.flush()
    return cap


def _image(session, data_dir, listing, name, data=b"\x89PNG fake", when=OLD):
    rel = f"images/ab/{name}.png"
    (data_dir / rel).parent.mkdir(parents=True, exist_ok=True)
    (data_dir / rel).write_bytes(data)
    img = Image(listing_id=listing.id, url=f"https://img.test/{name}-{listing.id}", sha256="sha256:" + name, path=rel,
                fetched_at=when)
    session.add(img)
    session.flush()
    return img


def _world(store, settings):
    """One shared WARC file holding records of listings with different fates; photos, one of them shared."""
    data_dir = settings.storage.data_path
    ids = {}
    with store.session() as s, WarcWriter(data_dir) as w:
        plain = add_listing(s, "p1", "Продам диван", score=0.05, seen=OLD)
        flagged = add_listing(s, "f1", "Продам рога сайги", score=0.95, flagged=True, seen=OLD)
        flagged.search_url = "https://olx.test/search?q=saiga"
        reviewed = add_listing(s, "r1", "Сувенир сайгак", score=0.2, seen=OLD)
        add_review(s, reviewed, "not_trade", OLD)
        unclassified = add_listing(s, "u1", "Что-то", seen=OLD)
        young = add_listing(s, "y1", "Продам велосипед", score=0.01, seen=NOW)
        ids["plain"] = _capture(s, w, "https://olx.test/ad/p1", b"<html>divan</html>", plain).id
        ids["plain2"] = _capture(s, w, "https://olx.test/ad/p1?v=2", b"<html>divan 2</html>", plain).id
        ids["flagged"] = _capture(s, w, "https://olx.test/ad/f1", b"<html>saiga horn</html>", flagged).id
        ids["reviewed"] = _capture(s, w, "https://olx.test/ad/r1", b"<html>souvenir</html>", reviewed).id
        ids["unclassified"] = _capture(s, w, "https://olx.test/ad/u1", b"<html>?</html>", unclassified).id
        ids["search_kept"] = _capture(s, w, "https://olx.test/search?q=saiga", b"<html>results</html>", kind="search").id
        ids["search_old"] = _capture(s, w, "https://olx.test/search?q=bike", b"<html>bikes</html>", kind="search").id
        ids["young"] = _capture(s, w, "https://olx.test/ad/y1", b"<html>bike</html>", young, when=NOW).id
        # photo responses are stored unlinked (listing_id NULL), like the crawler does
        ids["photo_flagged"] = _capture(s, w, f"https://img.test/shared-{flagged.id}", b"\x89PNG f", kind="image").id
        ids["photo_plain"] = _capture(s, w, f"https://img.test/only-plain-{plain.id}", b"\x89PNG p", kind="image").id
        ids["img_plain"] = _image(s, data_dir, plain, "only-plain").id
        ids["img_shared_plain"] = _image(s, data_dir, plain, "shared").id
        ids["img_shared_flagged"] = _image(s, data_dir, flagged, "shared").id
        warc = s.get(Capture, ids["plain"]).warc_path
    old_time = (NOW - dt.timedelta(days=100)).timestamp()
    os.utime(data_dir / warc, (old_time, old_time))
    return ids, warc


def _bodies(store, settings):
    with store.session() as s:
        caps = s.scalars(select(Capture).order_by(Capture.id)).all()
        return {c.id: (c.warc_path, read_response(settings.storage.data_path, c.warc_path, c.warc_offset).body, c.sha256)
                for c in caps}


def test_dry_run_changes_nothing(sqlite_store, tmp_path):
    settings = ops_settings(tmp_path)
    ids, warc = _world(sqlite_store, settings)
    before = _bodies(sqlite_store, settings)
    size = (settings.storage.data_path / warc).stat().st_size
    result = purge(sqlite_store, settings, now=NOW, dry_run=True)
    assert sorted(result.plan.capture_ids) == sorted([ids["plain"], ids["plain2"], ids["search_old"], ids["photo_plain"]])
    assert result.plan.by_kind == {"page": 2, "search": 1, "image": 1}
    assert result.plan.image_ids == [ids["img_plain"], ids["img_shared_plain"]]
    assert result.plan.image_files == ["images/ab/only-plain.png"]
    assert result.plan.unclassified_skipped == 1 and result.plan.protected_listings == 2
    assert _bodies(sqlite_store, settings) == before
    assert (settings.storage.data_path / warc).stat().st_size == size


def test_purge_rewrites_the_shared_warc_and_keeps_evidence(store, tmp_path):
    settings = ops_settings(tmp_path)
    ids, warc = _world(store, settings)
    data_dir = settings.storage.data_path
    before = _bodies(store, settings)
    result = purge(store, settings, now=NOW)
    assert result.errors == []
    assert result.captures_deleted == 4 and result.warc_files_rewritten == 1 and result.bytes_freed > 0
    assert not (data_dir / warc).exists()
    after = _bodies(store, settings)
    assert set(after) == set(before) - {ids["plain"], ids["plain2"], ids["search_old"], ids["photo_plain"]}
    assert ids["photo_flagged"] in after  # the flagged listing's photo response is evidence
    for cid, (path, body, sha) in after.items():
        assert path.endswith(".r1.warc.gz")
        assert body == before[cid][1]  # same bytes, new offsets
    # the rewritten file holds no trace of the purged pages: neither responses nor their request records
    urls = []
    with open(data_dir / after[ids["flagged"]][0], "rb") as fh:
        for rec in ArchiveIterator(fh):
            urls.append((rec.rec_type, rec.rec_headers.get_header("WARC-Target-URI")))
    assert ("response", "https://olx.test/ad/p1") not in urls and ("request", "https://olx.test/ad/p1") not in urls
    assert ("request", "https://olx.test/ad/f1") in urls and urls[0][0] == "warcinfo"
    # photos: the unshared one is gone, the one also used by the flagged listing stays on disk
    assert not (data_dir / "images/ab/only-plain.png").exists()
    assert (data_dir / "images/ab/shared.png").exists()
    with store.session() as s:
        assert s.get(Image, ids["img_plain"]).path is None and s.get(Image, ids["img_shared_flagged"]).path
    # a second pass has nothing left to do
    again = purge(store, settings, now=NOW)
    assert again.captures_deleted == 0 and again.plan.capture_ids == []


def test_recent_file_is_deferred_and_all_purged_file_is_deleted(sqlite_store, tmp_path):
    settings = ops_settings(tmp_path)
    data_dir = settings.storage.data_path
    with sqlite_store.session() as s, WarcWriter(data_dir) as w:
        plain = add_listing(s, "p1", "Продам диван", score=0.05, seen=OLD)
        cid = _capture(s, w, "https://olx.test/ad/p1", b"<html>divan</html>", plain).id
        warc = s.get(Capture, cid).warc_path
    plan = plan_purge(sqlite_store, settings, now=dt.datetime.now(dt.timezone.utc))
    assert plan.capture_ids == [] and plan.deferred_files == [warc]  # just written: a crawler may still append
    old_time = (NOW - dt.timedelta(days=100)).timestamp()
    os.utime(data_dir / warc, (old_time, old_time))
    result = purge(sqlite_store, settings, now=NOW)
    assert result.warc_files_deleted == 1 and not (data_dir / warc).exists()
    with sqlite_store.session() as s:
        assert s.scalars(select(Capture)).all() == []


def test_retention_command(config_file, tmp_path):
    prepared_store(config_file, lambda settings, store: _world(store, settings))
    runner = CliRunner()
    r = runner.invoke(app, ["--config", str(config_file), "retention", "--dry-run", "--days", "30"])
    assert r.exit_code == 0, r.output
    assert "would purge 4 capture(s) (image 1, page 2, search 1)" in r.output
    r = runner.invoke(app, ["--config", str(config_file), "retention", "--days", "30", "--json"])
    data = json.loads(r.output)
    assert data["captures_deleted"] == 4 and data["warc_files_rewritten"] == 1 and data["dry_run"] is False
