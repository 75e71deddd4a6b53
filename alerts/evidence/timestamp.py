"""RFC 3161 trusted timestamps through rfc3161-client: ask a TSA for a token, read it, verify it against trusted roots."""
from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
from asn1crypto import tsp as asn1_tsp
from cryptography import x509
from rfc3161_client import (HashAlgorithm, PKIStatus, TimestampRequestBuilder, VerificationError, VerifierBuilder,
                            decode_timestamp_response)

SHA256_OID = "2.16.840.1.101.3.4.2.1"


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


def build_request(data: bytes):
    """A TimeStampReq over sha256(data), with a random nonce and the TSA's certificate requested."""
    return TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).nonce(nonce=True).cert_request(cert_request=True).build()


def decode(reply: bytes):
    """The TimeStampResp in a reply. Some TSAs answer in BER (indefinite lengths), which rfc3161-client refuses:
    such replies are re-encoded as DER by asn1crypto first (the CMS signature covers DER-encoded attributes,
    so it still verifies)."""
    try:
        return decode_timestamp_response(reply)
    except Exception as first:  # noqa: BLE001 - the Rust parser raises ValueError and its own kinds
        try:
            der = asn1_tsp.TimeStampResp.load(reply).dump(force=True)
            return decode_timestamp_response(der)
        except Exception:  # noqa: BLE001
            raise TimestampError(f"not a timestamp reply: {first}") from None


def parse_reply(reply: bytes) -> TokenInfo:
    """Read a DER or BER TimeStampResp; TimestampError when it is not one or the TSA refused."""
    response = decode(reply)
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        texts = " ".join(response.status_string or [])
        raise TimestampError(f"TSA refused (status {response.status}) {texts}".strip())
    tst = response.tst_info
    gen_time = tst.gen_time
    if gen_time.tzinfo is None:
        gen_time = gen_time.replace(tzinfo=dt.timezone.utc)
    return TokenInfo(int(response.status), gen_time, tst.message_imprint.message,
                     tst.message_imprint.hash_algorithm.dotted_string, tst.serial_number,
                     tst.policy.dotted_string, tst.nonce)


_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _tsa_client() -> httpx.Client:
    """One HTTP client for every token this process asks for: a client per request reloads the CA bundle each
    time (most of a capture's TSA cost), and concurrent captures share its connection pool safely."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client()
        return _client


def request_token(tsa_url: str, data: bytes, timeout: float = 20) -> tuple[bytes, TokenInfo]:
    """Ask the TSA to stamp sha256(data); check the reply matches (hash, nonce) and return it with its info."""
    request = build_request(data)
    try:
        response = _tsa_client().post(tsa_url, content=request.as_bytes(),
                                      headers={"Content-Type": "application/timestamp-query"}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise TimestampError(f"TSA {tsa_url} unreachable: {exc}") from None
    if response.status_code != 200:
        raise TimestampError(f"TSA {tsa_url} answered HTTP {response.status_code}")
    reply = response.content
    info = parse_reply(reply)
    if info.hash_oid != SHA256_OID or info.hashed_message != hashlib.sha256(data).digest():
        raise TimestampError(f"TSA {tsa_url} stamped a different hash than the one sent")
    if info.nonce != request.nonce:
        raise TimestampError(f"TSA {tsa_url} answered with a different nonce (replayed reply?)")
    return reply, info


def load_trusted_certificates(paths: list[Path]) -> list[x509.Certificate]:
    """The TSA roots the verifier trusts, from PEM files named in configuration or on the command line."""
    certs: list[x509.Certificate] = []
    for path in paths:
        try:
            certs += x509.load_pem_x509_certificates(Path(path).expanduser().read_bytes())
        except OSError as exc:
            raise TimestampError(f"{path}: cannot read TSA certificate ({exc.strerror})") from None
        except ValueError as exc:
            raise TimestampError(f"{path}: not a PEM certificate ({exc})") from None
    return certs


@dataclass
class TokenCheck:
    ok: bool
    info: TokenInfo | None
    signature_checked: bool
    detail: str


def check_token(reply: bytes, data: bytes, roots: list[x509.Certificate]) -> TokenCheck:
    """Check in-process that a stored reply stamps sha256(data) and chains to one of `roots` (trusted TSA
    certificates from configuration, never from the bundle). Without roots the token is not trusted."""
    try:
        info = parse_reply(reply)
    except TimestampError as exc:
        return TokenCheck(False, None, False, f"unreadable timestamp token: {exc}")
    if info.hash_oid != SHA256_OID or info.hashed_message != hashlib.sha256(data).digest():
        return TokenCheck(False, info, False, "the timestamp token stamps a different manifest")
    if not roots:
        return TokenCheck(False, info, False, "TSA not trusted: no TSA certificate is configured "
                                              "(evidence.tsa_ca_file or --tsa-ca)")
    response = decode(reply)
    failures = []
    for root in roots:
        try:
            VerifierBuilder().add_root_certificate(root).build().verify_message(response, data)
        except VerificationError as exc:
            failures.append(str(exc).split('data: "')[-1].split('"')[0])
            continue
        return TokenCheck(True, info, True, f"stamped {info.gen_time.isoformat()} by a TSA certified by "
                                            f"{root.subject.rfc4514_string()}")
    return TokenCheck(False, info, True, "TSA signature does not verify against the trusted TSA certificate(s): "
                                         + "; ".join(dict.fromkeys(failures)))
