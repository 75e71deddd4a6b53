"""Optional OCR of downloaded listing photos with Tesseract; text kept in Image.ocr_text and Listing.ocr_text.

Switched on by `crawl.ocr: true` (languages in `crawl.ocr_languages`, default "rus+kaz+chi_sim").
When it is off this module is never imported: crawler.settings only adds OcrPipeline to the item
pipelines when the option is on.
"""
from __future__ import annotations

import asyncio
import functools
import io
import logging
import shutil
import subprocess
from pathlib import Path

from scrapy.exceptions import NotConfigured
from sqlalchemy import select

from crawler import runtime
from crawler.contacts import extract_contacts
from crawler.items import ListingItem
from crawler.pipelines.store import store_runtime
from store.models import Image, Listing

log = logging.getLogger("saigawatch.crawler.ocr")

DEFAULT_LANGUAGES = "rus+kaz+chi_sim"
TIMEOUT_S = 60
MIN_SIDE = 900  # small photos are enlarged before OCR: Tesseract reads ~20 px high glyphs best
MAX_PIXELS = 40_000_000


class OcrUnavailable(RuntimeError):
    """Tesseract, or the language data asked for, is not installed."""


def tesseract_path() -> str | None:
    return shutil.which("tesseract")


@functools.lru_cache(maxsize=4)
def installed_languages(binary: str | None = None) -> frozenset[str]:
    """Language packs Tesseract reports (`tesseract --list-langs`)."""
    binary = binary or tesseract_path()
    if not binary:
        return frozenset()
    out = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30)
    lines = (out.stdout or out.stderr).splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip())


def usable_languages(wanted: str = DEFAULT_LANGUAGES) -> str:
    """The installed subset of a "rus+kaz+chi_sim" spec; OcrUnavailable when nothing of it is there."""
    if not tesseract_path():
        raise OcrUnavailable("tesseract is not installed (Debian: apt-get install tesseract-ocr tesseract-ocr-rus "
                             "tesseract-ocr-kaz tesseract-ocr-chi-sim)")
    have = installed_languages()
    langs = [lang for lang in wanted.split("+") if lang]
    missing = [lang for lang in langs if lang not in have]
    usable = [lang for lang in langs if lang in have]
    if missing:
        log.warning("OCR language data missing: %s (Debian packages tesseract-ocr-%s)", ", ".join(missing),
                    " tesseract-ocr-".join(m.replace("_", "-") for m in missing))
    if not usable:
        raise OcrUnavailable(f"none of the OCR languages {wanted!r} is installed (have: {', '.join(sorted(have))})")
    return "+".join(usable)


def _prepare(image: bytes) -> bytes:
    """Greyscale PNG, enlarged when small, for Tesseract."""
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(image)) as img:
        if img.width * img.height > MAX_PIXELS:
            raise ValueError(f"image too large for OCR ({img.width}x{img.height})")
        img = img.convert("L")
        short = min(img.width, img.height)
        if short < MIN_SIDE:
            factor = min(3.0, MIN_SIDE / max(short, 1))
            img = img.resize((int(img.width * factor), int(img.height * factor)), PILImage.LANCZOS)
        out = io.BytesIO()
        img.save(out, "PNG")
        return out.getvalue()


def ocr_image(image: bytes | Path, languages: str = DEFAULT_LANGUAGES, timeout: float = TIMEOUT_S) -> str:
    """The text Tesseract reads in one image (bytes or a file path), whitespace tidied; '' when none."""
    data = Path(image).read_bytes() if isinstance(image, (str, Path)) else image
    binary = tesseract_path()
    if not binary:
        raise OcrUnavailable("tesseract is not installed")
    png = _prepare(data)
    proc = subprocess.run([binary, "stdin", "stdout", "-l", languages, "--psm", "3"], input=png,
                          capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"tesseract failed ({proc.returncode}): {proc.stderr.decode('utf-8', 'replace')[:300]}")
    text = proc.stdout.decode("utf-8", errors="replace")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


class OcrPipeline:
    """After the photos of a stored listing are downloaded, OCR them and keep the text apart from the post text.

    Image.ocr_text gets each photo's text (the same photo, by sha256, is read once); Listing.ocr_text gets
    them joined; phones and handles found only in photos are added to the listing and noted in
    Listing.extra["ocr_contacts"].
    """

    def __init__(self, crawler, rt: runtime.CrawlRuntime, languages: str):
        self.crawler = crawler
        self.rt = rt
        self.languages = languages

    @classmethod
    def from_crawler(cls, crawler):
        rt = store_runtime(crawler)
        wanted = crawler.settings.get("SAIGAWATCH_OCR_LANGUAGES", DEFAULT_LANGUAGES)
        try:
            languages = usable_languages(wanted)
        except OcrUnavailable as exc:
            log.warning("OCR is on in the config but unavailable: %s; photos are not read", exc)
            raise NotConfigured(str(exc)) from None
        return cls(crawler, rt, languages)

    async def process_item(self, item, spider=None):
        if not isinstance(item, ListingItem) or not item.photo_urls:
            return item
        listing_id = item.__dict__.get("_sw_listing_id")
        if listing_id is None:
            return item
        await asyncio.to_thread(self.ocr_listing, listing_id)
        return item

    def ocr_listing(self, listing_id: int) -> str | None:
        """OCR the not-yet-read photos of one listing and refresh Listing.ocr_text; returns it."""
        stats = self.crawler.stats if self.crawler is not None else None
        with self.rt.store.session() as session:
            rows = session.scalars(select(Image).where(Image.listing_id == listing_id, Image.path.is_not(None),
                                                       Image.error.is_(None)).order_by(Image.id)).all()
            for row in rows:
                if row.ocr_text is not None:
                    continue
                same = session.scalars(select(Image.ocr_text).where(Image.sha256 == row.sha256, Image.ocr_text.is_not(None))
                                       .limit(1)).first() if row.sha256 else None
                if same is not None:
                    row.ocr_text = same
                    continue
                try:
                    row.ocr_text = ocr_image(self.rt.data_dir / row.path, self.languages)
                    if stats:
                        stats.inc_value("ocr/images")
                except (OSError, ValueError, RuntimeError, subprocess.TimeoutExpired) as exc:
                    log.warning("OCR failed for image %s (%s): %s", row.id, row.url, exc)
                    if stats:
                        stats.inc_value("ocr/failed")
            texts = [r.ocr_text for r in rows if r.ocr_text]
            listing = session.get(Listing, listing_id)
            if listing is None:
                return None
            listing.ocr_text = "\n\n".join(texts) if texts else None
            if texts:
                found = extract_contacts(listing.ocr_text, listing.language)
                new_phones = [p for p in found.phones if p not in (listing.phones or [])]
                new_handles = [h for h in found.handles if h not in (listing.handles or [])]
                if new_phones or new_handles:
                    listing.phones = list(listing.phones or []) + new_phones
                    listing.handles = list(listing.handles or []) + new_handles
                    listing.extra = {**(listing.extra or {}), "ocr_contacts": {"phones": found.phones, "handles": found.handles}}
                    if stats:
                        stats.inc_value("ocr/contacts_found", len(new_phones) + len(new_handles))
            return listing.ocr_text
