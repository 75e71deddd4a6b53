"""An exported case verifies only against a trusted key; every kind of tampering is caught and named; unsafe ZIPs
are refused before anything is unpacked or hashed."""
import base64
import io
import json
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from alerts.evidence import custody as custody_mod
from alerts.evidence import keys as keymod
from alerts.evidence.hashing import canonical_json, pretty_json, sha256_bytes
from alerts.evidence.timestamp import request_token
from alerts.evidence.verify import NOT_INTACT, ORIGIN_NOT_CHECKED, VERIFIED, Trust, verify_bundle
from saigawatch.cli import main
from tests.alerts.evidence.tamper import custody_lines, flip, members, read, resealed, rewrite


@pytest.fixture(scope="module")
def trust(signing_key, tsa):
    """What the officer trusts, from outside the bundle: the published key and the TSA's certificate."""
    return Trust.build(public_key=signing_key.public_path, tsa_files=[tsa.ca_file])


def test_exported_case_verifies_against_the_trusted_key(case_bundle, tmp_path, trust, signing_key):
    report = verify_bundle(case_bundle, trust=trust)
    assert report.ok and report.status == "verified" and report.exit_code == VERIFIED, report.problems
    assert report.timestamp and report.key_id == signing_key.key_id and report.key_trusted
    assert report.files_checked == len(json.loads(read(case_bundle, "manifest.json"))["files"])
    folder = tmp_path / "unpacked"
    zipfile.ZipFile(case_bundle).extractall(folder)
    assert verify_bundle(folder, trust=trust).status == "verified"


def test_without_a_trusted_key_the_result_is_intact_but_origin_not_checked(case_bundle, tsa):
    report = verify_bundle(case_bundle, trust=Trust.build(tsa_files=[tsa.ca_file]))
    assert report.ok and report.status == "origin_not_checked" and report.exit_code == ORIGIN_NOT_CHECKED
    assert "ORIGIN NOT CHECKED" in report.verdict() and not any("trusted key:" in n for n in report.notes)


def test_without_a_trusted_tsa_the_timestamp_is_not_called_checked(case_bundle, signing_key):
    report = verify_bundle(case_bundle, trust=Trust.build(public_key=signing_key.public_path))
    assert report.ok and report.status == "origin_not_checked" and report.timestamp_trusted is False
    assert any("timestamp NOT checked" in n for n in report.notes)


def test_a_flipped_byte_in_any_member_is_caught(case_bundle, tmp_path, trust):
    for name in members(case_bundle):
        tampered = rewrite(case_bundle, tmp_path / "t.zip", change={name: flip})
        report = verify_bundle(tampered, trust=trust)
        assert not report.ok, f"flipped byte in {name} went unnoticed"
        assert any(name in p or (name.endswith("manifest.json") and "manifest" in p) for p in report.problems), \
            (name, report.problems)


def _replace_file(case_bundle: Path, target: Path, name: str, data: bytes) -> Path:
    """Put `data` at `name` and update its hash in every manifest that lists it (without the private key)."""
    change = {name: data}
    for manifest_name in ("manifest.json", name.split("/browser/")[0] + "/manifest.json"):
        manifest = json.loads(read(case_bundle, manifest_name))
        prefix = manifest_name[: -len("manifest.json")]
        for entry in manifest["files"]:
            if prefix + entry["path"] == name:
                entry["sha256"], entry["size"] = sha256_bytes(data), len(data)
        change[manifest_name] = pretty_json(manifest)
    return rewrite(case_bundle, target, change=change)


def test_a_swapped_screenshot_with_its_hashes_updated_is_caught(case_bundle, tmp_path, trust):
    shots = [n for n in members(case_bundle) if n.endswith("browser/screenshot.png")]
    tampered = _replace_file(case_bundle, tmp_path / "t.zip", shots[0], read(case_bundle, shots[1]))
    report = verify_bundle(tampered, trust=trust)
    assert not report.ok
    assert any("manifest.sig" in p and "signature does not match" in p for p in report.problems), report.problems


