"""Period reports for NGOs' national reports: figures from the store, charts with matplotlib, HTML, PDF or CSV."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from alerts.reports.data import ReportData, ReportError, build_report
from alerts.reports.labels import labeller
from config import Settings

FORMATS = ("html", "pdf", "csv")


def render_report(data: ReportData, fmt: str, language: str = "ru") -> bytes:
    """Lay out a report in one of FORMATS."""
    t = labeller(language)
    if fmt == "html":
        from alerts.reports.html_report import render_html

        return render_html(data, t)
    if fmt == "pdf":
        from alerts.reports.pdf_report import render_pdf

        return render_pdf(data, t)
    if fmt == "csv":
        from alerts.reports.csv_report import render_csv

        return render_csv(data, t)
    raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")


def make_report(session: Session, settings: Settings, date_from: dt.date, date_to: dt.date, fmt: str,
                language: str | None = None) -> bytes:
    """Figures for the period, rendered."""
    data = build_report(session, settings, date_from, date_to)
    return render_report(data, fmt, language or settings.reports.language)


__all__ = ["FORMATS", "ReportData", "ReportError", "build_report", "make_report", "render_report"]
