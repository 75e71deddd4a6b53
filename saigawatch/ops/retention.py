"""Retention: purge raw captures and photos of never-flagged listings after retention.raw_capture_days.

Evidence of flagged, reviewed, captured or appealed listings is never purged. WARC files hold records of
many listings, so a file with purged records is rewritten under a new name (records copied byte for
byte), the surviving Capture rows are pointed at their new offsets in the same transaction that deletes
the purged rows, and only then is the old file removed. A crash at any point leaves either the old file
with the old rows or the new file with the new rows (plus, at worst, an orphan file), never a dangling row.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from warcio.archiveiterator import ArchiveIterator

from config import Settings
from store import Store
from store.models import (Capture, Classification, EvidenceCapture, Image, Listing, Review, appeal_listings,
                          utcnow)

log = logging.getLogger("saigawatch.retention")


@dataclass
class RetentionPlan:
    """What a purge would remove (a dry run prints this)."""

    cutoff: dt.datetime
    capture_ids: list[int] = field(default_factory=list)
    capture_bytes: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[int]] = field(default_factory=dict)  # warc_path -> capture ids to purge in it
    deferred_files: list[str] = field(default_factory=list)  # modified too recently to rewrite now
    image_ids: list[int] = field(default_factory=list)
    image_files: list[str] = field(default_factory=list)  # paths (relative to data_dir) no kept row uses
    image_bytes: int = 0
    protected_listings: int = 0
    unclassified_skipped: int = 0

    def summary(self) -> dict[str, Any]:
        return {"cutoff": self.cutoff.isoformat(timespec="seconds"), "captures": len(self.capture_ids),
                "capture_bytes": self.capture_bytes, "captures_by_kind": dict(sorted(self.by_kind.items())),
                "warc_files": len(self.files), "deferred_warc_files": len(self.deferred_files),
                "images": len(self.image_ids), "image_files": len(self.image_files), "image_bytes": self.image_bytes,
                "protected_listings": self.protected_listings, "unclassified_listings_kept": self.unclassified_skipped}


@dataclass
class RetentionResult:
    plan: RetentionPlan
    captures_deleted: int = 0
    warc_files_rewritten: int = 0
    warc_files_deleted: int = 0
    bytes_freed: int = 0
    images_cleared: int = 0
    image_files_deleted: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {**self.plan.summary(), "captures_deleted": self.captures_deleted,
                "warc_files_rewritten": self.warc_files_rewritten, "warc_files_deleted": self.warc_files_deleted,
                "bytes_freed": self.bytes_freed, "images_cleared": self.images_cleared,
                "image_files_deleted": self.image_files_deleted, "errors": self.errors}


def protected_listing_ids(session) -> set[int]:
    """Listings whose evidence is kept forever: ever flagged, reviewed, evidence-captured or in an appeal."""
    ids: set[int] = set(session.scalars(select(Classification.listing_id).where(Classification.flagged.is_(True))))
    ids |= set(session.scalars(select(Review.listing_id)))
    ids |= set(session.scalars(select(EvidenceCapture.listing_id)))
    ids |= set(session.scalars(select(appeal_listings.c.listing_id)))
    return ids


def plan_purge(store: Store, settings: Settings, now: dt.datetime | None = None, days: int | None = None) -> RetentionPlan:
    """Decide what goes: captures older than the cutoff that belong to no protected listing or search page."""
    now = now or utcnow()
    days = days or settings.retention.raw_capture_days
    cutoff = now - dt.timedelta(days=days)
    data_dir = settings.storage.data_path
    recent = dt.timedelta(hours=settings.retention.skip_files_modified_within_hours)
    plan = RetentionPlan(cutoff=cutoff)
    with store.session() as session:
        protected = protected_listing_ids(session)
        plan.protected_listings = len(protected)
        classified = set(session.scalars(select(Classification.listing_id).distinct()))
        protected_urls: set[str] = set()
        if protected:
            # captures not linked to a listing that are still part of a protected listing's evidence:
            # the search pages that surfaced it and the HTTP responses of its photos
            protected_urls |= {url for lid, url in session.execute(
                select(Listing.id, Listing.search_url).where(Listing.search_url.is_not(None))) if lid in protected}
            protected_urls |= {url for lid, url in session.execute(select(Image.listing_id, Image.url))
                               if lid in protected}
        old = session.scalars(select(Capture).where(Capture.fetched_at < cutoff).order_by(Capture.id)).all()
        unclassified: set[int] = set()
        for cap in old:
            if cap.listing_id is not None:
                if cap.listing_id in protected:
                    continue
                if cap.listing_id not in classified:
                    unclassified.add(cap.listing_id)
                    continue
            elif cap.url in protected_urls:
                continue  # a search page or photo of a protected listing
            full = data_dir / cap.warc_path
            try:
                mtime = dt.datetime.fromtimestamp(full.stat().st_mtime, dt.timezone.utc)
            except OSError:
                mtime = None
            if mtime is not None and now - mtime < recent:
                if cap.warc_path not in plan.deferred_files:
                    plan.deferred_files.append(cap.warc_path)
                continue
            plan.capture_ids.append(cap.id)
            plan.capture_bytes += cap.warc_length or 0
            plan.by_kind[cap.kind] = plan.by_kind.get(cap.kind, 0) + 1
            plan.files.setdefault(cap.warc_path, []).append(cap.id)
        plan.unclassified_skipped = len(unclassified)

        images = session.scalars(select(Image).where(Image.path.is_not(None))).all()
        purge_images, keep_paths = [], set()
        listing_seen = dict(session.execute(select(Listing.id, Listing.last_seen)).all())
        for img in images:
            when = img.fetched_at or listing_seen.get(img.listing_id)
            eligible = (img.listing_id not in protected and img.listing_id in classified
                        and when is not None and when < cutoff)
            if eligible:
                purge_images.append(img)
            else:
                keep_paths.add(img.path)
        plan.image_ids = [img.id for img in purge_images]
        for path in sorted({img.path for img in purge_images} - keep_paths):
            plan.image_files.append(path)
            try:
                plan.image_bytes += (data_dir / path).stat().st_size
            except OSError:
                pass
    return plan


def _members(path: Path) -> list[dict[str, Any]]:
    """Every record of a WARC file: offset, length, type, id and the id it is concurrent to."""
    out = []
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            out.append({"offset": it.get_record_offset(), "type": record.rec_type,
                        "id": record.rec_headers.get_header("WARC-Record-ID"),
                        "concurrent": record.rec_headers.get_header("WARC-Concurrent-To")})
            record.content_stream().read()
            out[-1]["length"] = it.get_record_length()
    return out


def _chunks(ids: list[int], size: int = 500):
    """Slices of an id list small enough for any database's parameter limit."""
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


