"""Append raw HTTP responses to gzipped WARC files and read single records back by offset."""
from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
import os
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from store.listings import sha256_of

SOFTWARE = "SaigaWatch"


@dataclass(frozen=True)
class WarcRef:
    """Where a record lives: path relative to data_dir, byte offset and length of the gzip member."""

    path: str
    offset: int
    length: int
    record_id: str
    sha256: str  # sha256:<hex> of the HTTP body


def _http_reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _digest(data: bytes) -> str:
    """WARC digest notation, as warcio writes and checks it: 'sha256:<base32>'."""
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode("ascii")


class WarcWriter:
    """Writes response (and request) records to data_dir/warc/YYYY/MM/DD/<unique>.warc.gz.

    Each process gets its own file (host, pid and a random part in the name), so several crawlers can
    share one data directory; a file is rotated when it passes `max_bytes`. Every record is flushed
    at once, so a killed process leaves all earlier records readable.
    """

    def __init__(self, data_dir: str | Path, max_bytes: int = 1_000_000_000, prefix: str = "saigawatch"):
        self.data_dir = Path(data_dir)
        self.max_bytes = max_bytes
        self.prefix = prefix
        self._fh: io.BufferedWriter | None = None
        self._path: Path | None = None
        self._writer: WARCWriter | None = None
        self._lock = threading.Lock()

    def _open(self, when: dt.datetime) -> None:
        self.close()
        rel = Path("warc") / when.strftime("%Y/%m/%d")
        (self.data_dir / rel).mkdir(parents=True, exist_ok=True)
        name = f"{self.prefix}-{when.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{uuid.uuid4().hex[:8]}.warc.gz"
        self._path = rel / name
        self._fh = open(self.data_dir / self._path, "ab")
        self._writer = WARCWriter(self._fh, gzip=True)
        info = self._writer.create_warcinfo_record(name, {"software": SOFTWARE, "format": "WARC File Format 1.1"})
        self._writer.write_record(info)
        self._fh.flush()

    def write_raw_response(self, url: str, raw: bytes, fetched_at: dt.datetime | None = None,
                           request_headers: list[tuple[str, str]] | None = None, method: str = "GET",
                           ip_address: str | None = None) -> WarcRef:
        """Append one HTTP response exactly as received (status line, headers, framing, encoded body), plus its
        request. The record is written by hand: warcio would re-serialise the headers it parsed."""
        fetched_at = fetched_at or dt.datetime.now(dt.timezone.utc)
        split = raw.find(b"\r\n\r\n")
        if not raw.startswith(b"HTTP/") or split < 0:
            raise ValueError(f"{url}: not an HTTP response message ({raw[:20]!r}...)")
        warc_date = fetched_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        head = ["WARC/1.1", "WARC-Type: response", f"WARC-Record-ID: {record_id}", f"WARC-Date: {warc_date}",
                f"WARC-Target-URI: {url}", *([f"WARC-IP-Address: {ip_address}"] if ip_address else []),
                "Content-Type: application/http; msgtype=response",
                f"WARC-Block-Digest: {_digest(raw)}", f"WARC-Payload-Digest: {_digest(raw[split + 4:])}",
                f"Content-Length: {len(raw)}"]
        member = gzip.compress(("\r\n".join(head) + "\r\n\r\n").encode("utf-8") + raw + b"\r\n\r\n", mtime=0)
        record = next(iter(ArchiveIterator(io.BytesIO(member))))
        body = record.content_stream().read()  # de-chunked and decoded: the hash the evidence chain checks
        with self._lock:
            if self._fh is None or self._fh.tell() > self.max_bytes:
                self._open(fetched_at)
            assert self._writer is not None and self._fh is not None and self._path is not None
            offset = self._fh.tell()
            self._fh.write(member)
            self._fh.flush()
            self._write_request(url, method, request_headers, warc_date, record_id)
            return WarcRef(str(self._path), offset, len(member), record_id, sha256_of(body))

    def _write_request(self, url: str, method: str, request_headers, warc_date: str, record_id: str) -> None:
        """Append the request record of a response just written (one gzip member, written by hand like the
        response: building it through warcio cost as much as the response itself)."""
        lines = [f"{method} {url} HTTP/1.1", *(f"{k}: {v}" for k, v in request_headers or [])]
        block = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        head = ["WARC/1.1", "WARC-Type: request", f"WARC-Record-ID: <urn:uuid:{uuid.uuid4()}>",
                f"WARC-Date: {warc_date}", f"WARC-Target-URI: {url}", f"WARC-Concurrent-To: {record_id}",
                "Content-Type: application/http; msgtype=request", f"WARC-Block-Digest: {_digest(block)}",
                f"WARC-Payload-Digest: {_digest(b'')}", f"Content-Length: {len(block)}"]
        self._fh.write(gzip.compress(("\r\n".join(head) + "\r\n\r\n").encode("utf-8") + block + b"\r\n\r\n",
                                     mtime=0))
        self._fh.flush()

    def write_response(self, url: str, status: int, headers: list[tuple[str, str]] | dict[str, str], body: bytes,
                       fetched_at: dt.datetime | None = None, request_headers: list[tuple[str, str]] | None = None,
                       method: str = "GET") -> WarcRef:
        """Append one HTTP response rebuilt from parsed parts (plus its request), for downloads whose raw bytes are
        unknown (a browser download handler); prefer write_raw_response."""
        fetched_at = fetched_at or dt.datetime.now(dt.timezone.utc)
        header_list = list(headers.items()) if isinstance(headers, dict) else list(headers)
        # The body given is decoded (a browser's); drop transfer headers that no longer describe it.
        header_list = [(k, v) for k, v in header_list
                       if k.lower() not in ("content-encoding", "transfer-encoding", "content-length")]
        header_list.append(("Content-Length", str(len(body))))
        with self._lock:
            if self._fh is None or self._fh.tell() > self.max_bytes:
                self._open(fetched_at)
            assert self._writer is not None and self._fh is not None and self._path is not None
            warc_date = fetched_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            http_headers = StatusAndHeaders(f"{status} {_http_reason(status)}", header_list, protocol="HTTP/1.1")
            record = self._writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http_headers,
                warc_headers_dict={"WARC-Date": warc_date},
            )
            offset = self._fh.tell()
            self._writer.write_record(record)
            self._fh.flush()
            length = self._fh.tell() - offset
            record_id = record.rec_headers.get_header("WARC-Record-ID")
            self._write_request(url, method, request_headers, warc_date, record_id)
            return WarcRef(str(self._path), offset, length, record_id, sha256_of(body))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
        self._fh = self._writer = None

    def __enter__(self) -> "WarcWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class WarcResponse:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: str
    record_id: str


def read_response(data_dir: str | Path, path: str, offset: int) -> WarcResponse:
    """Read the response record at `offset` in data_dir/path."""
    full = Path(data_dir) / path
    with open(full, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            if record.rec_type != "response":
                raise ValueError(f"{full}@{offset}: expected a WARC response record, found {record.rec_type}")
            status = int(record.http_headers.get_statuscode()) if record.http_headers else 0
            headers = list(record.http_headers.headers) if record.http_headers else []
            return WarcResponse(
                url=record.rec_headers.get_header("WARC-Target-URI"),
                status=status,
                headers=headers,
                body=record.content_stream().read(),
                date=record.rec_headers.get_header("WARC-Date"),
                record_id=record.rec_headers.get_header("WARC-Record-ID"),
            )
    raise ValueError(f"{full}@{offset}: no WARC record at this offset")
