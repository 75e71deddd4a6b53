"""RFC 3161 trusted timestamps: ask a TSA for a token over a hash, read it back, and check it."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from alerts.evidence import der

SHA256_OID = "2.16.840.1.101.3.4.2.1"
SIGNED_DATA_OID = "1.2.840.113549.1.7.2"
TSTINFO_OID = "1.2.840.113549.1.9.16.1.4"
STATUS_TEXT = {0: "granted", 1: "granted with modifications", 2: "rejection", 3: "waiting",
               4: "revocation warning", 5: "revocation notification"}


class TimestampError(Exception):
    """The TSA could not be reached, refused, or sent a token that does not fit the request."""


@dataclass
class TokenInfo:
    """What a timestamp reply says: which hash was stamped, when, by which policy and serial."""

    status: int
    gen_time: dt.datetime
    hashed_message: bytes
    hash_oid: str
    serial: int
    policy: str
    nonce: int | None


def build_request(digest: bytes, nonce: int | None = None, cert_req: bool = True) -> bytes:
    """A DER TimeStampReq over a sha256 digest."""
    if len(digest) != 32:
        raise ValueError("expected a 32-byte sha256 digest")
    alg = der.encode(der.SEQUENCE, der.encode_oid(SHA256_OID) + der.encode(der.NULL, b""))
    imprint = der.encode(der.SEQUENCE, alg + der.encode(der.OCTET_STRING, digest))
    body = der.encode_int(1) + imprint
    if nonce is not None:
        body += der.encode_int(nonce)
    if cert_req:
        body += der.encode(der.BOOLEAN, b"\xff")
    return der.encode(der.SEQUENCE, body)


def parse_reply(reply: bytes) -> TokenInfo:
    """Read the status and TSTInfo of a DER TimeStampResp; DerError/TimestampError when it is not one."""
    resp, end = der.parse_one(reply)
    if resp.tag != der.SEQUENCE or end != len(reply):
        raise der.DerError("not a TimeStampResp (expected one DER SEQUENCE)")
    parts = resp.children()
    status_info = parts[0].children()
    status = status_info[0].as_int()
    if status not in (0, 1):
        texts = [c.value.decode("utf-8", "replace") for s in status_info[1:2] for c in s.children()] if len(status_info) > 1 else []
        raise TimestampError(f"TSA refused: {STATUS_TEXT.get(status, status)} {' '.join(texts)}".strip())
    if len(parts) < 2:
        raise TimestampError("TSA granted but sent no token")
    content_info = parts[1].children()
    if content_info[0].as_oid() != SIGNED_DATA_OID:
        raise der.DerError("the token is not CMS SignedData")
    signed_data = content_info[1].children()[0].children()
    encap = signed_data[2].children()
    if encap[0].as_oid() != TSTINFO_OID:
        raise der.DerError("the token does not carry a TSTInfo")
    tst_der = encap[1].children()[0].value
    tst = der.parse_one(tst_der)[0].children()
    policy = tst[1].as_oid()
    imprint = tst[2].children()
    hash_oid = imprint[0].children()[0].as_oid()
    hashed = imprint[1].value
    serial = tst[3].as_int()
    gen_time = tst[4].as_time()
    nonce = None
    for extra in tst[5:]:
        if extra.tag == der.INTEGER:
            nonce = extra.as_int()
    return TokenInfo(status, gen_time, hashed, hash_oid, serial, policy, nonce)


def request_token(tsa_url: str, data: bytes, timeout: float = 20) -> tuple[bytes, TokenInfo]:
    """Ask the TSA to stamp sha256(data); check the reply matches (hash, nonce) and return it with its info."""
    digest = hashlib.sha256(data).digest()
    nonce = secrets.randbits(63)
    try:
        response = httpx.post(tsa_url, content=build_request(digest, nonce),
                              headers={"Content-Type": "application/timestamp-query"}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise TimestampError(f"TSA {tsa_url} unreachable: {exc}") from None
    if response.status_code != 200:
        raise TimestampError(f"TSA {tsa_url} answered HTTP {response.status_code}")
    reply = response.content
    try:
        info = parse_reply(reply)
    except der.DerError as exc:
        raise TimestampError(f"TSA {tsa_url} sent an unreadable reply: {exc}") from None
    if info.hash_oid != SHA256_OID or info.hashed_message != digest:
        raise TimestampError(f"TSA {tsa_url} stamped a different hash than the one sent")
    if info.nonce != nonce:
        raise TimestampError(f"TSA {tsa_url} answered with a different nonce (replayed reply?)")
    return reply, info


@dataclass
class TokenCheck:
    ok: bool
    info: TokenInfo | None
    signature_checked: bool
    detail: str


def check_token(reply: bytes, data: bytes, ca_file: Path | None = None) -> TokenCheck:
    """Check that a stored reply stamps sha256(data); with a CA file, also check the TSA's signature (openssl ts)."""
    try:
        info = parse_reply(reply)
    except (der.DerError, TimestampError, IndexError) as exc:
        return TokenCheck(False, None, False, f"unreadable timestamp token: {exc}")
    if info.hash_oid != SHA256_OID or info.hashed_message != hashlib.sha256(data).digest():
        return TokenCheck(False, info, False, "the timestamp token stamps a different manifest")
    if ca_file is None:
        return TokenCheck(True, info, False, f"hash matches, stamped {info.gen_time.isoformat()}; "
                                             "TSA signature not checked (no TSA CA certificate)")
    openssl = shutil.which("openssl")
    if openssl is None:
        return TokenCheck(True, info, False, "hash matches; TSA signature not checked (openssl not installed)")
    with tempfile.TemporaryDirectory() as tmp:
        reply_path, data_path = Path(tmp) / "reply.tsr", Path(tmp) / "data"
        reply_path.write_bytes(reply)
        data_path.write_bytes(data)
        proc = subprocess.run([openssl, "ts", "-verify", "-in", str(reply_path), "-data", str(data_path),
                               "-CAfile", str(ca_file)], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0 or "Verification: OK" not in proc.stdout:
        why = (proc.stderr or proc.stdout).strip().splitlines()
        return TokenCheck(False, info, True, f"TSA signature does not verify: {why[-1] if why else 'openssl failed'}")
    return TokenCheck(True, info, True, f"stamped {info.gen_time.isoformat()} by a TSA certified by {ca_file.name}")
