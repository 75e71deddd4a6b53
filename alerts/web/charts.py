"""Server-side SVG bar charts (no JavaScript, no CDN); every label is escaped."""
from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#c2410c", "#0f766e", "#6d28d9", "#a16207")


def bar_chart(rows: list[tuple[str, list[float]]], series: list[str], title: str,
              width: int = 520, bar_height: int = 16) -> Markup:
    """Horizontal grouped bars: one row per label, one bar per series, with values and a legend."""
    label_w, value_w, gap = 110, 48, 10
    group_h = bar_height * len(series) + gap
    legend_h = 24
    height = legend_h + max(1, len(rows)) * group_h + 8
    peak = max([v for _, values in rows for v in values] + [1])
    plot_w = width - label_w - value_w
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    x = label_w
    for i, name in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 16}" y="14" font-size="12">{escape(name)}</text>')
        x += 30 + 8 * len(name)
    if not rows:
        out.append(f'<text x="{label_w}" y="{legend_h + 14}" font-size="12" fill="#666">—</text>')
    for r, (label, values) in enumerate(rows):
        y0 = legend_h + r * group_h
        out.append(f'<text x="{label_w - 8}" y="{y0 + group_h / 2}" font-size="12" text-anchor="end" '
                   f'dominant-baseline="middle">{escape(label)}</text>')
        for i, value in enumerate(values):
            w = 0 if peak == 0 else plot_w * value / peak
            y = y0 + i * bar_height
            out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_height - 3}" '
                       f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {value:g}</title></rect>'
                       f'<text x="{label_w + w + 4:.1f}" y="{y + bar_height / 2}" font-size="11" '
                       f'dominant-baseline="middle">{value:g}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def column_chart(columns: list[tuple[str, list[float]]], series: list[str], title: str,
                 width: int = 900, height: int = 240) -> Markup:
    """Vertical grouped columns (e.g. one group per week), values above the columns, a legend on top."""
    top, bottom, left = 34, 26, 8
    plot_h = height - top - bottom
    peak = max([v for _, values in columns for v in values] + [1])
    group_w = (width - left) / max(1, len(columns))
    bar_w = max(4.0, min(28.0, (group_w - 10) / max(1, len(series))))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    x = left
    for i, name in enumerate(series):
        out.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{x + 16}" y="16" font-size="12">{escape(name)}</text>')
        x += 30 + 8 * len(name)
    base_y = top + plot_h
    out.append(f'<line x1="{left}" y1="{base_y}" x2="{width}" y2="{base_y}" stroke="#d6d3cc"/>')
    for g, (label, values) in enumerate(columns):
        gx = left + g * group_w + (group_w - bar_w * len(values)) / 2
        for i, value in enumerate(values):
            h = plot_h * value / peak
            bx = gx + i * bar_w
            out.append(f'<rect x="{bx:.1f}" y="{base_y - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                       f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {value:g}</title></rect>')
            if value:
                out.append(f'<text x="{bx + (bar_w - 2) / 2:.1f}" y="{base_y - h - 3:.1f}" font-size="10" '
                           f'text-anchor="middle">{value:g}</text>')
        out.append(f'<text x="{left + g * group_w + group_w / 2:.1f}" y="{height - 8}" font-size="11" '
                   f'text-anchor="middle" fill="#555">{escape(label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
