"""Build a WACZ 1.1.1 package (WARC + CDXJ index + pages + datapackage) that standard web-archive players replay."""
from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from alerts.evidence.hashing import sha256_bytes

WACZ_VERSION = "1.1.1"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member times keep the package byte-for-byte reproducible


def surt(url: str) -> str:
    """SURT form used by CDXJ indexes: 'com,example)/path?query'."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    is_ip = host.replace(".", "").isdigit()
    key = host if is_ip else ",".join(reversed(host.split(".")))
    if parts.port and not ((parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)):
        key = f"{key}:{parts.port}"
    key += ")" + (parts.path or "/")
    if parts.query:
        key += "?" + parts.query
    return key.lower()


def warc_timestamp(warc_date: str) -> str:
    return "".join(ch for ch in warc_date if ch.isdigit())[:14]


@dataclass
class Page:
    url: str
    ts: str  # ISO 8601 UTC
    title: str = ""


def cdxj_lines(warc: bytes, filename: str) -> list[str]:
    """One CDXJ line per response record, with its offset and length inside the WARC."""
    lines = []
    iterator = ArchiveIterator(io.BytesIO(warc))
    for record in iterator:
        if record.rec_type not in ("response", "resource"):
            continue
        url = record.rec_headers.get_header("WARC-Target-URI")
        status = record.http_headers.get_statuscode() if record.http_headers else "200"
        mime = (record.http_headers.get_header("Content-Type") if record.http_headers else None) or "unk"
        digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
        record.content_stream().read()
        offset = iterator.get_record_offset()
        length = iterator.get_record_length()
        fields = {"url": url, "mime": mime.split(";")[0].strip(), "status": str(status), "digest": digest,
                  "length": str(length), "offset": str(offset), "filename": filename}
        lines.append(f"{surt(url)} {warc_timestamp(record.rec_headers.get_header('WARC-Date') or '')} "
                     f"{json.dumps(fields, ensure_ascii=False)}")
    return sorted(lines)


def build_wacz(warcs: dict[str, bytes], pages: list[Page], *, title: str, description: str, software: str,
               created: dt.datetime) -> bytes:
    """A WACZ file as bytes. `warcs` maps file names (e.g. 'data.warc.gz') to gzipped WARC bytes."""
    members: dict[str, bytes] = {}
    index: list[str] = []
    for name, data in warcs.items():
        members[f"archive/{name}"] = data
        index += cdxj_lines(data, name)
    members["indexes/index.cdx"] = ("\n".join(sorted(index)) + "\n").encode("utf-8")
    page_lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
    for page in pages:
        page_lines.append(json.dumps({"id": uuid.uuid5(uuid.NAMESPACE_URL, page.url + page.ts).hex, "url": page.url,
                                      "ts": page.ts, "title": page.title}, ensure_ascii=False))
    members["pages/pages.jsonl"] = ("\n".join(page_lines) + "\n").encode("utf-8")
    created_iso = created.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    package = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": title,
        "description": description,
        "created": created_iso,
        "software": software,
        "mainPageUrl": pages[0].url if pages else None,
        "mainPageDate": pages[0].ts if pages else None,
        "resources": [{"name": path.rsplit("/", 1)[-1], "path": path, "hash": sha256_bytes(data), "bytes": len(data)}
                      for path, data in members.items()],
    }
    package_bytes = json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8")
    digest = json.dumps({"path": "datapackage.json", "hash": sha256_bytes(package_bytes)}, indent=2).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, data in [*members.items(), ("datapackage.json", package_bytes), ("datapackage-digest.json", digest)]:
            info = zipfile.ZipInfo(path, ZIP_DATE)
            # WARCs are already gzipped and players seek into them: store them uncompressed, as the spec asks
            info.compress_type = zipfile.ZIP_STORED if path.startswith("archive/") else zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def check_wacz(data: bytes) -> list[str]:
    """Problems with a WACZ: datapackage hashes, and every index line pointing at a record of its URL."""
    problems = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        package = json.loads(zf.read("datapackage.json"))
        for res in package.get("resources", []):
            if sha256_bytes(zf.read(res["path"])) != res["hash"]:
                problems.append(f"{res['path']}: hash differs from datapackage.json")
        for line in zf.read("indexes/index.cdx").decode("utf-8").splitlines():
            if not line.strip():
                continue
            fields = json.loads(line.split(" ", 2)[2])
            warc = zf.read(f"archive/{fields['filename']}")
            chunk = warc[int(fields["offset"]):int(fields["offset"]) + int(fields["length"])]
            record = next(iter(ArchiveIterator(io.BytesIO(chunk))))
            if record.rec_headers.get_header("WARC-Target-URI") != fields["url"]:
                problems.append(f"index line for {fields['url']} points at another record")
    return problems
