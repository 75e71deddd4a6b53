"""The signing key (0600, outside the repo) and RFC 3161 tokens from a local openssl TSA."""
import datetime as dt
import hashlib
import os
import subprocess

import pytest

from alerts.evidence import keys as keymod
from alerts.evidence.manifest import seal
from alerts.evidence.timestamp import (TimestampError, build_request, check_token, load_trusted_certificates,
                                      parse_reply, request_token)
from alerts.evidence.verify import Trust, verify_bundle
from tests.alerts.evidence.conftest import make_settings


def test_generate_writes_private_0600_and_public_beside(tmp_path):
    made = keymod.generate_key(tmp_path / "k" / "signing_key.pem")
    assert os.stat(made.private_path).st_mode & 0o777 == 0o600
    assert made.public_path == tmp_path / "k" / "signing_key.pub.pem"
    key = keymod.load_private_key(made.private_path)
    public = keymod.load_public_key(made.public_path.read_bytes())
    assert keymod.key_id(public) == made.key_id
    sig = keymod.sign(key, b"manifest")
    assert keymod.verify(public, b"manifest", sig) and not keymod.verify(public, b"manifesT", sig)


def test_generate_refuses_to_overwrite_and_load_refuses_open_key(tmp_path):
    path = tmp_path / "signing_key.pem"
    first = keymod.generate_key(path)
    with pytest.raises(keymod.SigningKeyError, match="already exists"):
        keymod.generate_key(path)
    assert keymod.generate_key(path, force=True).key_id != first.key_id
    os.chmod(path, 0o644)
    with pytest.raises(keymod.SigningKeyError, match="chmod 600"):
        keymod.load_private_key(path)
    with pytest.raises(keymod.SigningKeyError, match="saigawatch keys generate"):
        keymod.load_private_key(tmp_path / "none.pem")


def test_openssl_checks_our_signature(tmp_path):
    made = keymod.generate_key(tmp_path / "signing_key.pem")
    data = tmp_path / "manifest.json"
    data.write_bytes(b'{"files": []}\n')
    (tmp_path / "manifest.sig").write_bytes(keymod.sign(keymod.load_private_key(made.private_path), data.read_bytes()))
    proc = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(made.public_path), "-signature",
                           str(tmp_path / "manifest.sig"), str(data)], capture_output=True, text=True)
    assert "Verified OK" in proc.stdout, proc.stderr
    # the published fingerprint is what openssl computes from the public key
    der = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(made.public_path), "-outform", "DER"],
                         capture_output=True, check=True).stdout
    assert made.key_id == "sha256:" + hashlib.sha256(der).hexdigest()
    assert keymod.normalise_fingerprint(made.key_id[7:].upper()) == made.key_id


def test_timestamp_token_from_local_tsa(tsa, tmp_path):
    reply, info = request_token(tsa.url, b"manifest bytes")
    assert info.status == 0 and info.hash_oid == "2.16.840.1.101.3.4.2.1"
    assert abs((info.gen_time - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 120
    roots = load_trusted_certificates([tsa.ca_file])
    ok = check_token(reply, b"manifest bytes", roots)
    assert ok.ok and ok.signature_checked, ok.detail
    assert not check_token(reply, b"manifest bytez", roots).ok
    no_roots = check_token(reply, b"manifest bytes", [])
    assert not no_roots.ok and "not trusted" in no_roots.detail  # never ok on the hash alone
    assert parse_reply(reply).serial == info.serial
    # openssl itself agrees that the reply answers our request (nonce, hash) and is signed by the TSA
    (tmp_path / "q.tsq").write_bytes(tsa.requests[-1])
    (tmp_path / "r.tsr").write_bytes(reply)
    proc = subprocess.run(["openssl", "ts", "-verify", "-queryfile", str(tmp_path / "q.tsq"), "-in",
                           str(tmp_path / "r.tsr"), "-CAfile", str(tsa.ca_file)], capture_output=True, text=True)
    assert "Verification: OK" in proc.stdout, proc.stderr
    assert build_request(b"x").as_bytes()[0] == 0x30


def _indefinite(der: bytes) -> bytes:
    """The same reply with its outer SEQUENCE in BER indefinite-length form."""
    assert der[0] == 0x30 and der[1] & 0x80
    n = der[1] & 0x7F
    length = int.from_bytes(der[2:2 + n], "big")
    return b"\x30\x80" + der[2 + n:2 + n + length] + b"\x00\x00"


def test_indefinite_length_ber_token_is_read_and_verified(tsa):
    """A TSA may answer in BER with indefinite lengths; the reply is still read and its signature checked."""
    reply, info = request_token(tsa.url, b"ber")
    ber = _indefinite(reply)
    assert ber != reply and parse_reply(ber).serial == info.serial
    check = check_token(ber, b"ber", load_trusted_certificates([tsa.ca_file]))
    assert check.ok and check.signature_checked, check.detail


def test_token_signed_by_another_ca_fails(tsa, tmp_path):
    from tests.alerts.evidence.tsa_server import make_tsa

    make_tsa(tmp_path / "other")
    reply, _ = request_token(tsa.url, b"x")
    check = check_token(reply, b"x", load_trusted_certificates([tmp_path / "other" / "ca.crt"]))
    assert not check.ok and "does not verify" in check.detail


def test_unreachable_tsa_is_a_clear_error_and_the_seal_says_so(tmp_path, signing_key):
    with pytest.raises(TimestampError, match="unreachable"):
        request_token("http://127.0.0.1:9/tsr", b"x", timeout=2)
    settings = make_settings(tmp_path, signing_key, tsa_url="http://127.0.0.1:9/tsr", tsa_timeout_s=2)
    root = tmp_path / "capture"
    root.mkdir()
    (root / "a.txt").write_text("a")
    result = seal(root, settings, kind="capture", created_by="t", now=dt.datetime.now(dt.timezone.utc))
    assert result.signed and result.timestamp_time is None and "unreachable" in result.errors[0]
    report = verify_bundle(root)
    assert report.ok, report.problems
    assert any("none taken" in n for n in report.notes)
