"""Fonts for every PDF and image SaigaWatch draws: DejaVu (Cyrillic incl. Kazakh letters), WenQuanYi for Chinese; all local."""
from __future__ import annotations

from pathlib import Path

DEJAVU_DIRS = [Path("/usr/share/fonts/truetype/dejavu")]
CJK = [Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")]


class FontMissing(Exception):
    """A font needed for a report is not installed."""


def _matplotlib_fonts() -> Path | None:
    try:
        import matplotlib

        return Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    except Exception:  # noqa: BLE001 - matplotlib is only a fallback source of DejaVu
        return None


def find(name: str) -> Path:
    """A DejaVu font file by name, from the Debian package or, failing that, the copy bundled with matplotlib."""
    dirs = list(DEJAVU_DIRS)
    extra = _matplotlib_fonts()
    if extra:
        dirs.append(extra)
    for d in dirs:
        if (d / name).is_file():
            return d / name
    raise FontMissing(f"font {name} not found in {', '.join(map(str, dirs))}: install the Debian package fonts-dejavu-core")


def cjk_font() -> Path:
    """The installed Chinese font (WenQuanYi Micro Hei, else Zen Hei)."""
    found = next((p for p in CJK if p.is_file()), None)
    if found is None:
        raise FontMissing(f"Chinese font {CJK[0]} not found: install the Debian package fonts-wqy-microhei")
    return found


def register(pdf, family: str = "Sans", mono: str | None = "Mono", cjk_required: bool = True) -> None:
    """Add the fonts to an FPDF document: `family` regular and bold, `mono` (unless None), and Chinese as the
    fallback (a missing Chinese font is an error only when `cjk_required`)."""
    pdf.add_font(family, "", str(find("DejaVuSans.ttf")))
    pdf.add_font(family, "B", str(find("DejaVuSans-Bold.ttf")))
    if mono:
        pdf.add_font(mono, "", str(find("DejaVuSansMono.ttf")))
    try:
        cjk = cjk_font()
    except FontMissing:
        if cjk_required:
            raise
        return
    pdf.add_font("CJK", "", str(cjk), collection_font_number=0)
    pdf.set_fallback_fonts(["CJK"], exact_match=False)
