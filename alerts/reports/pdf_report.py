"""The report as PDF (fpdf2) with embedded DejaVu fonts for Cyrillic and Kazakh, WenQuanYi as fallback for Chinese."""
from __future__ import annotations

import io

from fpdf import FPDF
from fpdf.fonts import FontFace

from alerts import fonts
from alerts.reports import charts
from alerts.reports.data import ReportData, ReportError
from alerts.reports.tables import build_tables

class _ReportPDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=7)
        self.set_text_color(120)
        self.cell(0, 6, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def render_pdf(data: ReportData, t) -> bytes:
    pdf = _ReportPDF(orientation="P", unit="mm", format="A4")
    pdf.footer_text = f"SaigaWatch · {data.period}"
    pdf.set_auto_page_break(True, margin=15)
    try:
        fonts.register(pdf, family="DejaVu", mono=None, cjk_required=False)
    except fonts.FontMissing as exc:
        raise ReportError(str(exc)) from None
    pdf.set_title(t("title"))
    pdf.set_author("SaigaWatch")
    pdf.set_creation_date(data.generated_at)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, t("title"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 7, f"{t('period')}: {data.period}   ·   {t('generated')}: {data.generated_at.strftime('%Y-%m-%d %H:%M UTC')}",
             new_x="LMARGIN", new_y="NEXT")
    figs = charts.figures(data, t)
    try:
        pngs = {name: charts.to_png(fig) for name, fig in figs.items()}
    finally:
        charts.close_all(figs)
    for table in build_tables(data, t):
        if table.key == "appeals_by_status":
            continue
        pdf.ln(3)
        if pdf.get_y() > 245:  # keep a heading with what follows it
            pdf.add_page()
        pdf.set_font("DejaVu", "B", 12)
        pdf.cell(0, 8, table.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8)
        if table.chart:
            if pdf.get_y() > 190:
                pdf.add_page()
            pdf.image(io.BytesIO(pngs[table.chart]), w=180)
        if table.key == "prices":
            pdf.multi_cell(0, 4, t("prices_note", cur=data.base_currency, g=data.grams_per_horn), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        if table.key == "appeals" and data.appeals_by_status:
            pdf.cell(0, 5, " · ".join(f"{k}: {v}" for k, v in data.appeals_by_status.items()), new_x="LMARGIN", new_y="NEXT")
        if not table.rows:
            pdf.cell(0, 5, t("none"), new_x="LMARGIN", new_y="NEXT")
            continue
        with pdf.table(headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)), line_height=4.2,
                       text_align="LEFT", first_row_as_headings=bool(any(table.headers))) as pdf_table:
            if any(table.headers):
                pdf_table.row([h for h in table.headers])
            for row in table.rows:
                pdf_table.row([c for c in row])
    return bytes(pdf.output())
