"""Server-side SVG bar charts (no JavaScript, no CDN); every label is escaped."""
from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#c2410c", "#0f766e", "#6d28d9", "#a16207")


def bar_chart(rows: list[tuple[str, list[float]]], series: list[str], title: str,
              width: int = 720, bar_height: int = 16) -> Markup:
    """Horizontal grouped bars: one row per label, one bar per series, with values and a legend."""
    label_w, value_w, gap = 150, 48, 10
    group_h = bar_height * len(series) + gap
    legend_h = 24
    height = legend_h + max(1, len(rows)) * group_h + 8
    peak = max([v for _, values in rows for v in values] + [1])
    plot_w = width - label_w - value_w
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
           f'width="100%" aria-label="{escape(title)}"><title>{escape(title)}</title>']
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
