"""Check a bundle offline: the signing key against a trusted one, the signature, then every file hash, the RFC 3161
token against trusted TSA certificates, every custody entry's signature and chain, and each archive.wacz's own seal."""
from __future__ import annotations

import io
import json
import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerts.evidence import keys as keymod
from alerts.evidence.bundlefile import Bundle, UnsafeBundle
from alerts.evidence.custody import check_chain, parse_utc
from alerts.evidence.hashing import sha256_stream
from alerts.evidence.manifest import FORMAT, MANIFEST, PUBLIC_KEY, SEAL_FILES, SIGNATURE, TOKEN, TOKEN_SIGNATURE
from alerts.evidence.timestamp import TimestampError, check_token, load_trusted_certificates
from alerts.evidence.verify_messages import say
from alerts.evidence.wacz import WaczCheck, check_wacz

CUSTODY = "custody.jsonl"
MAX_MANIFEST_BYTES = 50_000_000

# exit codes of `evidence verify`
VERIFIED, NOT_INTACT, ORIGIN_NOT_CHECKED = 0, 1, 2


@dataclass
class Trust:
    """What the officer trusts, obtained outside the bundle: key fingerprints and TSA certificates."""

    keys: dict[str, str] = field(default_factory=dict)  # fingerprint -> where it came from
    tsa_files: list[Path] = field(default_factory=list)

    @classmethod
    def build(cls, *, public_key: Path | None = None, fingerprints: list[tuple[str, str]] = (),
              tsa_files: list[Path] = ()) -> "Trust":
        """Raises SigningKeyError for an unreadable key file or a malformed fingerprint."""
        trust = cls(tsa_files=[Path(p) for p in tsa_files if p])
        if public_key is not None:
            try:
                pem = Path(public_key).read_bytes()
            except OSError as exc:
                raise keymod.SigningKeyError(f"{public_key}: {exc.strerror}") from None
            trust.keys[keymod.key_id(keymod.load_public_key(pem, str(public_key)))] = f"--public-key {public_key}"
        for value, source in fingerprints:
            trust.keys.setdefault(keymod.normalise_fingerprint(value), source)
        return trust


@dataclass
class VerifyReport:
    source: str
    lang: str = "en"
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files_checked: int = 0
    created_at: str | None = None
    timestamp: str | None = None
    key_id: str | None = None
    key_trusted: bool = False
    timestamp_trusted: bool | None = None  # None: the bundle has no token

    @property
    def ok(self) -> bool:
        """Intact: nothing changed since it was signed (says nothing about who signed it)."""
        return not self.problems

    @property
    def status(self) -> str:
        if self.problems:
            return "not_intact"
        if self.key_trusted and self.timestamp_trusted is not False:
            return "verified"
        return "origin_not_checked"

    @property
    def exit_code(self) -> int:
        return {"verified": VERIFIED, "not_intact": NOT_INTACT, "origin_not_checked": ORIGIN_NOT_CHECKED}[self.status]

    def fail(self, message: str, /, **params) -> None:
        self.problems.append(say(self.lang, message, **params))

    def note(self, message: str, /, **params) -> None:
        self.notes.append(say(self.lang, message, **params))

    def verdict(self) -> str:
        when = self.timestamp or self.created_at
        if self.status == "verified":
            return say(self.lang, "verified", files=self.files_checked, when=when, key=self.key_id)
        if self.status == "origin_not_checked":
            extra = say(self.lang, "tsa_unchecked_extra") if self.timestamp_trusted is False and self.key_trusted \
                else ""
            return say(self.lang, "origin_unchecked", files=self.files_checked, key=self.key_id, extra=extra)
        return say(self.lang, "not_intact", count=len(self.problems))

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "ok": self.ok, "key_trusted": self.key_trusted,
                "timestamp_trusted": self.timestamp_trusted, "problems": self.problems, "notes": self.notes,
                "files_checked": self.files_checked, "created_at": self.created_at, "timestamp": self.timestamp,
                "key_id": self.key_id}