_REV = re.compile(r"\.r(\d+)$")


def _new_name(rel: str, data_dir: Path) -> str:
    """foo.warc.gz -> foo.r1.warc.gz (foo.r1 -> foo.r2 ...), never an existing file."""
    p = Path(rel)
    name = p.name
    suffix = ".warc.gz" if name.endswith(".warc.gz") else "".join(p.suffixes[-1:])
    stem = name[: -len(suffix)] if suffix else name
    m = _REV.search(stem)
    n = int(m.group(1)) + 1 if m else 1
    base = _REV.sub("", stem)
    while True:
        candidate = str(p.with_name(f"{base}.r{n}{suffix}"))
        if not (data_dir / candidate).exists():
            return candidate
        n += 1


def _rewrite_file(store: Store, data_dir: Path, rel: str, purge_ids: list[int], result: RetentionResult) -> None:
    """Rewrite one WARC file without the purged records; update and delete Capture rows; remove the old file."""
    src = data_dir / rel
    with store.session() as session:
        caps = session.scalars(select(Capture).where(Capture.warc_path == rel)).all()
    purge_set = set(purge_ids)
    purge_offsets = {c.warc_offset: c for c in caps if c.id in purge_set}
    kept_caps = [c for c in caps if c.id not in purge_set]
    if not src.exists():
        with store.session() as session:
            for chunk in _chunks(purge_ids):
                session.execute(delete(Capture).where(Capture.id.in_(chunk)))
        result.captures_deleted += len(purge_ids)
        result.errors.append(f"{rel}: file already missing; removed {len(purge_ids)} capture row(s) that pointed to it")
        return
    members = _members(src)
    by_offset = {m["offset"]: m for m in members}
    for off, cap in purge_offsets.items():
        m = by_offset.get(off)
        if m is None or m["type"] != "response" or (cap.warc_record_id and m["id"] != cap.warc_record_id):
            result.errors.append(f"{rel}: capture {cap.id} does not match the record at offset {off}; file left unchanged")
            return
    for cap in kept_caps:
        if cap.warc_offset not in by_offset:
            result.errors.append(f"{rel}: kept capture {cap.id} has no record at offset {cap.warc_offset}; file left unchanged")
            return
    purged_record_ids = {by_offset[o]["id"] for o in purge_offsets}
    drop = set(purge_offsets) | {m["offset"] for m in members if m["type"] == "request" and m["concurrent"] in purged_record_ids}
    keep = [m for m in members if m["offset"] not in drop]
    old_size = src.stat().st_size
    if all(m["type"] == "warcinfo" for m in keep):
        new_rel = None
    else:
        new_rel = _new_name(rel, data_dir)
        dst = data_dir / new_rel
        mapping: dict[int, int] = {}
        with open(src, "rb") as fin, open(dst, "xb") as fout:
            for m in keep:
                fin.seek(m["offset"])
                data = fin.read(m["length"])
                if len(data) != m["length"]:
                    raise OSError(f"{rel}: short read at offset {m['offset']}")
                mapping[m["offset"]] = fout.tell()
                fout.write(data)
            fout.flush()
            os.fsync(fout.fileno())
    try:
        with store.session() as session:
            if new_rel is not None:
                for cap in kept_caps:
                    session.execute(update(Capture).where(Capture.id == cap.id)
                                    .values(warc_path=new_rel, warc_offset=mapping[cap.warc_offset]))
            for chunk in _chunks(sorted(purge_set)):
                session.execute(delete(Capture).where(Capture.id.in_(chunk)))
    except Exception:
        if new_rel is not None:
            (data_dir / new_rel).unlink(missing_ok=True)
        raise
    src.unlink()
    new_size = (data_dir / new_rel).stat().st_size if new_rel else 0
    result.bytes_freed += old_size - new_size
    result.captures_deleted += len(purge_set)
    if new_rel is None:
        result.warc_files_deleted += 1
        log.info("retention: %s deleted (%d purged records, nothing else kept)", rel, len(purge_set))
    else:
        result.warc_files_rewritten += 1
        log.info("retention: %s rewritten as %s without %d record(s); %d capture(s) re-pointed",
                 rel, new_rel, len(purge_set), len(kept_caps))


