"""WARC capture: records written, flushed, and read back by offset."""
import datetime as dt
import gzip

from warcio.archiveiterator import ArchiveIterator

from store.warc import WarcWriter, read_response

T = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.timezone.utc)


def test_write_and_read_back_by_offset(tmp_path):
    with WarcWriter(tmp_path) as w:
        a = w.write_response("https://www.olx.kz/d/a-ID1.html", 200, {"Content-Type": "text/html; charset=utf-8"},
                             "Рога сайги".encode(), fetched_at=T)
        b = w.write_response("https://www.olx.kz/d/b-ID2.html", 404, [("Content-Type", "text/html")], b"gone", fetched_at=T)
    assert a.path == b.path and a.path.startswith("warc/2026/11/02/")
    assert b.offset > a.offset
    first = read_response(tmp_path, a.path, a.offset)
    assert first.body.decode() == "Рога сайги"
    assert first.status == 200
    assert first.url == "https://www.olx.kz/d/a-ID1.html"
    assert first.date == "2026-11-02T09:30:00Z"
    assert read_response(tmp_path, b.path, b.offset).status == 404
    assert a.sha256.startswith("sha256:")


def test_file_is_standard_warc(tmp_path):
    with WarcWriter(tmp_path) as w:
        ref = w.write_response("https://t.me/s/chan", 200, {"Content-Encoding": "gzip"}, b"<html></html>", fetched_at=T)
    with open(tmp_path / ref.path, "rb") as fh:
        types = [r.rec_type for r in ArchiveIterator(fh)]
    assert types == ["warcinfo", "response", "request"]
    # each record is its own gzip member, so the file is valid gzip as a whole
    gzip.decompress((tmp_path / ref.path).read_bytes())
    resp = read_response(tmp_path, ref.path, ref.offset)
    assert ("Content-Encoding", "gzip") not in resp.headers
