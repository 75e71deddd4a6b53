"""Test helpers for evidence: a loopback listing site, and listings stored the way the crawl stores them."""
from __future__ import annotations

import datetime as dt
import io
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image as PILImage

from alerts.evidence.hashing import sha256_bytes
from store.listings import upsert_listing
from store.models import Capture, Classification, Image
from store.warc import WarcWriter

LISTING_HTML = """<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1 class="title">{title}</h1><div class="price">{price} ₸</div><p class="text">{text}</p>
<img src="/photo/{pid}.png" alt="фото"><div class="seller">Продавец: Асхат, +7 701 123 4567</div></body></html>"""
SEARCH_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>Поиск: рога сайги</title></head><body>
<a href="/d/{pid}">{title}</a></body></html>"""


def png_bytes(color=(180, 140, 90)) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (64, 48), color).save(buf, "PNG")
    return buf.getvalue()


@dataclass
class Site:
    """A loopback 'marketplace': pages[path] = (status, content_type, body)."""

    pages: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)
    base_url: str = ""

    def listing_page(self, pid: str, title: str, text: str, price: str) -> bytes:
        return LISTING_HTML.format(pid=pid, title=title, text=text, price=price).encode("utf-8")

    def put_listing(self, pid: str, title: str, text: str = "Продаю рога сайги, цена за пару", price: str = "150000"):
        body = self.listing_page(pid, title, text, price)
        self.pages[f"/d/{pid}"] = (200, "text/html; charset=utf-8", body)
        self.pages[f"/photo/{pid}.png"] = (200, "image/png", png_bytes())
        self.pages[f"/search?q={pid}"] = (200, "text/html; charset=utf-8",
                                          SEARCH_HTML.format(pid=pid, title=title).encode("utf-8"))
        return body


def serve(site: Site):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            site.hits.append(self.path)
            status, ctype, body = site.pages.get(self.path, (404, "text/html", b"<h1>Not found</h1>"))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


def store_listing(store, settings, site: Site, pid: str, *, title: str = "Рога сайги, пара",
                  seller: str = "seller-1", flagged: bool = True, score: float = 0.93,
                  now: dt.datetime | None = None, platform: str = "olx", with_photo: bool = True) -> int:
    """A listing as the crawl leaves it: row, WARC captures (page, photo, search page), photo file, classification."""
    now = now or dt.datetime.now(dt.timezone.utc)
    body = site.put_listing(pid, title)
    url = f"{site.base_url}/d/{pid}"
    search_url = f"{site.base_url}/search?q={pid}"
    data_dir = settings.storage.data_path
    with WarcWriter(data_dir) as writer, store.session() as session:
        result = upsert_listing(session, {
            "platform": platform, "platform_listing_id": pid, "url": url, "title": title,
            "text": "Продаю рога сайги, цена за пару. Звоните +77011234567", "price": 150000.0, "currency": "KZT",
            "price_text": "150 000 ₸", "location": "Алматы", "phones": ["+77011234567"], "search_url": search_url,
            "source_name": "olx-kz-ru", "language": "ru", "posted_at": now - dt.timedelta(days=2),
            "seller_platform_id": seller, "seller_name": "Асхат", "seller_url": f"{site.base_url}/u/{seller}",
        }, now=now)
        listing = result.listing
        for kind, u, ctype, data in [("page", url, "text/html; charset=utf-8", body),
                                     ("search", search_url, "text/html; charset=utf-8", site.pages[f"/search?q={pid}"][2])]:
            ref = writer.write_response(u, 200, [("Content-Type", ctype)], data, now)
            session.add(Capture(listing_id=listing.id if kind == "page" else None, kind=kind, url=u, status_code=200,
                                content_type=ctype, warc_path=ref.path, warc_offset=ref.offset, warc_length=ref.length,
                                warc_record_id=ref.record_id, sha256=ref.sha256, fetched_at=now))
        if with_photo:
            photo = site.pages[f"/photo/{pid}.png"][2]
            photo_url = f"{site.base_url}/photo/{pid}.png"
            ref = writer.write_response(photo_url, 200, [("Content-Type", "image/png")], photo, now)
            session.add(Capture(listing_id=listing.id, kind="image", url=photo_url, status_code=200,
                                content_type="image/png", warc_path=ref.path, warc_offset=ref.offset,
                                warc_length=ref.length, warc_record_id=ref.record_id, sha256=ref.sha256, fetched_at=now))
            rel = Path("images") / f"{pid}.png"
            (data_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (data_dir / rel).write_bytes(photo)
            session.add(Image(listing_id=listing.id, url=photo_url, sha256=sha256_bytes(photo), path=rel.as_posix(),
                              width=64, height=48, fetched_at=now))
        session.add(Classification(listing_id=listing.id, content_hash=listing.content_hash, model_version="test-1.0",
                                   score=score, flagged=flagged, language="ru", intent="sell", category="horn",
                                   matched_terms=["рога сайги"],
                                   explanation={"matches": [{"term": "рога сайги", "role": "product", "start": 0,
                                                             "end": 10, "field": "title"}],
                                                "summary": "название товара: «рога сайги»; намерение: продажа"},
                                   created_at=now))
        session.flush()
        return listing.id
