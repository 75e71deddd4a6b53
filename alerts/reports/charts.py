"""Report charts drawn with matplotlib's Agg backend (no display, no network), as PNG bytes or inline SVG."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from alerts.reports.data import CountRow, ReportData  # noqa: E402

COLORS = {"detected": "#9db4c8", "flagged": "#e3a33b", "confirmed": "#b6392b"}
plt.rcParams.update({"font.family": "DejaVu Sans", "svg.fonttype": "path", "figure.dpi": 100})


def _bars(rows: list[CountRow], title: str, t, rotate: bool = False):
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    keys = [r.key for r in rows] or ["—"]
    x = range(len(keys))
    width = 0.27
    for i, metric in enumerate(("detected", "flagged", "confirmed")):
        values = [getattr(r, metric) for r in rows] or [0]
        ax.bar([p + (i - 1) * width for p in x], values, width, label=t(metric), color=COLORS[metric])
    ax.set_xticks(list(x))
    ax.set_xticklabels(keys, rotation=45 if rotate else 0, ha="right" if rotate else "center", fontsize=8)
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def _intent(data: ReportData, t):
    fig, ax = plt.subplots(figsize=(7.5, 2.6))
    kinds = ["sell", "buy", "other"]
    groups = ["flagged", "confirmed"]
    left = [0, 0]
    colors = {"sell": "#b6392b", "buy": "#3b6ea5", "other": "#bbbbbb"}
    for kind in kinds:
        values = [data.intent.get(g, {}).get(kind, 0) for g in groups]
        ax.barh([t(g) for g in groups], values, left=left, label=t(kind), color=colors[kind])
        left = [a + b for a, b in zip(left, values)]
    ax.set_title(t("intent"), fontsize=11)
    ax.legend(fontsize=8, frameon=False, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def figures(data: ReportData, t) -> dict[str, object]:
    """The report's figures by name (callers close them with `close_all`)."""
    return {
        "by_month": _bars(data.by_month, t("by_month"), t, rotate=len(data.by_month) > 6),
        "by_platform": _bars(data.by_platform, t("by_platform"), t),
        "intent": _intent(data, t),
    }


def to_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150)
    return buf.getvalue()


def to_svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype for inline use


def close_all(figs: dict[str, object]) -> None:
    for fig in figs.values():
        plt.close(fig)
