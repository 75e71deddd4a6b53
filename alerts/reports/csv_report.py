"""The report as one CSV: a 'section' column names the table, then the table's own columns, one row per line."""
from __future__ import annotations

import csv
import io

from alerts.reports.data import ReportData
from alerts.reports.tables import build_tables


def render_csv(data: ReportData, t) -> bytes:
    """UTF-8 with BOM (so spreadsheet programs detect the Cyrillic); sections separated by their header rows."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "period_from", "period_to", "base_currency"])
    w.writerow(["report", data.date_from.isoformat(), data.date_to.isoformat(), data.base_currency])
    for table in build_tables(data, t):
        w.writerow([])
        w.writerow(["section", *(h or ("key" if i == 0 else "value") for i, h in enumerate(table.headers))])
        for row in table.rows:
            w.writerow([table.key, *row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
