"""One font lookup for the case report, the periodic report and screenshot banners."""
from __future__ import annotations

import pytest
from fpdf import FPDF

from alerts import fonts


def test_dejavu_is_found_and_registered_with_the_chinese_fallback():
    assert fonts.find("DejaVuSans.ttf").is_file()
    pdf = FPDF()
    fonts.register(pdf, family="DejaVu", mono=None, cjk_required=False)
    pdf.add_page()
    pdf.set_font("DejaVu", size=10)
    pdf.cell(text="Киік мүйізі 羚羊角")
    assert pdf.output().startswith(b"%PDF")


def test_a_missing_font_names_the_debian_package():
    with pytest.raises(fonts.FontMissing, match="fonts-dejavu-core"):
        fonts.find("NoSuchFont.ttf")
