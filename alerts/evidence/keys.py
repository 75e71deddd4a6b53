"""The organisation's signing key (ECDSA P-384 or Ed25519): generate (0600, outside the repo), load, sign, verify."""
from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from alerts.evidence.hashing import sha256_bytes

# ECDSA P-384 (the default) because the WACZ signing specification's anonymous mode uses it; Ed25519 for an
# organisation that already holds one. Either key signs manifests, custody entries and archive.wacz.
CURVE = ec.SECP384R1
KEY_TYPES = ("ecdsa-p384", "ed25519")
PrivateKey = Union[ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey]
PublicKey = Union[ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey]


class SigningKeyError(Exception):
    """The signing key is missing, unreadable, too open, or of a type that is not accepted."""


def algorithm(key: PrivateKey | PublicKey) -> str:
    """The signature algorithm as manifests name it: 'ECDSA-P384-SHA256' or 'Ed25519'."""
    return "Ed25519" if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)) else "ECDSA-P384-SHA256"


def algorithm_label(key: PrivateKey | PublicKey) -> str:
    """For people: 'ECDSA P-384' or 'Ed25519'."""
    return {"Ed25519": "Ed25519", "ECDSA-P384-SHA256": "ECDSA P-384"}[algorithm(key)]


def openssl_verify(key: PrivateKey | PublicKey, data_file: str, sig_file: str) -> str:
    """The OpenSSL 3 command that checks one of this key's signatures over a file (with public_key.pem)."""
    if algorithm(key) == "Ed25519":
        return f"openssl pkeyutl -verify -pubin -inkey public_key.pem -rawin -in {data_file} -sigfile {sig_file}"
    return f"openssl dgst -sha256 -verify public_key.pem -signature {sig_file} {data_file}"


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


def generate_key(private_path: Path, *, force: bool = False, key_type: str = "ecdsa-p384") -> GeneratedKey:
    """Write a new private key (`key_type` one of KEY_TYPES; mode 0600, directory 0700 when created) and its public
    key beside it."""
    if key_type not in KEY_TYPES:
        raise SigningKeyError(f"key type {key_type!r} is not supported; expected one of {', '.join(KEY_TYPES)}")
    private_path = Path(private_path).expanduser()
    public_path = public_key_path_for(private_path)
    if private_path.exists() and not force:
        raise SigningKeyError(f"{private_path} already exists; keep it (bundles are signed with it) or pass --force to replace it")
    if not private_path.parent.exists():
        private_path.parent.mkdir(parents=True, mode=0o700)
    key = ed25519.Ed25519PrivateKey.generate() if key_type == "ed25519" else ec.generate_private_key(CURVE())
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
    """Load the private key (PEM or DER, PKCS#8 or traditional); refuse one readable by group or others."""
    path = Path(path).expanduser()
    if not path.exists():
        raise SigningKeyError(f"no signing key at {path}: run 'saigawatch keys generate'")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SigningKeyError(f"signing key {path} is readable by others (mode {mode:o}); run 'chmod 600 {path}'")
    return _accepted(_parse(path.read_bytes(), str(path), private=True), str(path),
                     "; run 'saigawatch keys generate --force' and publish the new fingerprint")


def load_public_key(data: bytes, source: str = "public key") -> PublicKey:
    """A public key from PEM or DER bytes (SubjectPublicKeyInfo), or a SigningKeyError naming `source`."""
    return _accepted(_parse(data, source, private=False), source)


def _parse(data: bytes, source: str, *, private: bool):
    """The one loader: PEM when the bytes look like PEM, else DER."""
    pem = data.lstrip().startswith(b"-----BEGIN")
    kind = "private" if private else "public"
    if private:
        load = serialization.load_pem_private_key if pem else serialization.load_der_private_key
        args = {"password": None}
    else:
        load = serialization.load_pem_public_key if pem else serialization.load_der_public_key
        args = {}
    try:
        return load(data, **args)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SigningKeyError(f"{source}: not a readable {'PEM' if pem else 'DER'} {kind} key "
                              f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None


def _accepted(key, source: str, hint: str = ""):
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return key
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and isinstance(key.curve, CURVE):
        return key
    raise SigningKeyError(f"{source}: expected an ECDSA P-384 or Ed25519 key, found {_describe(key)}{hint}")


def _describe(key) -> str:
    curve = getattr(key, "curve", None)
    return f"{type(key).__name__.lstrip('_')}{' ' + curve.name if curve is not None else ''}"


def sign(key: PrivateKey, data: bytes) -> bytes:
    """Ed25519: the 64-byte signature; ECDSA: DER ECDSA-SHA256. Either checks with `openssl_verify(key, ...)`."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def verify(key: PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False


def sign_raw(key: PrivateKey, data: bytes) -> bytes:
    """The fixed-length form WebCrypto and the WACZ signing specification use: IEEE P1363 (r || s, 48 bytes each)
    for ECDSA P-384; Ed25519 signatures already are raw (64 bytes)."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    r, s = decode_dss_signature(sign(key, data))
    return r.to_bytes(48, "big") + s.to_bytes(48, "big")


def verify_raw(key: PublicKey, data: bytes, signature: bytes) -> bool:
    if isinstance(key, ed25519.Ed25519PublicKey):
        return verify(key, data, signature)
    if len(signature) != 96:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big"))
    return verify(key, data, der)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def ensure_key(settings) -> GeneratedKey | None:
    """Create the signing key at evidence.signing_key_path if there is none (for the demo); None when it exists."""
    path = private_key_path(settings)
    if path.exists():
        return None
    return generate_key(path)
