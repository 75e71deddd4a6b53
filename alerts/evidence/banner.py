"""Put a banner with the URL and the UTC capture time above a screenshot, so both are visible in the image."""
from __future__ import annotations

import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

from alerts import fonts

def _font(size: int):
    try:
        return ImageFont.truetype(str(fonts.find("DejaVuSans.ttf")), size)
    except fonts.FontMissing:
        return ImageFont.load_default()


def add_banner(png: bytes, lines: list[str], max_height: int | None = None) -> tuple[bytes, bool]:
    """A new PNG: banner lines on a dark strip, then the screenshot; cut at max_height (returns whether it was)."""
    shot = Image.open(io.BytesIO(png))
    if shot.mode != "RGB":  # Chromium's PNGs are RGB already: no copy then
        shot = shot.convert("RGB")
    cut = False
    if max_height and shot.height > max_height:
        shot = shot.crop((0, 0, shot.width, max_height))
        cut = True
    font = _font(15)
    chars = max(40, shot.width // 9)
    wrapped = [w for line in lines for w in (textwrap.wrap(line, chars, break_long_words=True) or [""])]
    line_h = 21
    height = 12 + line_h * len(wrapped)
    out = Image.new("RGB", (shot.width, shot.height + height), "white")
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, 0, shot.width, height - 1), fill=(25, 32, 45))
    for i, text in enumerate(wrapped):
        draw.text((10, 6 + i * line_h), text, font=font, fill=(255, 230, 120) if i == 0 else (255, 255, 255))
    out.paste(shot, (0, height))
    buf = io.BytesIO()
    out.save(buf, "PNG", optimize=False, compress_level=1)  # lossless all the same; level 6 costs 3x the CPU
    return buf.getvalue(), cut