def test_a_deleted_member_is_caught(case_bundle, tmp_path, trust):
    names = members(case_bundle)
    for name in ["manifest.sig", "manifest.tsr", "custody.jsonl", "public_key.pem", "report-ru.pdf",
                 *[n for n in names if n.endswith(("screenshot.png", "listing.json", "responses.warc.gz"))][:3]]:
        report = verify_bundle(rewrite(case_bundle, tmp_path / "t.zip", drop={name}), trust=trust)
        assert not report.ok and any(name in p and "missing" in p for p in report.problems), (name, report.problems)


def test_an_added_member_is_caught(case_bundle, tmp_path, trust):
    capture_dir = next(n for n in members(case_bundle) if n.endswith("/capture_env.json")).rsplit("/", 1)[0]
    for name in ["extra.txt", f"{capture_dir}/browser/extra.png", "listings/new/listing.json"]:
        report = verify_bundle(rewrite(case_bundle, tmp_path / "t.zip", add={name: b"planted"}), trust=trust)
        assert not report.ok and any(name in p and "added" in p for p in report.problems), (name, report.problems)


def _custody_problems(case_bundle, tmp_path, trust, lines) -> list[str]:
    data = ("\n".join(lines) + "\n").encode()
    report = verify_bundle(rewrite(case_bundle, tmp_path / "t.zip", change={"custody.jsonl": data}), trust=trust)
    assert not report.ok
    assert all("custody.jsonl" in p for p in report.problems), report.problems
    return report.problems


def _listing_lines(case_bundle):
    lines = custody_lines(case_bundle)
    first = json.loads(lines[0])
    same = [i for i, line in enumerate(lines) if json.loads(line)["listing"] == first["listing"]]
    assert len(same) >= 3, "fixture should give one listing captured → reviewed → exported"
    return lines, same


def _rehash(entry: dict) -> dict:
    entry = dict(entry)
    entry["entry_hash"] = sha256_bytes(canonical_json({k: v for k, v in entry.items()
                                                       if k not in ("entry_hash", "signature")}))
    return entry


def test_custody_entry_edited_is_caught(case_bundle, tmp_path, trust):
    lines, _ = _listing_lines(case_bundle)
    edited = dict(json.loads(lines[0]), actor="someone else")
    problems = _custody_problems(case_bundle, tmp_path, trust, [json.dumps(edited, ensure_ascii=False), *lines[1:]])
    assert any("line 1" in p and "changed" in p for p in problems)
    # edited and re-hashed: its signature no longer matches, and the next link does not point at it
    problems = _custody_problems(case_bundle, tmp_path, trust,
                                 [json.dumps(_rehash(edited), ensure_ascii=False), *lines[1:]])
    assert any("line 1" in p and "signature does not match" in p for p in problems)
    assert any("chain broken" in p or "anchored" in p for p in problems)


def test_custody_entries_reordered_are_caught(case_bundle, tmp_path, trust):
    lines, same = _listing_lines(case_bundle)
    swapped = list(lines)
    swapped[same[0]], swapped[same[1]] = swapped[same[1]], swapped[same[0]]
    assert any("chain broken" in p for p in _custody_problems(case_bundle, tmp_path, trust, swapped))


@pytest.mark.parametrize("which", ["first", "middle", "last"])
def test_a_deleted_custody_entry_is_caught(case_bundle, tmp_path, trust, which):
    lines, same = _listing_lines(case_bundle)
    index = {"first": same[0], "middle": same[1], "last": same[-1]}[which]
    assert _custody_problems(case_bundle, tmp_path, trust, [x for i, x in enumerate(lines) if i != index])


def _appended(lines: list[str], signature: str | None) -> list[str]:
    last = json.loads(lines[-1])
    entry = _rehash({"listing": last["listing"], "at": "2026-12-01T10:00:00Z", "actor": "analyst",
                     "action": "handed_over", "details": {"registration_number": "КУСП-1234", "to": "ОП Алмалинского"},
                     "prev_hash": last["entry_hash"]})
    entry["signature"] = signature(entry) if callable(signature) else signature
    return [*lines, json.dumps(entry, ensure_ascii=False)]


