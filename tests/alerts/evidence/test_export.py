"""What an exported case holds: per-listing files, WACZ, custody order, the Russian and Kazakh report."""
import io
import json
import re
import subprocess
import zipfile

import pytest

from alerts.evidence.export import ExportError, export_case, transliterate
from alerts.evidence.wacz import check_wacz
from tests.alerts.evidence.conftest import make_settings
from tests.alerts.evidence.wacz_validator import wacz_validate


@pytest.fixture(scope="module")
def unpacked(case_bundle, tmp_path_factory):
    folder = tmp_path_factory.mktemp("unpacked")
    zipfile.ZipFile(case_bundle).extractall(folder)
    return folder


def _pdftotext(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_bundle_layout(case_bundle, unpacked):
    assert case_bundle.name.startswith("Delo_Almaty_7-") and case_bundle.suffix == ".zip"
    top = {p.name for p in unpacked.iterdir()}
    assert {"manifest.json", "manifest.sig", "manifest.tsr", "manifest.tsr.sig", "public_key.pem", "custody.jsonl",
            "VERIFY.txt", "report-ru.pdf", "report-kk.pdf", "listings"} <= top
    assert "tsa-ca.pem" not in top  # a CA shipped inside the bundle proves nothing
    folder = unpacked / "listings" / "olx-CASE-1"
    capture = next((folder / "captures").iterdir())
    for rel in ["http/responses.warc.gz", "http/page.html", "browser/screenshot.png", "browser/dom.html",
                "photos/01-CASE-1.png", "context/search.html", "context/search.warc.gz", "context/seller_listings.json",
                "capture_env.json", "manifest.json", "manifest.sig", "manifest.tsr", "public_key.pem"]:
        assert (capture / rel).is_file(), rel
    listing = json.loads((folder / "listing.json").read_text())
    assert listing["platform"] == "olx" and listing["id"] == "CASE-1" and listing["phones"] == ["+77011234567"]
    assert listing["seller"]["name"] == "Асхат" and listing["reviews"][0]["analyst"] == "aigerim"
    assert listing["classifications"][0]["score"] == pytest.approx(0.93)
    env = json.loads((capture / "capture_env.json").read_text())
    assert env["operator"] == "crawler-bot" and env["classifier"]["model_version"] == "test-1.0"
    assert "HeadlessChrome" in env["browser"]["user_agent"]
    seller = json.loads((capture / "context" / "seller_listings.json").read_text())
    assert [x["id"] for x in seller["listings"]] == ["CASE-2"]
    manifest = json.loads((unpacked / "manifest.json").read_text())
    assert all(f["sha256"].startswith("sha256:") and len(f["sha256"]) == 71 for f in manifest["files"])
    assert manifest["signature"]["algorithm"] == "ECDSA-P384-SHA256" and manifest["timestamp"]["file"] == "manifest.tsr"
    assert "VERIFY.txt" in {f["path"] for f in manifest["files"]}


def test_wacz_replays_the_stored_responses(unpacked):
    data = (unpacked / "listings" / "olx-CASE-1" / "archive.wacz").read_bytes()
    status, output = wacz_validate(data)
    assert status == 0 and "Validation succeeded" in output, output
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        check = check_wacz(zf)
        assert check.problems == [] and check.key_id == json.loads((unpacked / "manifest.json").read_text())[
            "signature"]["key_id"]
        index = zf.read("indexes/index.cdx").decode()
        assert "/d/CASE-1" in index and "/photo/CASE-1.png" in index and "search?q=case-1" in index
        pages = [json.loads(x) for x in zf.read("pages/pages.jsonl").decode().splitlines()[1:]]
        assert pages[0]["url"].endswith("/d/CASE-1")


def test_custody_runs_captured_reviewed_exported(unpacked):
    lines = [json.loads(x) for x in (unpacked / "custody.jsonl").read_text().splitlines()]
    first = [x for x in lines if x["listing"] == "olx:CASE-1"]
    assert [x["action"] for x in first] == ["captured", "reviewed", "exported"]
    assert [x["actor"] for x in first] == ["crawler-bot", "aigerim", "aigerim"]
    assert first[0]["prev_hash"] is None and first[1]["prev_hash"] == first[0]["entry_hash"]
    assert first[2]["details"]["case"] == "Дело Алматы №7"


def test_report_in_russian_with_appeal_takedown_and_hashes(unpacked):
    text = _pdftotext(unpacked / "report-ru.pdf")
    flat = " ".join(text.split())
    for expected in ["ЗАЯВЛЕНИЕ", "ст. 339 УК РК", "Общественный фонд «Сайгак»", "Министерство внутренних дел",
                     "Едином реестре досудебных расследований", "осмотр", "операторов связи", "+77011234567",
                     "УВЕДОМЛЕНИЕ О НЕЗАКОННОМ КОНТЕНТЕ", "CASE-1", "150 000 ₸", "«рога сайги»",
                     "aigerim", "Таблица хешей", "通天眼", "киік мүйізі"]:
        assert expected in flat, expected
    manifest = json.loads((unpacked / "manifest.json").read_text())
    screenshot = next(f for f in manifest["files"] if f["path"].endswith("CASE-1.png"))
    assert screenshot["sha256"] in flat  # whole hashes, never cut
    assert f"--fingerprint {manifest['signature']['key_id']}" in flat  # the appeal letter names the key
    assert all(f["sha256"] in flat for f in manifest["files"] if not f["path"].startswith("report-"))
    nospace = flat.replace(" ", "")  # long paths wrap at '/', but every character is printed
    assert all(f["path"] in nospace for f in manifest["files"] if not f["path"].startswith("report-"))


def test_report_in_kazakh_and_fonts_embedded(unpacked):
    flat = " ".join(_pdftotext(unpacked / "report-kk.pdf").split())
    for expected in ["АРЫЗ", "ҚР ҚК 339-бабы", "Қазақстан Республикасының Ішкі істер министрлігі", "СҰРАЙМЫН", "Сотқа дейінгі тергеп-тексерудің", "ЗАҢСЫЗ МАЗМҰН",
                     "хабарландыру"]:
        assert expected in flat, expected
    fonts = subprocess.run(["pdffonts", str(unpacked / "report-kk.pdf")], capture_output=True, text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert {r[0].split("+")[1] for r in rows} >= {"DejaVuSansBook", "DejaVuSansBold", "WenQuanYiMicroHei"}
    assert all(r[-5] == "yes" for r in rows), fonts  # emb column


def test_verify_txt_is_honest_and_matches_the_bundle(unpacked):
    text = (unpacked / "VERIFY.txt").read_text()
    assert "НЕ доказывает" in text and "does not prove what the platform's server sent" in text
    for command in ("openssl dgst -sha256 -verify", "openssl ts -verify", "sha256sum", "wacz validate",
                    "warcio check", "openssl pkey -pubin"):
        assert command in text, command
    manifest = json.loads((unpacked / "manifest.json").read_text())
    assert manifest["signature"]["key_id"] in text  # the fingerprint to compare with the letter, whole
    top = {p.name for p in unpacked.iterdir()}
    contents = text.split("== Состав пакета")[1]
    named = set(re.findall(r"[\w.-]+\.(?:jsonl|json|sig|tsr|pem|txt|pdf)\b", contents.split("listings/")[0]))
    assert named == top - {"listings"}, (named, top)  # every top-level file named, none that is not there


def test_report_and_banner_name_the_same_operator_by_full_name(unpacked):
    from PIL import Image
    env = json.loads(next((unpacked / "listings" / "olx-CASE-1" / "captures").iterdir()).joinpath(
        "capture_env.json").read_text())
    assert env["operator_name"] == "Бот SaigaWatch"
    flat = " ".join(_pdftotext(unpacked / "report-ru.pdf").split())
    assert "Оператор Айгерим Сериккызы" in flat and "Бот SaigaWatch" in flat  # exporter and capturer


def test_report_is_pdf_a(unpacked):
    data = (unpacked / "report-ru.pdf").read_bytes()
    assert b"<pdfaid:part>2</pdfaid:part>" in data or b'pdfaid:part="2"' in data
    assert b"/OutputIntents" in data and b"/GTS_PDFA1" in data


def test_chinese_only_case_names_get_distinct_stems():
    from alerts.evidence.export import case_stem
    assert case_stem("Дело Алматы №1") == "Delo_Almaty_1"
    first, second = case_stem("赛加羚羊角案"), case_stem("羚羊角二号案")
    assert first != second and first.startswith("case-") and "e3b0c442" not in first


def test_export_errors_are_clear(tmp_path, signing_key, sqlite_store):
    settings = make_settings(tmp_path, signing_key)
    with pytest.raises(ExportError, match="no listing with id 999"):
        export_case(settings, sqlite_store, [999], "case", "me")
    with pytest.raises(ExportError, match="language"):
        export_case(settings, sqlite_store, [1], "case", "me", "zh")
    with pytest.raises(ExportError, match="case needs a name"):
        export_case(settings, sqlite_store, [1], " ", "me")


def test_transliterated_file_names():
    assert transliterate("Дело Алматы №1") == "Delo_Almaty_1"
    assert transliterate("Іс Қызылорда") == "Is_Qyzylorda"