def purge(store: Store, settings: Settings, now: dt.datetime | None = None, days: int | None = None,
          dry_run: bool = False) -> RetentionResult:
    """Apply the retention policy (or, with dry_run, only compute what it would do)."""
    plan = plan_purge(store, settings, now, days)
    result = RetentionResult(plan)
    if dry_run:
        return result
    log.info("retention: purging %d capture(s) in %d WARC file(s) and %d photo(s) older than %s",
             len(plan.capture_ids), len(plan.files), len(plan.image_ids), plan.cutoff.isoformat(timespec="seconds"))
    data_dir = settings.storage.data_path
    for rel, ids in sorted(plan.files.items()):
        try:
            _rewrite_file(store, data_dir, rel, ids, result)
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the rest
            log.error("retention: %s: %s", rel, exc)
            result.errors.append(f"{rel}: {type(exc).__name__}: {exc}")
    if plan.image_ids:
        with store.session() as session:
            for chunk in _chunks(plan.image_ids):
                session.execute(update(Image).where(Image.id.in_(chunk)).values(path=None))
        result.images_cleared = len(plan.image_ids)
        for rel in plan.image_files:
            path = data_dir / rel
            try:
                size = path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                result.errors.append(f"{rel}: cannot delete: {exc.strerror}")
                continue
            result.image_files_deleted += 1
            result.bytes_freed += size
    return result

