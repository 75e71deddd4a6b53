"""WARC records hold each response exactly as the server sent it: status line, every header, framing, encoded body."""
from __future__ import annotations

import gzip
import socket
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from store import Store
from store.models import Capture
from store.warc import read_response

ROOT = Path(__file__).resolve().parents[2]
PAGE = "<html><body><h1>Рога сайги</h1></body></html>".encode()


def _response(path: str) -> bytes:
    body = gzip.compress(PAGE + path.encode(), mtime=0)
    chunks = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:20], body[20:]))
    return (b"HTTP/1.1 200 Fine Thanks\r\n"  # a reason phrase nobody would rebuild
            b"content-type: text/html; charset=utf-8\r\n"  # spelling and order as sent
            b"Set-Cookie: session=abc; Path=/\r\n"
            b"Set-Cookie: region=almaty; Path=/\r\n"
            b"Content-Encoding: gzip\r\n"
            b"Transfer-Encoding: chunked\r\n"
            b"X-Odd:   spaced value\r\n"
            b"\r\n" + chunks + b"0\r\n\r\n")


class RawServer:
    """Answers each request with fixed bytes over keep-alive connections and remembers what it sent per path."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.sent: dict[str, bytes] = {}
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn):
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                path = head.split(b" ")[1].decode()
                out = _response(path)
                self.sent[path] = out
                conn.sendall(out)


def test_stored_record_is_the_bytes_the_server_sent(tmp_path):
    server = RawServer()
    db = f"sqlite:///{tmp_path / 'sw.db'}"
    store = Store(db)
    store.init()
    store.dispose()
    urls = [f"http://127.0.0.1:{server.port}/ad/{n}" for n in (1, 2, 3)]
    proc = subprocess.run([sys.executable, "-m", "tests.crawler.raw_crawl_child", db, str(tmp_path / "var"), *urls],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("Рога сайги") == 3  # parsers still get the decoded page
    store = Store(db)
    with store.session() as session:
        captures = {c.url: c for c in session.scalars(select(Capture))}
    store.dispose()
    assert set(captures) == set(urls)
    data_dir = tmp_path / "var"
    for url in urls:
        path = "/" + url.split("/", 3)[3]
        cap = captures[url]
        member = (data_dir / cap.warc_path).read_bytes()[cap.warc_offset:cap.warc_offset + cap.warc_length]
        block = gzip.decompress(member)
        http = block.split(b"\r\n\r\n", 1)[1]
        assert http == server.sent[path] + b"\r\n\r\n", "the record differs from what the server sent"
        record = read_response(data_dir, cap.warc_path, cap.warc_offset)
        assert record.status == 200 and record.body == PAGE + path.encode()  # warcio de-chunks and decodes
        assert [v for k, v in record.headers if k == "Set-Cookie"] == ["session=abc; Path=/", "region=almaty; Path=/"]
    # every record in every file reads back with warcio, and `warcio check` passes its digests
    files = sorted({c.warc_path for c in captures.values()})
    for rel in files:
        with open(data_dir / rel, "rb") as fh:
            records = list((r.rec_type, r.content_stream().read()) for r in ArchiveIterator(fh))
        assert [t for t, _ in records].count("response") == 3
        check = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", "-v", str(data_dir / rel)],
                               capture_output=True, text=True)
        assert check.returncode == 0 and "digest pass" in check.stdout and "fail" not in check.stdout, check.stdout