def test_a_forged_entry_appended_after_export_is_caught(case_bundle, tmp_path, trust):
    lines = custody_lines(case_bundle)
    problems = _custody_problems(case_bundle, tmp_path, trust, _appended(lines, None))
    assert any("not signed" in p for p in problems)
    evil = keymod.load_private_key(keymod.generate_key(tmp_path / "evil" / "k.pem").private_path)
    problems = _custody_problems(case_bundle, tmp_path, trust,
                                 _appended(lines, lambda e: custody_mod.sign_entry(evil, e["entry_hash"])))
    assert any("not by the bundle's key" in p for p in problems)
    # the organisation's fingerprint in front of an attacker's signature
    org_kid = json.loads(read(case_bundle, "manifest.json"))["signature"]["key_id"]
    problems = _custody_problems(case_bundle, tmp_path, trust, _appended(
        lines, lambda e: f"{org_kid} {base64.b64encode(keymod.sign(evil, e['entry_hash'].encode())).decode()}"))
    assert any("signature does not match" in p for p in problems)


def test_an_entry_appended_and_signed_by_the_organisation_keeps_the_bundle_verified(case_bundle, tmp_path, trust,
                                                                                  signing_key):
    org = keymod.load_private_key(signing_key.private_path)
    lines = _appended(custody_lines(case_bundle), lambda e: custody_mod.sign_entry(org, e["entry_hash"]))
    data = ("\n".join(lines) + "\n").encode()
    report = verify_bundle(rewrite(case_bundle, tmp_path / "t.zip", change={"custody.jsonl": data}), trust=trust)
    assert report.status == "verified", report.problems
    assert any("1 added after export" in n for n in report.notes)


def test_a_bundle_resigned_with_another_key_fails_the_trusted_key(case_bundle, tmp_path, trust, tsa, monkeypatch):
    tampered = resealed(case_bundle, tmp_path)
    hashed = []
    import alerts.evidence.verify as verify_mod
    real = verify_mod.sha256_stream
    monkeypatch.setattr(verify_mod, "sha256_stream", lambda *a, **k: hashed.append(a) or real(*a, **k))
    report = verify_bundle(tampered, trust=trust)
    assert report.status == "not_intact" and report.exit_code == NOT_INTACT
    assert any("not by a trusted key" in p for p in report.problems)
    assert hashed == []  # the key is refused before a single member is hashed
    # with no trusted key, the forgery is at best "intact, origin NOT checked": never verified, never "trusted"
    report = verify_bundle(tampered, trust=Trust.build(tsa_files=[tsa.ca_file]))
    assert report.status != "verified" and not report.key_trusted
    assert not any("trusted key:" in n for n in report.notes)


def test_cli_never_labels_an_untrusted_key_trusted(case_bundle, tmp_path, capsys, signing_key):
    tampered = resealed(case_bundle, tmp_path)
    assert main(["evidence", "verify", "--lang", "en", "--public-key", str(signing_key.public_path),
                 str(tampered)]) == NOT_INTACT
    out = capsys.readouterr()
    assert "not by a trusted key" in out.out and "trusted key:" not in out.out and "NOT INTACT" in out.err
    assert main(["evidence", "verify", "--lang", "en", str(tampered)]) in (NOT_INTACT, ORIGIN_NOT_CHECKED)
    assert "VERIFIED" not in capsys.readouterr().out


def test_a_timestamp_token_from_another_bundle_is_caught(case_bundle, tmp_path, trust, signing_key, tsa):
    org = keymod.load_private_key(signing_key.private_path)
    other_token, _ = request_token(tsa.url, b"another bundle's manifest")
    tampered = rewrite(case_bundle, tmp_path / "t.zip", change={
        "manifest.tsr": other_token, "manifest.tsr.sig": keymod.sign(org, other_token)})
    report = verify_bundle(tampered, trust=trust)
    assert not report.ok and any("manifest.tsr" in p and "different manifest" in p for p in report.problems)


