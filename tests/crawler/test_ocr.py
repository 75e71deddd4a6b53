"""OCR of photos with Tesseract on images rendered by the test with Pillow and DejaVu Sans."""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from config.schema import CrawlSettings, SourceSettings
from crawler import ocr
from crawler.settings import source_settings

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
needs_tesseract = pytest.mark.skipif(ocr.tesseract_path() is None or not FONT.exists(),
                                     reason="tesseract-ocr or fonts-dejavu-core is not installed (.ci/install-system-packages)")


CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def render(lines: list[str], size: tuple[int, int] = (900, 360), font_size: int = 40, font_path: Path = FONT) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", size, (245, 240, 228))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(font_path), font_size)
    for n, line in enumerate(lines):
        draw.text((30, 30 + n * (font_size + 24)), line, fill=(15, 15, 15), font=font)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


@needs_tesseract
def test_russian_words_and_phone_are_read():
    text = ocr.ocr_image(render(["Продам рога сайги", "Звоните +7 701 234 56 78"]), "rus")
    assert "рога" in text.lower() and "сайги" in text.lower()
    from crawler.contacts import extract_phones

    assert extract_phones(text) == ["+77012345678"]


@needs_tesseract
def test_kazakh_words_and_phone_are_read():
    text = ocr.ocr_image(render(["Киік мүйізі сатылады", "Тел: +7 777 123 45 67"]), "kaz")
    assert "мүйізі" in text
    from crawler.contacts import extract_phones

    assert extract_phones(text) == ["+77771234567"]


@needs_tesseract
@pytest.mark.skipif(not CJK_FONT.exists(), reason="fonts-wqy-microhei is not installed")
def test_chinese_offer_and_phone_are_read():
    text = ocr.ocr_image(render(["出售羚羊角", "电话 138 1234 5678"], size=(1000, 320), font_size=80,
                                font_path=CJK_FONT), "chi_sim")
    assert "出售" in text
    from crawler.contacts import extract_phones

    assert extract_phones(text, ["CN"]) == ["+8613812345678"]


@needs_tesseract
def test_small_photo_is_enlarged_before_reading(tmp_path):
    path = tmp_path / "small.jpg"
    path.write_bytes(render(["8 777 123 45 67"], size=(330, 70), font_size=22))
    text = ocr.ocr_image(path, "rus")
    assert "777" in text and "45" in text


@needs_tesseract
def test_blank_photo_gives_empty_text():
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 200, 200)).save(out, "PNG")
    assert ocr.ocr_image(out.getvalue(), "rus") == ""


@needs_tesseract
def test_usable_languages_drops_missing_packs():
    assert ocr.usable_languages("rus+xx_missing") == "rus"
    with pytest.raises(ocr.OcrUnavailable):
        ocr.usable_languages("xx_missing")


def test_not_an_image_is_a_clear_error():
    with pytest.raises(Exception):
        ocr.ocr_image(b"not an image", "rus")


def test_off_means_no_pipeline_and_no_import():
    source = SourceSettings(name="t", platform="telegram", channels=["abcde"])
    off = source_settings(CrawlSettings(ocr=False), source)
    on = source_settings(CrawlSettings(ocr=True, ocr_languages="rus+kaz"), source)
    assert "crawler.ocr.OcrPipeline" not in {**off["ITEM_PIPELINES"], **off.get("ITEM_PIPELINES_BASE", {})}
    assert on["ITEM_PIPELINES_BASE"] == {"crawler.ocr.OcrPipeline": 350}
    assert on["SAIGAWATCH_OCR_LANGUAGES"] == "rus+kaz"
    # Building the crawl settings with OCR off never imports the OCR module.
    code = ("import sys; from config.schema import CrawlSettings, SourceSettings; from crawler.settings import source_settings; "
            "import crawler.spiders.telegram; "
            "source_settings(CrawlSettings(ocr=False), SourceSettings(name='t', platform='telegram', channels=['abcde'])); "
            "print('crawler.ocr' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "False"
