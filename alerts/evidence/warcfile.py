"""Copy stored WARC records byte-for-byte into an evidence WARC, checking each against the hash the crawl recorded."""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from alerts.evidence.hashing import sha256_bytes
from store.models import Capture


class RecordError(Exception):
    """A stored record is missing, unreadable or no longer matches its recorded hash."""


@dataclass
class CopiedRecord:
    capture_id: int
    url: str
    kind: str
    status: int | None
    content_type: str | None
    body: bytes
    member: bytes  # the gzip member exactly as stored
    record_id: str | None
    fetched_at: str


def read_member(data_dir: Path, capture: Capture) -> CopiedRecord:
    """The gzip member of one Capture, checked: a response record whose body hashes to capture.sha256."""
    base = Path(data_dir).resolve()
    path = (base / capture.warc_path).resolve()
    if base not in path.parents:
        raise RecordError(f"capture {capture.id}: WARC path {capture.warc_path!r} is outside the data directory")
    try:
        with open(path, "rb") as fh:
            fh.seek(capture.warc_offset)
            member = fh.read(capture.warc_length)
    except OSError as exc:
        raise RecordError(f"capture {capture.id}: cannot read {capture.warc_path}: {exc.strerror}") from None
    if len(member) != capture.warc_length:
        raise RecordError(f"capture {capture.id}: {capture.warc_path} is shorter than recorded (truncated?)")
    try:
        record = next(iter(ArchiveIterator(io.BytesIO(member))))
        body = record.content_stream().read()
    except Exception as exc:  # noqa: BLE001 - warcio raises many kinds for corrupt data
        raise RecordError(f"capture {capture.id}: unreadable WARC record at {capture.warc_path}@{capture.warc_offset}: {exc}") from None
    if record.rec_type != "response":
        raise RecordError(f"capture {capture.id}: expected a response record, found {record.rec_type}")
    if capture.sha256 and sha256_bytes(body) != capture.sha256:
        raise RecordError(f"capture {capture.id}: body no longer matches the hash recorded at crawl time")
    return CopiedRecord(capture.id, capture.url, capture.kind, capture.status_code, capture.content_type, body, member,
                        record.rec_headers.get_header("WARC-Record-ID"),
                        record.rec_headers.get_header("WARC-Date") or "")


def warcinfo_member(filename: str, info: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True)
    writer.write_record(writer.create_warcinfo_record(filename, info))
    return buf.getvalue()


def build_warc(filename: str, records: list[CopiedRecord], info: dict[str, str]) -> bytes:
    """A gzipped WARC: a warcinfo record, then the stored members unchanged."""
    return warcinfo_member(filename, info) + b"".join(r.member for r in records)
