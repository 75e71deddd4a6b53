"""The signing key (0600, outside the repo) and RFC 3161 tokens from a local openssl TSA."""
import datetime as dt
import os
import subprocess

import pytest

from alerts.evidence import keys as keymod
from alerts.evidence.manifest import seal
from alerts.evidence.timestamp import TimestampError, build_request, check_token, parse_reply, request_token
from alerts.evidence.verify import verify_bundle
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
    proc = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(made.public_path), "-rawin",
                           "-in", str(data), "-sigfile", str(tmp_path / "manifest.sig")], capture_output=True, text=True)
    assert "Signature Verified Successfully" in proc.stdout, proc.stderr


def test_timestamp_token_from_local_tsa(tsa, tmp_path):
    reply, info = request_token(tsa.url, b"manifest bytes")
    assert info.status == 0 and info.hash_oid == "2.16.840.1.101.3.4.2.1"
    assert abs((info.gen_time - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 120
    ok = check_token(reply, b"manifest bytes", tsa.ca_file)
    assert ok.ok and ok.signature_checked, ok.detail
    assert not check_token(reply, b"manifest bytez", tsa.ca_file).ok
    assert parse_reply(reply).serial == info.serial
    # openssl itself agrees that the reply answers our request (nonce, hash) and is signed by the TSA
    (tmp_path / "q.tsq").write_bytes(tsa.requests[-1])
    (tmp_path / "r.tsr").write_bytes(reply)
    proc = subprocess.run(["openssl", "ts", "-verify", "-queryfile", str(tmp_path / "q.tsq"), "-in",
                           str(tmp_path / "r.tsr"), "-CAfile", str(tsa.ca_file)], capture_output=True, text=True)
    assert "Verification: OK" in proc.stdout, proc.stderr
    assert build_request(b"\0" * 32, 5)[0] == 0x30


def test_token_signed_by_another_ca_fails(tsa, tmp_path):
    from tests.alerts.evidence.tsa_server import make_tsa

    make_tsa(tmp_path / "other")
    reply, _ = request_token(tsa.url, b"x")
    check = check_token(reply, b"x", tmp_path / "other" / "ca.crt")
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