def test_a_timestamp_token_from_an_untrusted_tsa_is_caught(case_bundle, tmp_path, trust, signing_key):
    from tests.alerts.evidence.tsa_server import LocalTsa

    org = keymod.load_private_key(signing_key.private_path)
    with LocalTsa(tmp_path / "rogue-tsa") as rogue:
        token, _ = request_token(rogue.url, read(case_bundle, "manifest.json"))
    tampered = rewrite(case_bundle, tmp_path / "t.zip", change={
        "manifest.tsr": token, "manifest.tsr.sig": keymod.sign(org, token)})
    report = verify_bundle(tampered, trust=trust)
    assert not report.ok and any("manifest.tsr" in p and "does not verify" in p for p in report.problems)
    # a CA planted inside the bundle is never used
    planted = rewrite(tampered, tmp_path / "planted.zip",
                      add={"tsa-ca.pem": (tmp_path / "rogue-tsa" / "ca.crt").read_bytes()})
    assert verify_bundle(planted, trust=trust).status == "not_intact"


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt", "a\\..\\evil.txt"])
def test_zip_slip_paths_are_refused(case_bundle, tmp_path, trust, name):
    report = verify_bundle(rewrite(case_bundle, tmp_path / "t.zip", add={name: b"x"}), trust=trust)
    assert not report.ok and "zip-slip" in report.problems[0] and "refused" in report.problems[0]
    assert not (tmp_path.parent / "evil.txt").exists()


