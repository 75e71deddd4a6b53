"""Download listing photos once, keep them under data_dir/images with sha256 and a perceptual hash."""
from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

from scrapy.exceptions import NotConfigured
from scrapy.http import Request
from sqlalchemy import select

from crawler import runtime
from crawler.pipelines.store import store_runtime
from crawler.items import ListingItem
from store.listings import sha256_of
from store.models import Image
from store.work import PHOTOS, settle

log = logging.getLogger("saigawatch.crawler")

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp"}


def hash_image(body: bytes) -> dict:
    """sha256, perceptual hash, size and format of an image; `error` when it is not a readable image."""
    import imagehash
    from PIL import Image as PILImage, UnidentifiedImageError

    out: dict = {"sha256": sha256_of(body), "phash": None, "width": None, "height": None, "ext": "bin", "error": None}
    try:
        with PILImage.open(io.BytesIO(body)) as img:
            if img.width * img.height > 80_000_000:
                out["error"] = f"image too large to hash ({img.width}x{img.height})"
                return out
            img.load()
            out.update(width=img.width, height=img.height, ext=EXTENSIONS.get(img.format or "", "bin"))
            out["phash"] = str(imagehash.phash(img))
    except (UnidentifiedImageError, OSError, ValueError, PILImage.DecompressionBombError) as exc:
        out["error"] = f"not a readable image: {exc}"
    return out


class ImagesPipeline:
    """For each stored listing, fetch its photo URLs (up to crawl.max_photos_per_listing) through Scrapy."""

    def __init__(self, crawler, rt: runtime.CrawlRuntime):
        self.crawler = crawler
        self.rt = rt
        self.max_bytes = crawler.settings.getint("SAIGAWATCH_MAX_IMAGE_BYTES", 8_000_000)
        self.max_photos = crawler.settings.getint("SAIGAWATCH_MAX_PHOTOS", 10)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("SAIGAWATCH_DOWNLOAD_IMAGES", True):
            raise NotConfigured("photo download is off (crawl.download_images)")
        return cls(crawler, store_runtime(crawler))

    async def process_item(self, item, spider=None):
        if not isinstance(item, ListingItem) or not item.photo_urls or self.max_photos <= 0:
            return item
        listing_id = item.__dict__.get("_sw_listing_id")
        if listing_id is None:
            return item
        with self.rt.store.session() as session:
            done = set(session.scalars(select(Image.url).where(Image.listing_id == listing_id,
                                                                Image.sha256.is_not(None))))
        retry_later = False
        for url in list(dict.fromkeys(item.photo_urls))[: self.max_photos]:
            if url in done:
                continue
            retry_later |= await self._fetch(listing_id, url)
        if not retry_later:  # every photo stored, or refused for good (4xx, not an image)
            with self.rt.store.session() as session:
                settle(session, PHOTOS, [listing_id])
        return item

    async def _fetch(self, listing_id: int, url: str) -> bool:
        """Fetch and store one photo; True when it failed in a way worth retrying in the next crawl."""
        stats = self.crawler.stats
        request = Request(url, meta={"sw_kind": "image", "download_maxsize": self.max_bytes,
                                     "download_warnsize": self.max_bytes, "handle_httpstatus_all": True},
                          dont_filter=True)
        values: dict = {"fetched_at": self.rt.clock.now()}
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as exc:  # noqa: BLE001 - a failed photo is recorded on its Image row
            values["error"] = f"download failed: {type(exc).__name__}: {exc}"[:500]
            response = None
        if response is not None:
            if response.status != 200:
                values["error"] = f"HTTP {response.status}"
            else:
                info = await asyncio.to_thread(hash_image, response.body)
                values.update(sha256=info["sha256"], phash=info["phash"], width=info["width"],
                              height=info["height"], error=info["error"])
                rel = Path("images") / info["sha256"][7:9] / f"{info['sha256'][7:]}.{info['ext']}"
                full = self.rt.data_dir / rel
                if not full.exists():
                    full.parent.mkdir(parents=True, exist_ok=True)
                    tmp = full.with_suffix(full.suffix + ".part")
                    tmp.write_bytes(response.body)
                    tmp.replace(full)
                values["path"] = str(rel)
        stats.inc_value("images/failed" if values.get("error") else "images/stored")
        transient = response is None or response.status >= 500 or response.status == 429
        with self.rt.store.session() as session:
            row = session.scalars(select(Image).where(Image.listing_id == listing_id, Image.url == url)).one_or_none()
            if row is None:
                row = Image(listing_id=listing_id, url=url)
                session.add(row)
            for key, value in values.items():
                setattr(row, key, value)
        return transient
