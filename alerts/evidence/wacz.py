"""Build a WACZ 1.1.1 package (WARC + SURT CDXJ index + pages + datapackage), signed as the WACZ signing
specification describes (anonymous mode: ECDSA P-384 over the datapackage hash), and check one."""
from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass

import surt
from warcio.archiveiterator import ArchiveIterator

from alerts.evidence import keys as keymod
from alerts.evidence.hashing import sha256_bytes

WACZ_VERSION = "1.1.1"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member times keep the package's members reproducible
RESOURCE_NAME = re.compile(r"^([-a-z0-9._/])+$")  # Frictionless data-package resource names


def resource_name(path: str) -> str:
    """A data-package resource name for a member path: lower case, other characters as '-'."""
    return re.sub(r"[^-a-z0-9._/]", "-", path.rsplit("/", 1)[-1].lower())


def surt_key(url: str) -> str:
    """The standard SURT form CDXJ indexes sort by (the `surt` package: IPs reversed, query sorted)."""
    return surt.surt(url)


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
        lines.append(f"{surt_key(url)} {warc_timestamp(record.rec_headers.get_header('WARC-Date') or '')} "
                     f"{json.dumps(fields, ensure_ascii=False)}")
    return sorted(lines)


def build_wacz(warcs: dict[str, bytes], pages: list[Page], *, title: str, description: str, software: str,
               created: dt.datetime, signing_key=None) -> bytes:
    """A WACZ file as bytes. `warcs` maps file names (e.g. 'data.warc.gz') to gzipped WARC bytes; with a
    signing key, datapackage-digest.json carries `signedData` so the file proves its origin on its own."""
    members: dict[str, bytes] = {}
    index: list[str] = []
    for name, data in warcs.items():
        name = resource_name(name)
        members[f"archive/{name}"] = data
        index += cdxj_lines(data, name)
    members["indexes/index.cdx"] = ("\n".join(sorted(index)) + "\n").encode("utf-8")
    page_lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
    for page in pages:
        page_lines.append(json.dumps({"id": uuid.uuid5(uuid.NAMESPACE_URL, page.url + page.ts).hex, "url": page.url,
                                      "ts": page.ts, "title": page.title}, ensure_ascii=False))
    members["pages/pages.jsonl"] = ("\n".join(page_lines) + "\n").encode("utf-8")
    created_iso = created.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    package = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": title,
        "description": description,
        "created": created_iso,
        "software": software,
        "mainPageUrl": pages[0].url if pages else None,
        "mainPageDate": pages[0].ts if pages else None,
        "resources": [{"name": resource_name(path), "path": path, "hash": sha256_bytes(data), "bytes": len(data)}
                      for path, data in members.items()],
    }
    package_bytes = json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8")
    package_hash = sha256_bytes(package_bytes)
    digest_doc: dict = {"path": "datapackage.json", "hash": package_hash}
    if signing_key is not None:
        digest_doc["signedData"] = {
            "hash": package_hash,
            "signature": base64.b64encode(keymod.sign_raw(signing_key, package_hash.encode("ascii"))).decode("ascii"),
            "publicKey": base64.b64encode(keymod.public_key_der(signing_key.public_key())).decode("ascii"),
            "created": created_iso,
            "software": software,
        }
    digest = json.dumps(digest_doc, indent=2).encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path, data in [*members.items(), ("datapackage.json", package_bytes), ("datapackage-digest.json", digest)]:
            info = zipfile.ZipInfo(path, ZIP_DATE)
            # WARCs are already gzipped and players seek into them: store them uncompressed, as the spec asks
            info.compress_type = zipfile.ZIP_STORED if path.startswith("archive/") else zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


@dataclass
class WaczCheck:
    problems: list[str]
    key_id: str | None = None  # fingerprint of the key in signedData, when its signature verified
    algorithm: str | None = None  # 'ECDSA P-384' or 'Ed25519', with key_id
    created: str | None = None


def check_wacz(zf: zipfile.ZipFile, max_member_bytes: int = 200_000_000) -> WaczCheck:
    """A WACZ's own seal: the signature in datapackage-digest.json first (before hashing any large member),
    then datapackage.json's hash, every resource hash, and every index line pointing at a record of its URL."""
    problems: list[str] = []
    check = WaczCheck(problems)
    names = set(zf.namelist())
    for required in ("datapackage.json", "datapackage-digest.json"):
        if required not in names:
            problems.append(f"{required}: missing")
    if problems:
        return check
    package_bytes = zf.read("datapackage.json")
    try:
        digest = json.loads(zf.read("datapackage-digest.json"))
        package = json.loads(package_bytes)
    except ValueError as exc:
        problems.append(f"datapackage: not valid JSON ({exc})")
        return check
    check.created = package.get("created")
    if digest.get("hash") != sha256_bytes(package_bytes):
        problems.append("datapackage.json: hash differs from datapackage-digest.json")
        return check
    signed = digest.get("signedData")
    if not signed:
        problems.append("datapackage-digest.json: not signed (no signedData)")
        return check
    try:
        key = keymod.load_public_key(base64.b64decode(signed.get("publicKey", ""), validate=True), "signedData.publicKey")
        signature = base64.b64decode(signed.get("signature", ""), validate=True)
    except (keymod.SigningKeyError, ValueError) as exc:
        problems.append(f"datapackage-digest.json: {exc}")
        return check
    if signed.get("hash") != digest["hash"] or not keymod.verify_raw(key, signed["hash"].encode("ascii"), signature):
        problems.append("datapackage-digest.json: signature does not match datapackage.json")
        return check
    if signed.get("created") != package.get("created"):
        problems.append("datapackage-digest.json: signed 'created' differs from datapackage.json")
    check.key_id, check.algorithm = keymod.key_id(key), keymod.algorithm_label(key)
    listed = set()
    for res in package.get("resources", []):
        path = res.get("path", "")
        listed.add(path)
        if not RESOURCE_NAME.match(str(res.get("name", ""))):
            problems.append(f"{path}: resource name {res.get('name')!r} is not a valid data-package name")
        if path not in names:
            problems.append(f"{path}: missing (listed in datapackage.json)")
            continue
        if zf.getinfo(path).file_size > max_member_bytes:
            problems.append(f"{path}: over the {max_member_bytes}-byte limit")
            continue
        if sha256_bytes(zf.read(path)) != res.get("hash"):
            problems.append(f"{path}: hash differs from datapackage.json")
    for extra in sorted(names - listed - {"datapackage.json", "datapackage-digest.json"}):
        if not extra.endswith("/"):
            problems.append(f"{extra}: not listed in datapackage.json")
    if problems or "indexes/index.cdx" not in names:
        return check
    for line in zf.read("indexes/index.cdx").decode("utf-8").splitlines():
        if not line.strip():
            continue
        fields = json.loads(line.split(" ", 2)[2])
        warc = zf.read(f"archive/{fields['filename']}")
        chunk = warc[int(fields["offset"]):int(fields["offset"]) + int(fields["length"])]
        record = next(iter(ArchiveIterator(io.BytesIO(chunk))))
        if record.rec_headers.get_header("WARC-Target-URI") != fields["url"]:
            problems.append(f"index line for {fields['url']} points at another record")
    return check
