"""An exported case verifies; every kind of tampering is caught and named; unsafe ZIPs are refused."""
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from alerts.evidence import keys as keymod
from alerts.evidence.hashing import pretty_json, sha256_bytes
from alerts.evidence.verify import verify_bundle
from saigawatch.cli import main


def rewrite(src: Path, dst: Path, change=None, drop=(), add=None, order=None) -> Path:
    """Copy a ZIP with some members changed, dropped or added."""
    change, add = change or {}, add or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        names = order or zin.namelist()
        for name in names:
            if name in drop:
                continue
            data = zin.read(name)
            if name in change:
                data = change[name](data) if callable(change[name]) else change[name]
            zout.writestr(name, data)
        for name, data in add.items():
            zout.writestr(name, data)
    return dst


def flip(data: bytes) -> bytes:
    i = len(data) // 2
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]


def members(bundle: Path) -> list[str]:
    with zipfile.ZipFile(bundle) as zf:
        return zf.namelist()


def custody_lines(bundle: Path) -> list[str]:
    with zipfile.ZipFile(bundle) as zf:
        return zf.read("custody.jsonl").decode().splitlines()


def test_exported_case_verifies(case_bundle, tmp_path, tsa, signing_key):
    report = verify_bundle(case_bundle, tsa_ca=tsa.ca_file, public_key=signing_key.public_path)
    assert report.ok, report.problems
    assert report.timestamp and report.key_id == signing_key.key_id
    assert report.files_checked == len(json.loads(zipfile.ZipFile(case_bundle).read("manifest.json"))["files"])
    # the same bundle unpacked into a folder
    folder = tmp_path / "unpacked"
    zipfile.ZipFile(case_bundle).extractall(folder)
    assert verify_bundle(folder).ok
    assert main(["evidence", "verify", str(case_bundle)]) == 0


def test_a_flipped_byte_in_any_file_is_caught(case_bundle, tmp_path):
    for name in members(case_bundle):
        tampered = rewrite(case_bundle, tmp_path / "t.zip", change={name: flip})
        report = verify_bundle(tampered)
        assert not report.ok, f"flipped byte in {name} went unnoticed"
        assert any(name in p or (name.endswith("manifest.json") and "manifest" in p) for p in report.problems), \
            (name, report.problems)


def test_a_removed_file_is_caught(case_bundle, tmp_path):
    names = members(case_bundle)
    for name in ["manifest.sig", "manifest.tsr", "custody.jsonl", "public_key.pem", "report-ru.pdf",
                 *[n for n in names if n.endswith(("screenshot.png", "listing.json", "responses.warc.gz"))][:3]]:
        report = verify_bundle(rewrite(case_bundle, tmp_path / "t.zip", drop={name}))
        assert not report.ok and any(name in p and "missing" in p for p in report.problems), (name, report.problems)


def test_an_added_file_is_caught(case_bundle, tmp_path):
    capture_dir = next(n for n in members(case_bundle) if n.endswith("/capture_env.json")).rsplit("/", 1)[0]
    for name in ["extra.txt", f"{capture_dir}/browser/extra.png", "listings/new/listing.json"]:
        report = verify_bundle(rewrite(case_bundle, tmp_path / "t.zip", add={name: b"planted"}))
        assert not report.ok and any(name in p and "added" in p for p in report.problems), (name, report.problems)


def _custody(case_bundle, tmp_path, lines) -> list[str]:
    data = ("\n".join(lines) + "\n").encode()
    report = verify_bundle(rewrite(case_bundle, tmp_path / "t.zip", change={"custody.jsonl": data}))
    assert not report.ok
    assert all("custody.jsonl" in p for p in report.problems), report.problems
    return report.problems