def verify_bundle(path: str | Path, *, max_member_bytes: int = 200_000_000, max_bundle_bytes: int | None = None,
                  trust: Trust | None = None, lang: str = "en") -> VerifyReport:
    """Everything that can be checked without a network. A bundle ZIP or folder, or a bare archive.wacz."""
    trust = trust or Trust()
    report = VerifyReport(str(path), lang)
    try:
        roots = load_trusted_certificates(trust.tsa_files)
    except TimestampError as exc:
        report.fail("unreadable", why=str(exc))
        return report
    try:
        with Bundle(Path(path), max_member_bytes, max_bundle_bytes) as bundle:
            if MANIFEST not in bundle and "datapackage-digest.json" in bundle:
                _verify_wacz_file(Path(path), bundle, report, trust)
            else:
                _verify(bundle, report, trust, roots)
    except UnsafeBundle as exc:
        report.fail("unsafe", why=str(exc))
    except (FileNotFoundError, zipfile.BadZipFile) as exc:
        report.fail("unreadable", why=str(exc))
    return report


def _load_manifest(bundle: Bundle, name: str, report: VerifyReport) -> tuple[bytes, dict[str, Any]] | None:
    if name not in bundle:
        report.fail("missing", name=name)
        return None
    if bundle.size(name) > MAX_MANIFEST_BYTES:
        report.fail("too_big", name=name, why=f"{bundle.size(name)} bytes, too large for a manifest")
        return None
    data = bundle.read(name)
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        report.fail("bad_json", name=name, why=str(exc))
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), list):
        report.fail("not_manifest", name=name)
        return None
    return data, manifest


def _verify(bundle: Bundle, report: VerifyReport, trust: Trust, roots) -> None:
    loaded = _load_manifest(bundle, MANIFEST, report)
    if loaded is None:
        return
    data, manifest = loaded
    report.created_at = manifest.get("created_at")
    # who signed comes first: nothing large is hashed for a manifest with a broken or untrusted signature
    key = _check_signature(bundle, manifest, data, "", report, trust)
    if key is None:
        return
    listed = _check_files(bundle, manifest, "", report)
    allowed = set(listed) | set(SEAL_FILES) | {CUSTODY}
    for name in bundle.names():
        if name not in allowed:
            report.fail("added", name=name, where=MANIFEST)
    _check_timestamp(bundle, manifest, data, "", report, key, roots)
    _check_custody(bundle, manifest, report, key)
    for name in bundle.names():
        if name.endswith("/" + MANIFEST) and name.startswith("listings/") and "/captures/" in name:
            _check_capture(bundle, name, report, roots, key)
        elif name.endswith("/archive.wacz") and not report.problems:
            _check_wacz_member(bundle, name, report, key)


def _check_files(bundle: Bundle, manifest: dict[str, Any], prefix: str, report: VerifyReport) -> list[str]:
    where = prefix + MANIFEST
    listed = []
    for entry in manifest["files"]:
        rel = entry.get("path", "") if isinstance(entry, dict) else ""
        name = posixpath.normpath(prefix + rel) if rel else ""
        if not rel or name.startswith("../") or rel.startswith("/") or ".." in rel.split("/"):
            report.fail("unsafe_path", where=where, path=repr(rel))
            continue
        listed.append(name)
        if name not in bundle:
            report.fail("missing_listed", name=name, where=where)
            continue
        if bundle.size(name) != entry.get("size"):
            report.fail("size", name=name, got=bundle.size(name), where=where, want=entry.get("size"))
            continue
        try:
            with bundle.open(name) as fh:
                digest, size = sha256_stream(fh, bundle.max_member_bytes)
        except (ValueError, zipfile.BadZipFile) as exc:
            report.fail("too_big", name=name, why=str(exc))
            continue
        if digest != entry.get("sha256"):
            report.fail("changed", name=name, got=digest, where=where, want=entry.get("sha256"))
        elif size != entry.get("size"):
            report.fail("size", name=name, got=size, where=where, want=entry.get("size"))
        elif not prefix:
            report.files_checked += 1
    return listed


