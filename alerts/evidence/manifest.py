"""Seal a directory: manifest.json of `sha256:<hex>` per file, signature (ECDSA P-384 or Ed25519), RFC 3161 token."""
from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerts.evidence import keys as keymod
from alerts.evidence.hashing import pretty_json, sha256_bytes, sha256_file
from alerts.evidence.timestamp import TimestampError, request_token

log = logging.getLogger("saigawatch.evidence")

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
TOKEN = "manifest.tsr"
TOKEN_SIGNATURE = "manifest.tsr.sig"  # the org's signature over the token: CMS leaves some token bytes unsigned
PUBLIC_KEY = "public_key.pem"
SEAL_FILES = (MANIFEST, SIGNATURE, TOKEN, TOKEN_SIGNATURE)
FORMAT = "saigawatch-evidence-manifest/1"


@functools.cache
def software_version() -> str:
    """The installed SaigaWatch version (read once: the package metadata is parsed on every lookup)."""
    try:
        return importlib.metadata.version("saigawatch")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def iso(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def list_files(root: Path, exclude: set[str] = frozenset(),
               known: dict[str, tuple[str, int]] | None = None) -> list[dict[str, Any]]:
    """Every regular file under root (sorted, POSIX relative paths) with its hash and size. A file in `known`
    (hashed as it was written, and still that size) is not read again."""
    known = known or {}
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(root).as_posix()
        if rel in exclude:
            continue
        if path.is_symlink():
            raise ValueError(f"{path}: symbolic links are not allowed in evidence")
        digest, size = known[rel] if rel in known and known[rel][1] == path.stat().st_size else sha256_file(path)
        out.append({"path": rel, "sha256": digest, "size": size})
    return out


@dataclass
class SealResult:
    manifest_sha256: str
    files: int
    signed: bool = False
    key_id: str | None = None
    timestamp_time: str | None = None
    errors: list[str] = field(default_factory=list)


def seal(root: Path, settings, *, kind: str, created_by: str, now: dt.datetime,
         extra: dict[str, Any] | None = None, exclude: set[str] = frozenset(),
         require_signature: bool = True, timestamp: bool = True,
         known: dict[str, tuple[str, int]] | None = None) -> SealResult:
    """Write manifest.json over every file in root (plus public_key.pem), sign it and stamp it.

    A missing key or an unreachable TSA is recorded in `errors` (the manifest is still written). `known`: hashes
    of files taken as they were written (see list_files).
    """
    ev = settings.evidence
    errors: list[str] = []
    private = None
    try:
        private = keymod.load_private_key(keymod.private_key_path(settings))
        (root / PUBLIC_KEY).write_bytes(keymod.public_key_pem(private.public_key()))
    except keymod.SigningKeyError as exc:
        errors.append(str(exc))
    tsa_url = ev.tsa_url if timestamp else None
    manifest = {
        "format": FORMAT,
        "kind": kind,
        "created_at": iso(now),
        "created_by": created_by,
        "software": f"SaigaWatch {software_version()}",
        "hash_algorithm": "sha256",
        "signature": {"algorithm": keymod.algorithm(private), "file": SIGNATURE, "public_key_file": PUBLIC_KEY,
                      "key_id": keymod.key_id(private.public_key()) if private else None} if private else None,
        "timestamp": {"tsa_url": tsa_url, "file": TOKEN} if tsa_url else None,
        **(extra or {}),
        "files": list_files(root, set(SEAL_FILES) | set(exclude), known),
    }
    data = _write(root, manifest, private)
    if tsa_url:
        try:
            reply, info = request_token(tsa_url, data, timeout=ev.tsa_timeout_s)
            (root / TOKEN).write_bytes(reply)
            if private is not None:
                (root / TOKEN_SIGNATURE).write_bytes(keymod.sign(private, reply))
            timestamp_time = iso(info.gen_time)
        except TimestampError as exc:
            # the manifest must not promise a token it does not have: say why, and sign that instead
            errors.append(f"timestamp: {exc}")
            manifest["timestamp"] = {"tsa_url": tsa_url, "file": None, "error": str(exc)}
            data = _write(root, manifest, private)
            timestamp_time = None
    else:
        timestamp_time = None
    if private is None and not require_signature:
        errors = [e for e in errors if not e.startswith("no signing key")]
    return SealResult(sha256_bytes(data), len(manifest["files"]), signed=private is not None,
                      key_id=manifest["signature"]["key_id"] if private else None,
                      timestamp_time=timestamp_time, errors=errors)


def _write(root: Path, manifest: dict[str, Any], private) -> bytes:
    data = pretty_json(manifest)
    (root / MANIFEST).write_bytes(data)
    if private is not None:
        (root / SIGNATURE).write_bytes(keymod.sign(private, data))
    return data
