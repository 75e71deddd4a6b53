"""The report as one self-contained HTML file: inline CSS and SVG charts, nothing loaded from the network."""
from __future__ import annotations

from html import escape

from alerts.reports import charts
from alerts.reports.data import ReportData
from alerts.reports.tables import build_tables

CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;color:#222;max-width:960px;margin:2em auto;padding:0 1em;font-size:14px}
h1{font-size:22px}h2{font-size:17px;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f2f2f2}td.n{text-align:right}.note{color:#666;font-size:12px}svg{max-width:100%;height:auto}
"""


def render_html(data: ReportData, t) -> bytes:
    figs = charts.figures(data, t)
    try:
        svgs = {name: charts.to_svg(fig) for name, fig in figs.items()}
    finally:
        charts.close_all(figs)
    e = escape
    out = [f"<!doctype html><html lang='{e(t('_lang'))}'><head><meta charset='utf-8'><title>{e(t('title'))}</title>"
           f"<style>{CSS}</style></head><body>",
           f"<h1>{e(t('title'))}</h1>",
           f"<p>{e(t('period'))}: <b>{e(data.period)}</b> · {e(t('generated'))}: "
           f"{e(data.generated_at.strftime('%Y-%m-%d %H:%M UTC'))}</p>"]
    for table in build_tables(data, t):
        if table.key == "appeals_by_status":
            continue  # shown with the appeals list
        out.append(f"<h2>{e(table.title)}</h2>")
        if table.chart:
            out.append(svgs[table.chart])
        if table.key == "prices":
            out.append(f"<p class='note'>{e(t('prices_note', cur=data.base_currency, g=data.grams_per_horn))}</p>")
        if table.key == "appeals" and data.appeals_by_status:
            out.append("<p>" + " · ".join(f"{e(k)}: <b>{v}</b>" for k, v in data.appeals_by_status.items()) + "</p>")
        if not table.rows:
            out.append(f"<p class='note'>{e(t('none'))}</p>")
            continue
        out.append("<table>")
        if any(table.headers):
            out.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in table.headers) + "</tr>")
        for row in table.rows:
            cells = "".join(f"<td class='n'>{e(c)}</td>" if c.replace(" ", "").replace(".", "").isdigit() else f"<td>{e(c)}</td>"
                            for c in row)
            out.append(f"<tr>{cells}</tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out).encode("utf-8")