def _check_signature(bundle: Bundle, manifest: dict[str, Any], data: bytes, prefix: str, report: VerifyReport,
                     trust: Trust | None, bundle_key: keymod.PublicKey | None = None) -> keymod.PublicKey | None:
    """The manifest's signing key when its signature holds (and, for the bundle, when it is trusted, if the
    officer named trusted keys); None after recording why not."""
    where = prefix + MANIFEST
    sig_info = manifest.get("signature")
    if not isinstance(sig_info, dict):
        report.fail("not_signed", where=where)
        return None
    sig_name, key_name = prefix + SIGNATURE, prefix + PUBLIC_KEY
    for name in (sig_name, key_name):
        if name not in bundle:
            report.fail("missing", name=name)
            return None
    try:
        key = keymod.load_public_key(bundle.read(key_name), key_name)
    except keymod.SigningKeyError as exc:
        report.fail("bad_key", name=key_name, why=str(exc))
        return None
    kid = keymod.key_id(key)
    if kid != sig_info.get("key_id"):
        report.fail("key_mismatch", name=key_name, got=kid, where=where, want=sig_info.get("key_id"))
        return None
    if trust is not None:
        if trust.keys and kid not in trust.keys:
            report.fail("untrusted_key", where=where, got=kid, want=", ".join(trust.keys))
            return None
    elif bundle_key is not None and kid != keymod.key_id(bundle_key):
        report.fail("untrusted_key", where=where, got=kid, want=keymod.key_id(bundle_key))
        return None
    if not keymod.verify(key, data, bundle.read(sig_name)):
        report.fail("bad_signature", name=sig_name, where=where)
        return None
    if not prefix:
        report.key_id = kid
        report.key_trusted = kid in trust.keys
        trust_text = say(report.lang, "trust_checked", source=trust.keys[kid]) if report.key_trusted \
            else say(report.lang, "trust_unchecked")
        report.note("note_signature", key=kid, trust=trust_text, when=manifest.get("created_at"),
                    algorithm=keymod.algorithm_label(key))
    return key


def _check_timestamp(bundle: Bundle, manifest: dict[str, Any], data: bytes, prefix: str, report: VerifyReport,
                     key: keymod.PublicKey, roots) -> None:
    ts = manifest.get("timestamp") or {}
    token_name = prefix + TOKEN
    if not ts.get("file"):
        if token_name in bundle:
            report.fail("token_unannounced", name=token_name, where=prefix + MANIFEST)
        elif not prefix:
            report.note("note_no_timestamp", why=f" ({ts['error']})" if ts.get("error") else "")
        return
    if token_name not in bundle:
        report.fail("token_missing", name=token_name, url=ts.get("tsa_url"))
        return
    token = bundle.read(token_name)
    token_sig = prefix + TOKEN_SIGNATURE
    # every byte of the token is covered by the organisation's signature (CMS leaves some unsigned)
    if token_sig not in bundle:
        report.fail("missing", name=token_sig)
        return
    if not keymod.verify(key, token, bundle.read(token_sig)):
        report.fail("token_changed", name=token_name, sig=token_sig)
        return
    check = check_token(token, data, roots)
    if not check.ok and not roots and check.info is not None and not check.signature_checked \
            and "different manifest" not in check.detail:
        # no trusted TSA configured: say so, and do not call the bundle verified
        if not prefix:
            report.timestamp_trusted = False
            report.note("note_timestamp_unchecked", when=check.info.gen_time.isoformat().replace("+00:00", "Z"))
        return
    if not check.ok:
        report.fail("token_bad", name=token_name, why=check.detail)
        return
    if not prefix:
        report.timestamp_trusted = True
        report.timestamp = check.info.gen_time.isoformat().replace("+00:00", "Z")
        report.note("note_timestamp", detail=check.detail)