def test_links_are_refused(case_bundle, tmp_path, trust):
    target = tmp_path / "t.zip"
    shutil.copy(case_bundle, target)
    with zipfile.ZipFile(target, "a") as zf:
        info = zipfile.ZipInfo("listings/link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    report = verify_bundle(target, trust=trust)
    assert not report.ok and "symbolic link" in report.problems[0]


def test_duplicate_members_are_refused(case_bundle, tmp_path, trust):
    target = tmp_path / "t.zip"
    shutil.copy(case_bundle, target)
    with zipfile.ZipFile(target, "a") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("custody.jsonl", b"a second custody log\n")
    report = verify_bundle(target, trust=trust)
    assert not report.ok and "appears twice" in report.problems[0]


def test_oversized_members_are_refused(case_bundle, trust):
    report = verify_bundle(case_bundle, max_member_bytes=5000, trust=trust)
    assert not report.ok and "over the 5000-byte limit" in report.problems[0]
    report = verify_bundle(case_bundle, max_bundle_bytes=10_000, trust=trust)
    assert not report.ok and "max_bundle_bytes" in report.problems[0]


def test_a_zip_bomb_is_refused_without_inflating_it(case_bundle, tmp_path, trust):
    target = tmp_path / "bomb.zip"
    shutil.copy(case_bundle, target)
    with zipfile.ZipFile(target, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("listings/bomb.bin", "w") as fh:
            for _ in range(64):
                fh.write(b"\0" * (1 << 20))  # 64 MB of zeros, about 64 KB packed
    report = verify_bundle(target, trust=trust)
    assert not report.ok and "zip bomb" in report.problems[0]


def test_a_bare_archive_wacz_proves_its_origin(case_bundle, tmp_path, signing_key, trust):
    name = next(n for n in members(case_bundle) if n.endswith("archive.wacz"))
    wacz = tmp_path / "archive.wacz"
    wacz.write_bytes(read(case_bundle, name))
    report = verify_bundle(wacz, trust=trust)
    assert report.status == "verified" and report.key_id == signing_key.key_id, report.problems
    assert verify_bundle(wacz).status == "origin_not_checked"
    # a changed record inside the WACZ
    with zipfile.ZipFile(wacz) as zf:
        warc = next(n for n in zf.namelist() if n.startswith("archive/"))
    assert verify_bundle(rewrite(wacz, tmp_path / "t.wacz", change={warc: flip}), trust=trust).status == "not_intact"
    # re-signed by someone else: the signature holds, the key is not the trusted one
    evil = keymod.load_private_key(keymod.generate_key(tmp_path / "evil" / "k.pem").private_path)
    digest = json.loads(read(wacz, "datapackage-digest.json"))
    signed = digest["signedData"]
    signed["publicKey"] = base64.b64encode(keymod.public_key_der(evil.public_key())).decode()
    signed["signature"] = base64.b64encode(keymod.sign_raw(evil, signed["hash"].encode())).decode()
    forged = rewrite(wacz, tmp_path / "f.wacz", change={"datapackage-digest.json": json.dumps(digest).encode()})
    report = verify_bundle(forged, trust=trust)
    assert report.status == "not_intact" and any("not by a trusted key" in p for p in report.problems)
    # and inside a bundle, a WACZ signed by another key than the bundle's is caught
    inner = rewrite(case_bundle, tmp_path / "inner.zip", change={name: forged.read_bytes()})
    assert verify_bundle(inner, trust=trust).status == "not_intact"


def test_cli_verify_names_the_failing_file_in_russian_and_kazakh(case_bundle, tmp_path, capsys, signing_key):
    name = next(n for n in members(case_bundle) if n.endswith("screenshot.png"))
    tampered = rewrite(case_bundle, tmp_path / "t.zip", change={name: flip})
    assert main(["evidence", "verify", "--lang", "ru", str(tampered)]) == NOT_INTACT
    out = capsys.readouterr()
    assert f"FAIL  {name}: содержимое изменено (sha256 sha256:" in out.out and "НАРУШЕНА ЦЕЛОСТНОСТЬ" in out.err
    assert main(["evidence", "verify", "--lang", "kk", str(tampered)]) == NOT_INTACT
    out = capsys.readouterr()
    assert f"FAIL  {name}: мазмұны өзгертілген" in out.out and "БҮТІНДІГІ БҰЗЫЛҒАН" in out.err
    assert main(["evidence", "verify", str(tmp_path / "missing.zip")]) == 1
    shutil.copy(case_bundle, tmp_path / "copy.zip")
    assert main(["evidence", "verify", "--json", "--fingerprint", signing_key.key_id, str(tmp_path / "copy.zip")]) \
        == ORIGIN_NOT_CHECKED  # no TSA certificate configured for this CLI run: the timestamp is not checked
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] is True and result["key_trusted"] is True and result["timestamp_trusted"] is False


def test_handover_appended_to_the_bundle_keeps_it_verified(tmp_path, signing_key, site, sqlite_store):
    from alerts.review.appeals import create_appeal, update_appeal
    from alerts.evidence.capture import run_capture
    from alerts.evidence.export import export_case
    from alerts.evidence.handover import HandoverError, record_handover
    from tests.alerts.evidence.conftest import make_settings
    from tests.alerts.evidence.helpers import store_listing

    settings = make_settings(tmp_path, signing_key, steps=["warc", "sign"])
    org = keymod.load_private_key(signing_key.private_path)
    lid = store_listing(sqlite_store, settings, site, "HAND-1")
    other = store_listing(sqlite_store, settings, site, "HAND-2")
    run_capture(settings, sqlite_store, lid, operator="bot")
    bundle = export_case(settings, sqlite_store, [lid], "Передача", "aigerim")
    custody_mod._signer = None  # the appeal is submitted by another process, which loads the key from its settings
    with sqlite_store.session() as session:  # submitted after the export: a link the bundle lacks
        appeal = create_appeal(session, case_name="Передача", listing_ids=[lid], actor="aigerim")
        update_appeal(session, appeal.id, actor="aigerim", status="submitted", settings=settings)
    with sqlite_store.session() as session:
        record_handover(session, [lid], actor="aigerim", recipient="ОП Медеуского района", number="ЕРДР 1",
                        bundle=bundle, signer=org)
    entries = [json.loads(x) for x in custody_lines(bundle)]
    assert [e["action"] for e in entries] == ["captured", "exported", "handed_over", "handed_over"]
    assert all(e["signature"] for e in entries)
    report = verify_bundle(bundle, trust=Trust.build(public_key=signing_key.public_path))
    assert report.status == "verified" and any("2 added after export" in n for n in report.notes), \
        (report.problems, report.notes)
    with sqlite_store.session() as session, pytest.raises(HandoverError, match="does not hold olx:HAND-2"):
        record_handover(session, [other], actor="a", recipient="x", bundle=bundle, signer=org)
    evil = keymod.load_private_key(keymod.generate_key(tmp_path / "evil" / "k.pem").private_path)
    with sqlite_store.session() as session, pytest.raises(HandoverError, match="not with the configured key"):
        record_handover(session, [lid], actor="a", recipient="x", bundle=bundle, signer=evil)