def test_custody_entry_edited_reordered_or_deleted_is_caught(case_bundle, tmp_path):
    lines = custody_lines(case_bundle)
    first = json.loads(lines[0])
    same = [i for i, line in enumerate(lines) if json.loads(line)["listing"] == first["listing"]]
    assert len(same) >= 3, "fixture should give one listing captured → reviewed → exported"
    edited = dict(first, actor="someone else")
    problems = _custody(case_bundle, tmp_path, [json.dumps(edited, ensure_ascii=False, sort_keys=True), *lines[1:]])
    assert any("line 1" in p and "changed" in p for p in problems)
    # edited and re-hashed: the next link no longer points at it
    rehashed = dict(edited, entry_hash=None)
    rehashed["entry_hash"] = sha256_bytes(json.dumps({k: v for k, v in rehashed.items() if k != "entry_hash"},
                                                     ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())
    problems = _custody(case_bundle, tmp_path, [json.dumps(rehashed, ensure_ascii=False), *lines[1:]])
    assert any("chain broken" in p or "anchored" in p for p in problems)
    swapped = list(lines)
    swapped[same[0]], swapped[same[1]] = swapped[same[1]], swapped[same[0]]
    assert any("chain broken" in p for p in _custody(case_bundle, tmp_path, swapped))
    for index in (same[0], same[1], same[-1]):
        assert _custody(case_bundle, tmp_path, [x for i, x in enumerate(lines) if i != index])


def test_entries_appended_after_export_keep_the_bundle_valid_when_chained(case_bundle, tmp_path):
    lines = custody_lines(case_bundle)
    last = json.loads(lines[-1])
    entry = {"listing": last["listing"], "at": "2026-12-01T10:00:00Z", "actor": "analyst", "action": "handed_over",
             "details": {"registration_number": "КУСП-1234", "to": "ОП Алмалинского района"},
             "prev_hash": last["entry_hash"]}
    entry["entry_hash"] = sha256_bytes(json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())
    data = ("\n".join([*lines, json.dumps(entry, ensure_ascii=False)]) + "\n").encode()
    report = verify_bundle(rewrite(case_bundle, tmp_path / "t.zip", change={"custody.jsonl": data}))
    assert report.ok, report.problems
    assert any("1 added after export" in n for n in report.notes)


def test_a_resealed_bundle_fails_the_published_key_and_the_timestamp(case_bundle, tmp_path, signing_key, tsa):
    """An attacker edits a file, rewrites the manifest and signs it with their own key."""
    target = next(n for n in members(case_bundle) if n.endswith("listing.json"))
    with zipfile.ZipFile(case_bundle) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        new_listing = zf.read(target).replace(b'"price"', b'"price_"')
    for entry in manifest["files"]:
        if entry["path"] == target:
            entry["sha256"], entry["size"] = sha256_bytes(new_listing), len(new_listing)
    evil = keymod.generate_key(tmp_path / "evil" / "k.pem")
    evil_key = keymod.load_private_key(evil.private_path)
    public_pem = evil.public_path.read_bytes()
    for entry in manifest["files"]:
        if entry["path"] == "public_key.pem":
            entry["sha256"], entry["size"] = sha256_bytes(public_pem), len(public_pem)
    manifest["signature"]["key_id"] = evil.key_id
    data = pretty_json(manifest)
    tampered = rewrite(case_bundle, tmp_path / "t.zip", change={
        target: new_listing, "manifest.json": data, "manifest.sig": keymod.sign(evil_key, data),
        "public_key.pem": public_pem})
    report = verify_bundle(tampered, public_key=signing_key.public_path, tsa_ca=tsa.ca_file)
    assert not report.ok
    assert any("not by the trusted key" in p for p in report.problems)
    assert any("manifest.tsr" in p and "different manifest" in p for p in report.problems)


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt", "a\\..\\evil.txt"])
def test_zip_slip_paths_are_refused(case_bundle, tmp_path, name):
    report = verify_bundle(rewrite(case_bundle, tmp_path / "t.zip", add={name: b"x"}))
    assert not report.ok and "zip-slip" in report.problems[0] and "refused" in report.problems[0]
    assert not (tmp_path.parent / "evil.txt").exists()


def test_oversized_members_are_refused(case_bundle, tmp_path):
    report = verify_bundle(case_bundle, max_member_bytes=5000)
    assert not report.ok and "over the 5000-byte limit" in report.problems[0]
    report = verify_bundle(case_bundle, max_bundle_bytes=10_000)
    assert not report.ok and "max_bundle_bytes" in report.problems[0]


def test_cli_verify_names_the_failing_file(case_bundle, tmp_path, capsys):
    name = next(n for n in members(case_bundle) if n.endswith("screenshot.png"))
    tampered = rewrite(case_bundle, tmp_path / "t.zip", change={name: flip})
    assert main(["evidence", "verify", str(tampered)]) == 1
    out = capsys.readouterr()
    assert f"FAIL  {name}: content changed" in out.out and "NOT INTACT" in out.err
    assert main(["evidence", "verify", str(tmp_path / "missing.zip")]) == 1
    shutil.copy(case_bundle, tmp_path / "copy.zip")
    assert main(["evidence", "verify", "--json", str(tmp_path / "copy.zip")]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_handover_appended_to_the_bundle_keeps_it_verifiable(tmp_path, signing_key, site, sqlite_store, capsys):
    from alerts.review.appeals import create_appeal, update_appeal
    from alerts.evidence.capture import run_capture
    from alerts.evidence.export import export_case
    from alerts.evidence.handover import HandoverError, record_handover
    from tests.alerts.evidence.conftest import make_settings
    from tests.alerts.evidence.helpers import store_listing

    settings = make_settings(tmp_path, signing_key, steps=["warc", "sign"])
    lid = store_listing(sqlite_store, settings, site, "HAND-1")
    other = store_listing(sqlite_store, settings, site, "HAND-2")
    run_capture(settings, sqlite_store, lid, operator="bot")
    bundle = export_case(settings, sqlite_store, [lid], "Передача", "aigerim")
    with sqlite_store.session() as session:  # the appeal is submitted after the export: a link the bundle lacks
        appeal = create_appeal(session, case_name="Передача", listing_ids=[lid], actor="aigerim")
        update_appeal(session, appeal.id, actor="aigerim", status="submitted")
    with sqlite_store.session() as session:
        record_handover(session, [lid], actor="aigerim", recipient="ОП Медеуского района", number="ЕРДР 1",
                        bundle=bundle)
    actions = [json.loads(x)["action"] for x in custody_lines(bundle)]
    assert actions == ["captured", "exported", "handed_over", "handed_over"]
    report = verify_bundle(bundle)
    assert report.ok and any("2 added after export" in n for n in report.notes), (report.problems, report.notes)
    with sqlite_store.session() as session, pytest.raises(HandoverError, match="does not hold olx:HAND-2"):
        record_handover(session, [other], actor="a", recipient="x", bundle=bundle)
