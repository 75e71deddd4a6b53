"""Check a bundle offline: every file hash, the Ed25519 signature, the RFC 3161 token and the custody chain."""
from __future__ import annotations

import json
import posixpath
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerts.evidence import keys as keymod
from alerts.evidence.bundlefile import Bundle, UnsafeBundle
from alerts.evidence.custody import check_chain
from alerts.evidence.hashing import sha256_bytes, sha256_stream
from alerts.evidence.manifest import FORMAT, MANIFEST, PUBLIC_KEY, SEAL_FILES, SIGNATURE, TOKEN, TOKEN_SIGNATURE
from alerts.evidence.timestamp import check_token

CUSTODY = "custody.jsonl"


@dataclass
class VerifyReport:
    source: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files_checked: int = 0
    created_at: str | None = None
    timestamp: str | None = None
    key_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def note(self, message: str) -> None:
        self.notes.append(message)


def verify_bundle(path: str | Path, *, max_member_bytes: int = 200_000_000, max_bundle_bytes: int | None = None,
                  public_key: Path | None = None, tsa_ca: Path | None = None) -> VerifyReport:
    """Everything that can be checked without a network; `problems` empty means intact."""
    report = VerifyReport(str(path))
    try:
        with Bundle(Path(path), max_member_bytes, max_bundle_bytes) as bundle:
            _verify(bundle, report, public_key, tsa_ca)
    except UnsafeBundle as exc:
        report.fail(f"unsafe bundle, refused: {exc}")
    except (FileNotFoundError, zipfile.BadZipFile) as exc:
        report.fail(str(exc))
    return report


def _load_manifest(bundle: Bundle, name: str, report: VerifyReport) -> tuple[bytes, dict[str, Any]] | None:
    if name not in bundle:
        report.fail(f"{name}: missing")
        return None
    data = bundle.read(name)
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        report.fail(f"{name}: not valid JSON ({exc})")
        return None
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), list):
        report.fail(f"{name}: not a SaigaWatch evidence manifest")
        return None
    return data, manifest


def _verify(bundle: Bundle, report: VerifyReport, public_key: Path | None, tsa_ca: Path | None) -> None:
    loaded = _load_manifest(bundle, MANIFEST, report)
    if loaded is None:
        return
    data, manifest = loaded
    report.created_at = manifest.get("created_at")
    listed = _check_files(bundle, manifest, "", report)
    allowed = set(listed) | set(SEAL_FILES) | {CUSTODY}
    for name in bundle.names():
        if name not in allowed:
            report.fail(f"{name}: file added (not in manifest.json)")
    _check_signature(bundle, manifest, data, "", report, public_key)
    _check_timestamp(bundle, manifest, data, "", report, tsa_ca)
    _check_custody(bundle, manifest, report)
    for name in bundle.names():
        if name.endswith("/" + MANIFEST) and name.startswith("listings/") and "/captures/" in name:
            _check_capture(bundle, name, report, tsa_ca)


def _check_files(bundle: Bundle, manifest: dict[str, Any], prefix: str, report: VerifyReport) -> list[str]:
    where = prefix + MANIFEST
    listed = []
    for entry in manifest["files"]:
        rel = entry.get("path", "")
        name = posixpath.normpath(prefix + rel) if rel else ""
        if not rel or name.startswith("../") or rel.startswith("/") or ".." in rel.split("/"):
            report.fail(f"{where}: unsafe path {rel!r} listed")
            continue
        listed.append(name)
        if name not in bundle:
            report.fail(f"{name}: missing (listed in {where})")
            continue
        try:
            with bundle.open(name) as fh:
                digest, size = sha256_stream(fh, bundle.max_member_bytes)
        except ValueError as exc:
            report.fail(f"{name}: {exc}")
            continue
        if digest != entry.get("sha256"):
            report.fail(f"{name}: content changed (sha256 {digest}, {where} says {entry.get('sha256')})")
        elif size != entry.get("size"):
            report.fail(f"{name}: size {size}, {where} says {entry.get('size')}")
        elif not prefix:
            report.files_checked += 1
    return listed


def _check_signature(bundle: Bundle, manifest: dict[str, Any], data: bytes, prefix: str, report: VerifyReport,
                     trusted: Path | None) -> None:
    where = prefix + MANIFEST
    sig_info = manifest.get("signature")
    if not sig_info:
        report.fail(f"{where}: not signed")
        return
    sig_name, key_name = prefix + SIGNATURE, prefix + sig_info.get("public_key_file", PUBLIC_KEY)
    if sig_name not in bundle:
        report.fail(f"{sig_name}: missing (the manifest says it is signed)")
        return
    if key_name not in bundle:
        report.fail(f"{key_name}: missing")
        return
    try:
        key = keymod.load_public_key(bundle.read(key_name), key_name)
    except keymod.SigningKeyError as exc:
        report.fail(str(exc))
        return
    kid = keymod.key_id(key)
    if kid != sig_info.get("key_id"):
        report.fail(f"{key_name}: key {kid} is not the one named in {where} ({sig_info.get('key_id')})")
    if trusted is not None:
        try:
            trusted_id = keymod.key_id(keymod.load_public_key(Path(trusted).read_bytes(), str(trusted)))
        except (OSError, keymod.SigningKeyError) as exc:
            report.fail(f"--public-key: {exc}")
            return
        if trusted_id != kid:
            report.fail(f"{where}: signed by key {kid}, not by the trusted key {trusted_id}")
    if not keymod.verify(key, data, bundle.read(sig_name)):
        report.fail(f"{sig_name}: signature does not match {where} (manifest or signature changed)")
        return
    if not prefix:
        report.key_id = kid
        report.note(f"signature: Ed25519 by key {kid}{' (trusted key)' if trusted else ''}, "
                    f"manifest dated {manifest.get('created_at')}")


