"""The organisation's ECDSA P-384 signing key: generate (0600, outside the repo), load, sign, verify, fingerprint.

P-384 because the WACZ signing specification (anonymous mode) uses it, so one key signs manifests, custody
entries and archive.wacz; signatures are DER ECDSA-SHA256, checkable with `openssl dgst -sha256 -verify`."""
from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from alerts.evidence.hashing import sha256_bytes


class SigningKeyError(Exception):
    """The signing key is missing, unreadable, too open, or not ECDSA P-384."""


CURVE = ec.SECP384R1
PrivateKey = ec.EllipticCurvePrivateKey
PublicKey = ec.EllipticCurvePublicKey

def private_key_path(settings) -> Path:
    return Path(settings.evidence.signing_key_path).expanduser()


def public_key_path_for(private_path: Path) -> Path:
    """The public key lives beside the private one: signing_key.pem → signing_key.pub.pem."""
    return private_path.with_name(private_path.stem + ".pub.pem")


def public_key_pem(key: PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_der(key: PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: PublicKey) -> str:
    """A fingerprint to publish and compare: sha256 of the DER public key, as
    `openssl pkey -pubin -in public_key.pem -outform DER | sha256sum` prints it."""
    return sha256_bytes(public_key_der(key))


def normalise_fingerprint(value: str) -> str:
    """'sha256:<hex>', '<hex>' or 'AB:CD:...' (as officers may copy it from a letter) → 'sha256:<hex>'."""
    text = (value or "").strip().lower()
    if text.startswith("sha256:"):
        text = text[len("sha256:"):]
    text = "".join(ch for ch in text if ch not in ": \t-")
    if len(text) != 64 or any(ch not in "0123456789abcdef" for ch in text):
        raise SigningKeyError(f"{value!r} is not a sha256 key fingerprint (64 hex digits)")
    return "sha256:" + text


@dataclass
class GeneratedKey:
    private_path: Path
    public_path: Path
    key_id: str


def generate_key(private_path: Path, *, force: bool = False) -> GeneratedKey:
    """Write a new private key (mode 0600, directory 0700 when created) and its public key beside it."""
    private_path = Path(private_path).expanduser()
    public_path = public_key_path_for(private_path)
    if private_path.exists() and not force:
        raise SigningKeyError(f"{private_path} already exists; keep it (bundles are signed with it) or pass --force to replace it")
    if not private_path.parent.exists():
        private_path.parent.mkdir(parents=True, mode=0o700)
    key = ec.generate_private_key(CURVE())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tmp = private_path.with_name(private_path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(tmp, 0o600)
    os.replace(tmp, private_path)
    public_path.write_bytes(public_key_pem(key.public_key()))
    return GeneratedKey(private_path, public_path, key_id(key.public_key()))


def load_private_key(path: Path) -> PrivateKey:
    """Load the private key; refuse one readable by group or others."""
    path = Path(path).expanduser()
    if not path.exists():
        raise SigningKeyError(f"no signing key at {path}: run 'saigawatch keys generate'")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SigningKeyError(f"signing key {path} is readable by others (mode {mode:o}); run 'chmod 600 {path}'")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path}: not a readable PEM private key ({exc})") from None
    if not isinstance(key, PrivateKey) or not isinstance(key.curve, CURVE):
        raise SigningKeyError(f"{path}: expected an ECDSA P-384 key, found {_describe(key)}; "
                              "run 'saigawatch keys generate --force' and publish the new fingerprint")
    return key


def _public_key(data: bytes, source: str, form: str) -> PublicKey:
    """A P-384 public key from PEM or DER bytes, or a SigningKeyError naming `source`."""
    load = serialization.load_pem_public_key if form == "PEM" else serialization.load_der_public_key
    try:
        key = load(data)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{source}: not a readable {form} public key ({exc})") from None
    if not isinstance(key, PublicKey) or not isinstance(key.curve, CURVE):
        raise SigningKeyError(f"{source}: expected an ECDSA P-384 key, found {_describe(key)}")
    return key


def load_public_key(pem: bytes, source: str = "public key") -> PublicKey:
    return _public_key(pem, source, "PEM")


def _describe(key) -> str:
    curve = getattr(key, "curve", None)
    return f"{type(key).__name__.lstrip('_')}{' ' + curve.name if curve is not None else ''}"


def sign(key: PrivateKey, data: bytes) -> bytes:
    """A DER ECDSA-SHA256 signature (checkable with `openssl dgst -sha256 -verify public_key.pem -signature`)."""
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def verify(key: PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False


def sign_raw(key: PrivateKey, data: bytes) -> bytes:
    """IEEE P1363 form (r || s, 48 bytes each), as WebCrypto and the WACZ signing specification use it."""
    r, s = decode_dss_signature(sign(key, data))
    return r.to_bytes(48, "big") + s.to_bytes(48, "big")


def verify_raw(key: PublicKey, data: bytes, signature: bytes) -> bool:
    if len(signature) != 96:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big"))
    return verify(key, data, der)


def load_public_der(der: bytes, source: str = "public key") -> PublicKey:
    return _public_key(der, source, "DER")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def ensure_key(settings) -> GeneratedKey | None:
    """Create the signing key at evidence.signing_key_path if there is none (for the demo); None when it exists."""
    path = private_key_path(settings)
    if path.exists():
        return None
    return generate_key(path)
