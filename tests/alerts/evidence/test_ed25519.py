"""Ed25519 signing keys: bundles verify against that key (PEM or DER), never against another Ed25519 key."""
import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from alerts.evidence import keys as keymod
from saigawatch.cli import main
from tests.alerts.evidence.tamper import read, resealed
from tests.alerts.evidence.test_cli_evidence import _config
from tests.alerts.evidence.helpers import store_listing


def test_ed25519_key_loads_from_pem_and_der_and_signs(tmp_path):
    made = keymod.generate_key(tmp_path / "k" / "org.pem", key_type="ed25519")
    private = keymod.load_private_key(made.private_path)
    der_private = tmp_path / "k" / "org.der"
    der_private.write_bytes(private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    der_private.chmod(0o600)
    assert keymod.key_id(keymod.load_private_key(der_private).public_key()) == made.key_id
    public = keymod.load_public_key(made.public_path.read_bytes())
    assert keymod.load_public_key(keymod.public_key_der(public)).public_bytes_raw() == public.public_bytes_raw()
    assert keymod.algorithm(public) == "Ed25519" and keymod.key_id(public) == made.key_id
    for sign, check in ((keymod.sign, keymod.verify), (keymod.sign_raw, keymod.verify_raw)):
        sig = sign(private, b"manifest")
        assert check(public, b"manifest", sig) and not check(public, b"manifesT", sig)
    with pytest.raises(keymod.SigningKeyError, match="not a readable DER public key"):
        keymod.load_public_key(b"\x30\x03junk", "letter.der")
    rsa_der = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(keymod.SigningKeyError, match="rsa.der: expected an ECDSA P-384 or Ed25519 key, found RSA"):
        keymod.load_public_key(rsa_der, "rsa.der")


def test_a_bundle_signed_with_ed25519_verifies_only_against_that_key(config_file, tmp_path, capsys, site):
    cfg = ["--config", str(_config(config_file, tmp_path))]
    assert main([*cfg, "init"]) == 0 and main([*cfg, "keys", "generate", "--type", "ed25519"]) == 0
    assert "key type:    ed25519" in capsys.readouterr().out
    from config import load_config
    from store import Store

    settings = load_config(config_file)
    store = Store(settings.storage.database_url())
    lid = store_listing(store, settings, site, "ED-1")
    store.dispose()
    assert main([*cfg, "evidence", "capture", str(lid), "--operator", "aigerim"]) == 0
    capsys.readouterr()
    assert main([*cfg, "evidence", "export", str(lid), "--case", "Дело Ed", "--operator", "aigerim"]) == 0
    bundle = Path(capsys.readouterr().out.strip())
    assert json.loads(read(bundle, "manifest.json"))["signature"]["algorithm"] == "Ed25519"

    public_pem = tmp_path / "keys" / "org.pub.pem"
    public_der = tmp_path / "letter-key.der"
    public_der.write_bytes(keymod.public_key_der(keymod.load_public_key(public_pem.read_bytes())))
    for given in (public_pem, public_der):
        assert main([*cfg, "evidence", "verify", str(bundle), "--public-key", str(given), "--lang", "en"]) == 0
        out = capsys.readouterr().out
        assert "VERIFIED" in out and "signature: Ed25519" in out

    # re-signed by another Ed25519 key: refused against the organisation's key
    forged = resealed(bundle, tmp_path, key_type="ed25519")
    assert json.loads(read(forged, "manifest.json"))["signature"]["algorithm"] == "Ed25519"
    assert main([*cfg, "evidence", "verify", str(forged), "--public-key", str(public_pem), "--lang", "en"]) == 1
    out = "".join(capsys.readouterr())
    assert "NOT INTACT" in out and "not by a trusted key" in out

    # VERIFY.txt's OpenSSL command for this key type checks the real signature
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(bundle).extractall(unpacked)
    text = (unpacked / "VERIFY.txt").read_text(encoding="utf-8")
    command = keymod.openssl_verify(keymod.load_public_key(public_pem.read_bytes()), "manifest.json", "manifest.sig")
    assert command in text and "Ed25519" in text
    done = subprocess.run(command.split(), cwd=unpacked, capture_output=True, text=True)
    assert done.returncode == 0 and "Signature Verified Successfully" in done.stdout, done.stdout + done.stderr
