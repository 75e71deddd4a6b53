"""Tampering with an exported bundle as an attacker would: members changed, dropped, added, or the whole re-signed."""
import json
import zipfile
from pathlib import Path

from alerts.evidence import keys as keymod
from alerts.evidence.hashing import pretty_json, sha256_bytes


def rewrite(src: Path, dst: Path, change=None, drop=(), add=None, order=None) -> Path:
    """Copy a ZIP with some members changed, dropped or added."""
    change, add = change or {}, add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        names = order or zin.namelist()
        for name in names:
            if name in drop:
                continue
            data = zin.read(name)
            if name in change:
                data = change[name](data) if callable(change[name]) else change[name]
            zout.writestr(name, data)
        for name, data in add.items():
            zout.writestr(name, data)
    return dst


def flip(data: bytes) -> bytes:
    i = len(data) // 2
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]


def members(bundle: Path) -> list[str]:
    with zipfile.ZipFile(bundle) as zf:
        return zf.namelist()


def read(bundle: Path, name: str) -> bytes:
    with zipfile.ZipFile(bundle) as zf:
        return zf.read(name)


def custody_lines(bundle: Path) -> list[str]:
    return read(bundle, "custody.jsonl").decode().splitlines()


def resealed(case_bundle: Path, tmp_path: Path, key_type: str = "ecdsa-p384") -> Path:
    """An attacker edits a file, rewrites the manifest and signs it with their own key (of `key_type`)."""
    target = next(n for n in members(case_bundle) if n.endswith("listing.json"))
    manifest = json.loads(read(case_bundle, "manifest.json"))
    new_listing = read(case_bundle, target).replace(b'"price"', b'"price_"')
    evil = keymod.generate_key(tmp_path / "evil" / "k.pem", key_type=key_type)
    evil_key = keymod.load_private_key(evil.private_path)
    public_pem = evil.public_path.read_bytes()
    for entry in manifest["files"]:
        if entry["path"] == target:
            entry["sha256"], entry["size"] = sha256_bytes(new_listing), len(new_listing)
        if entry["path"] == "public_key.pem":
            entry["sha256"], entry["size"] = sha256_bytes(public_pem), len(public_pem)
    manifest["signature"]["key_id"] = evil.key_id
    data = pretty_json(manifest)
    change = {target: new_listing, "manifest.json": data, "manifest.sig": keymod.sign(evil_key, data),
              "public_key.pem": public_pem}
    if "manifest.tsr" in members(case_bundle):
        change["manifest.tsr.sig"] = keymod.sign(evil_key, read(case_bundle, "manifest.tsr"))
    return rewrite(case_bundle, tmp_path / "resealed.zip", change=change)
