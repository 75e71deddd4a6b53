"""Law chosen by country and capture date; WACZ packages that index their records correctly."""
import datetime as dt
import io
import json
import zipfile

import pytest

from alerts.evidence.law import LawNotFound, law_in_force, listing_country
from alerts.evidence import keys as keymod
from alerts.evidence.wacz import Page, build_wacz, check_wacz, surt_key
from tests.alerts.evidence.wacz_validator import wacz_validate
from config import load_config
from config.schema import LawEntry
from store.models import Listing
from store.warc import WarcWriter


def test_shipped_config_has_the_four_countries():
    settings = load_config()
    on = dt.date(2026, 11, 24)
    assert law_in_force(settings.law, "KZ", on).article == "ст. 339 УК РК"
    assert law_in_force(settings.law, "RU", on).article == "ст. 258.1 УК РФ"
    assert law_in_force(settings.law, "MN", on) and law_in_force(settings.law, "UZ", on)


def test_the_article_in_force_on_the_capture_date_is_used():
    laws = [LawEntry(country="KZ", article="old 288", title="old", effective_from=dt.date(2000, 1, 1),
                     effective_to=dt.date(2015, 1, 1)),
            LawEntry(country="KZ", article="ст. 339", title="new", effective_from=dt.date(2015, 1, 1))]
    assert law_in_force(laws, "KZ", dt.date(2014, 12, 31)).article == "old 288"
    assert law_in_force(laws, "KZ", dt.date(2015, 1, 1)).article == "ст. 339"
    with pytest.raises(LawNotFound, match="RU"):
        law_in_force(laws, "RU", dt.date(2020, 1, 1))
    with pytest.raises(LawNotFound, match="no entry for KZ in force on 1999-01-01"):
        law_in_force(laws, "KZ", dt.date(1999, 1, 1))
    overlapping = laws + [LawEntry(country="KZ", article="dup", title="d", effective_from=dt.date(2020, 1, 1))]
    with pytest.raises(LawNotFound, match="effective_to"):
        law_in_force(overlapping, "KZ", dt.date(2021, 1, 1))


def test_law_entry_dates_must_be_in_order():
    with pytest.raises(ValueError, match="effective_to"):
        LawEntry(country="KZ", article="a", title="t", effective_from=dt.date(2020, 1, 1), effective_to=dt.date(2019, 1, 1))


def test_listing_country_from_source_url_platform_default():
    settings = load_config()
    def listing(**kw):
        return Listing(platform=kw.get("platform", "olx"), platform_listing_id="1", url=kw["url"],
                       source_name=kw.get("source"), content_hash="x")
    assert listing_country(settings, listing(url="http://127.0.0.1/x", source="olx-kz-ru")) == "KZ"
    assert listing_country(settings, listing(url="https://www.olx.uz/d/1")) == "UZ"
    assert listing_country(settings, listing(url="https://www.avito.ru/1")) == "RU"
    assert listing_country(settings, listing(url="https://vk.com/wall1", platform="vk")) == "RU"
    assert listing_country(settings, listing(url="https://www.goofish.com/item?id=1", platform="xianyu")) == "KZ"


def test_surt_is_the_standard_form():
    assert surt_key("https://www.OLX.kz/d/obyavlenie/rog-IDabc.html?x=1") == "kz,olx)/d/obyavlenie/rog-idabc.html?x=1"
    assert surt_key("http://127.0.0.1:8080/a?z=1&a=2") == "1,0,0,127:8080)/a?a=2&z=1"  # IP reversed, query sorted


def test_wacz_indexes_every_response_is_signed_and_passes_the_reference_validator(tmp_path, signing_key):
    now = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.timezone.utc)
    with WarcWriter(tmp_path) as writer:
        a = writer.write_response("https://www.olx.kz/d/1", 200, [("Content-Type", "text/html")], b"<h1>one</h1>", now)
        b = writer.write_response("https://www.olx.kz/img/1.jpg", 200, [("Content-Type", "image/jpeg")], b"\xff\xd8jpg", now)
    raw = (tmp_path / a.path).read_bytes()
    key = keymod.load_private_key(signing_key.private_path)
    data = build_wacz({"Data-20261124T100000Z.warc.gz": raw},
                      [Page("https://www.olx.kz/d/1", "2026-11-24T10:00:00Z", "one")],
                      title="t", description="d", software="SaigaWatch test", created=now, signing_key=key)
    status, output = wacz_validate(data)
    assert status == 0 and "Validation succeeded" in output, output
    check = check_wacz(zipfile.ZipFile(io.BytesIO(data)))
    assert check.problems == [] and check.key_id == signing_key.key_id
    # the validator is not a rubber stamp: a capital letter in a resource name fails it
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        bad = io.BytesIO()
        with zipfile.ZipFile(bad, "w") as zout:
            for info in zin.infolist():
                body = zin.read(info)
                if info.filename == "datapackage.json":
                    body = body.replace(b'"name": "index.cdx"', b'"name": "Index.cdx"')
                zout.writestr(info, body)
    assert wacz_validate(bad.getvalue())[0] == 1
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        assert {"archive/data-20261124t100000z.warc.gz", "indexes/index.cdx", "pages/pages.jsonl", "datapackage.json",
                "datapackage-digest.json"} <= names
        assert zf.getinfo("archive/data-20261124t100000z.warc.gz").compress_type == zipfile.ZIP_STORED
        package = json.loads(zf.read("datapackage.json"))
        assert package["wacz_version"] == "1.1.1" and package["profile"] == "data-package"
        assert all(r["hash"].startswith("sha256:") for r in package["resources"])
        index = zf.read("indexes/index.cdx").decode().splitlines()
        assert len(index) == 2 and index[0].startswith("kz,olx)/d/1 20261124100000 ")
        pages = zf.read("pages/pages.jsonl").decode().splitlines()
        assert json.loads(pages[0])["format"] == "json-pages-1.0" and json.loads(pages[1])["url"].endswith("/d/1")
    assert b.sha256.startswith("sha256:")
