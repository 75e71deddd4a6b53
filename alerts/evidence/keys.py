"""The organisation's Ed25519 signing key: generate (0600, outside the repo), load, sign and verify."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from alerts.evidence.hashing import sha256_bytes


class SigningKeyError(Exception):
    """The signing key is missing, unreadable, too open, or not Ed25519."""




def private_key_path(settings) -> Path:
    return Path(settings.evidence.signing_key_path).expanduser()


def public_key_path_for(private_path: Path) -> Path:
    """The public key lives beside the private one: signing_key.pem → signing_key.pub.pem."""
    return private_path.with_name(private_path.stem + ".pub.pem")


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: Ed25519PublicKey) -> str:
    """A fingerprint to publish and compare: sha256 of the raw 32-byte public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256_bytes(raw)


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
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tmp = private_path.with_name(private_path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(tmp, 0o600)
    os.replace(tmp, private_path)
    public_path.write_bytes(public_key_pem(key.public_key()))
    return GeneratedKey(private_path, public_path, key_id(key.public_key()))


def load_private_key(path: Path) -> Ed25519PrivateKey:
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
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: expected an Ed25519 key, found {type(key).__name__}")
    return key


def load_public_key(pem: bytes, source: str = "public key") -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{source}: not a readable PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{source}: expected an Ed25519 key, found {type(key).__name__}")
    return key


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    """A raw 64-byte Ed25519 signature (checkable with `openssl pkeyutl -verify -rawin`)."""
    return key.sign(data)


def verify(key: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, data)
        return True
    except InvalidSignature:
        return False


def ensure_key(settings) -> GeneratedKey | None:
    """Create the signing key at evidence.signing_key_path if there is none (for the demo); None when it exists."""
    path = private_key_path(settings)
    if path.exists():
        return None
    return generate_key(path)