def _check_timestamp(bundle: Bundle, manifest: dict[str, Any], data: bytes, prefix: str, report: VerifyReport,
                     tsa_ca: Path | None) -> None:
    ts = manifest.get("timestamp") or {}
    token_name = prefix + TOKEN
    if not ts.get("file"):
        if token_name in bundle:
            report.fail(f"{token_name}: present, but {prefix + MANIFEST} does not announce a timestamp")
        elif not prefix:
            report.note("timestamp: none taken" + (f" ({ts['error']})" if ts.get("error") else ""))
        return
    if token_name not in bundle:
        report.fail(f"{token_name}: missing (the manifest announces a timestamp from {ts.get('tsa_url')})")
        return
    token = bundle.read(token_name)
    if manifest.get("signature"):
        # every byte of the token is covered by the organisation's signature (CMS leaves some unsigned)
        token_sig = prefix + TOKEN_SIGNATURE
        key_name = prefix + manifest["signature"].get("public_key_file", PUBLIC_KEY)
        if token_sig not in bundle:
            report.fail(f"{token_sig}: missing (signature over {token_name})")
            return
        try:
            key = keymod.load_public_key(bundle.read(key_name), key_name)
        except (KeyError, keymod.SigningKeyError) as exc:
            report.fail(f"{key_name}: {exc}")
            return
        if not keymod.verify(key, token, bundle.read(token_sig)):
            report.fail(f"{token_name}: changed since it was received ({token_sig} does not match)")
    ca = tsa_ca
    with tempfile.TemporaryDirectory() as tmp:
        if ca is None and "tsa-ca.pem" in bundle:
            ca = Path(tmp) / "tsa-ca.pem"
            ca.write_bytes(bundle.read("tsa-ca.pem"))
        check = check_token(token, data, ca)
    if not check.ok:
        report.fail(f"{token_name}: {check.detail}")
        return
    if not prefix:
        report.timestamp = check.info.gen_time.isoformat().replace("+00:00", "Z")
        source = "" if tsa_ca else (" (CA from the bundle: compare it with the TSA's published certificate)"
                                    if ca else "")
        report.note(f"timestamp: {check.detail}{source}")


def _check_custody(bundle: Bundle, manifest: dict[str, Any], report: VerifyReport) -> None:
    info = manifest.get("custody") or {}
    if CUSTODY not in bundle:
        if info:
            report.fail(f"{CUSTODY}: missing")
        return
    entries = []
    for lineno, line in enumerate(bundle.read(CUSTODY).decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append((lineno, json.loads(line)))
        except ValueError:
            report.fail(f"{CUSTODY} line {lineno}: not valid JSON")
    problems, counts = check_chain(entries, info.get("anchors") or {})
    for problem in problems:
        report.fail(str(problem))
    anchors = info.get("anchors") or {}
    later = sum(max(0, counts.get(k, 0) - int(a.get("count", 0))) for k, a in anchors.items())
    if not problems:
        report.note(f"custody: {sum(counts.values())} entries, chains intact"
                    + (f"; {later} added after export (chained, not covered by the signature)" if later else ""))


def _check_capture(bundle: Bundle, name: str, report: VerifyReport, tsa_ca: Path | None) -> None:
    """A capture folder's own seal, made when the page was captured."""
    prefix = name[: -len(MANIFEST)]
    loaded = _load_manifest(bundle, name, report)
    if loaded is None:
        return
    data, manifest = loaded
    _check_files(bundle, manifest, prefix, report)
    listed = {posixpath.normpath(prefix + e.get("path", "")) for e in manifest["files"]}
    for other in bundle.names():
        if other.startswith(prefix) and other not in listed and other[len(prefix):] not in SEAL_FILES:
            report.fail(f"{other}: file added to a capture after it was sealed (not in {name})")
    if manifest.get("signature"):
        _check_signature(bundle, manifest, data, prefix, report, None)
    else:
        report.note(f"{name}: hashed but not signed at capture time (no key then); the bundle seal covers it")
    if (manifest.get("timestamp") or {}).get("file"):
        _check_timestamp(bundle, manifest, data, prefix, report, tsa_ca)
