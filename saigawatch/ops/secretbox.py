"""Encrypt a small secret with a passphrase (scrypt + AES-GCM), for backups that carry the session secret."""
from __future__ import annotations

import base64
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = "saigawatch-secretbox"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
MIN_PASSPHRASE = 12


class SecretBoxError(ValueError):
    """A passphrase is too short, or does not open the box (wrong passphrase or damaged data)."""


def _key(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def seal(plaintext: bytes, passphrase: str) -> bytes:
    """A JSON box holding `plaintext` encrypted with a key derived from `passphrase`."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise SecretBoxError(f"the passphrase is too short: use at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    ciphertext = AESGCM(_key(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)).encrypt(nonce, plaintext, FORMAT.encode())
    box = {"format": FORMAT, "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
                                     "salt": base64.b64encode(salt).decode()},
           "cipher": "AES-256-GCM", "nonce": base64.b64encode(nonce).decode(),
           "ciphertext": base64.b64encode(ciphertext).decode()}
    return json.dumps(box, indent=2).encode("utf-8")


def open_box(box: bytes, passphrase: str) -> bytes:
    """The plaintext of a box made by seal(); SecretBoxError when the passphrase is wrong."""
    try:
        data = json.loads(box)
        kdf = data["kdf"]
        key = _key(passphrase, base64.b64decode(kdf["salt"]), int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
        return AESGCM(key).decrypt(base64.b64decode(data["nonce"]), base64.b64decode(data["ciphertext"]),
                                   FORMAT.encode())
    except InvalidTag:
        raise SecretBoxError("the passphrase does not open the encrypted secret (wrong passphrase?)") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise SecretBoxError(f"the encrypted secret is damaged ({exc})") from None