def _check_custody(bundle: Bundle, manifest: dict[str, Any], report: VerifyReport, key: keymod.PublicKey) -> None:
    info = manifest.get("custody") or {}
    if CUSTODY not in bundle:
        if info:
            report.fail("missing", name=CUSTODY)
        return
    entries = []
    for lineno, line in enumerate(bundle.read(CUSTODY).decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append((lineno, json.loads(line)))
        except ValueError:
            report.fail("custody", where=f"{CUSTODY} line {lineno}", why="not valid JSON")
    anchors = info.get("anchors") or {}
    since = info.get("signing_introduced")  # in the signed manifest: an attacker cannot move it
    since_at = parse_utc(since)
    if since is not None and since_at is None:
        report.fail("custody", where=MANIFEST, why=f"signing_introduced {since!r} is not a UTC ISO time")
    chain = check_chain(entries, anchors, key, since_at)
    for problem in chain.problems:
        where = f"{CUSTODY} line {problem.line}" if problem.line else CUSTODY
        report.fail("custody", where=f"{where} ({problem.listing})", why=problem.message)
    later = sum(max(0, chain.counts.get(k, 0) - int(a.get("count", 0))) for k, a in anchors.items())
    if not chain.problems:
        report.note("note_custody" if not chain.legacy else "note_custody_legacy", count=sum(chain.counts.values()),
                    legacy=len(chain.legacy), since=since,
                    later=say(report.lang, "note_later", count=later) if later else "")
        for lineno, entry in chain.legacy:
            report.note("note_custody_unsigned", where=f"{CUSTODY} line {lineno} ({entry['listing']})",
                        at=entry["at"], action=entry["action"], actor=entry["actor"])


def _check_capture(bundle: Bundle, name: str, report: VerifyReport, roots, bundle_key: keymod.PublicKey) -> None:
    """A capture folder's own seal, made when the page was captured."""
    prefix = name[: -len(MANIFEST)]
    loaded = _load_manifest(bundle, name, report)
    if loaded is None:
        return
    data, manifest = loaded
    _check_files(bundle, manifest, prefix, report)
    listed = {posixpath.normpath(prefix + e.get("path", "")) for e in manifest["files"] if isinstance(e, dict)}
    for other in bundle.names():
        if other.startswith(prefix) and other not in listed and other[len(prefix):] not in SEAL_FILES:
            report.fail("capture_added", name=other, where=name)
    if manifest.get("signature"):
        key = _check_signature(bundle, manifest, data, prefix, report, None, bundle_key)
        if key is not None and (manifest.get("timestamp") or {}).get("file"):
            _check_timestamp(bundle, manifest, data, prefix, report, key, roots)
    else:
        report.note("note_capture_unsigned", name=name)


def _check_wacz_member(bundle: Bundle, name: str, report: VerifyReport, key: keymod.PublicKey) -> None:
    """An archive.wacz carries its own signature: it must be the bundle's key, so the file alone proves origin."""
    with bundle.open(name) as fh:
        data = fh.read(bundle.max_member_bytes + 1)
    _wacz_result(zipfile.ZipFile(io.BytesIO(data)), name, report, keymod.key_id(key), bundle.max_member_bytes)


def _wacz_result(zf: zipfile.ZipFile, name: str, report: VerifyReport, expected_kid: str | None,
                 max_member_bytes: int) -> WaczCheck | None:
    check = check_wacz(zf, max_member_bytes)
    for problem in check.problems:
        report.fail("wacz", name=name, why=problem)
    if check.problems:
        return None
    if expected_kid is not None and check.key_id != expected_kid:
        report.fail("untrusted_key", where=name, got=check.key_id, want=expected_kid)
        return None
    report.note("note_wacz", name=name, count=len(zf.namelist()) - 2)
    return check


def _verify_wacz_file(path: Path, bundle: Bundle, report: VerifyReport, trust: Trust) -> None:
    """A bare archive.wacz, taken out of its bundle: its signedData proves origin when the key is trusted."""
    if bundle.zip is None:  # an unpacked WACZ folder is not what the signature covers
        report.fail("not_manifest", name=str(path))
        return
    check = _wacz_result(bundle.zip, path.name, report, None, bundle.max_member_bytes)
    if check is None:
        return
    kid = check.key_id
    if trust.keys and kid not in trust.keys:
        report.fail("untrusted_key", where=path.name, got=kid, want=", ".join(trust.keys))
        return
    report.key_id = kid
    report.key_trusted = kid in trust.keys
    report.files_checked = len(bundle.names())
    report.created_at = json.loads(bundle.read("datapackage.json")).get("created")
    report.note("note_signature", key=kid, when=report.created_at, algorithm=check.algorithm,
                trust=say(report.lang, "trust_checked", source=trust.keys[kid]) if report.key_trusted
                else say(report.lang, "trust_unchecked"))


__all__ = ["Trust", "VerifyReport", "verify_bundle", "VERIFIED", "NOT_INTACT", "ORIGIN_NOT_CHECKED"]
