"""The report's tables as (title, headers, rows) — one layout shared by the HTML, PDF and CSV renderers."""
from __future__ import annotations

from dataclasses import dataclass

from alerts.reports.data import CountRow, ReportData


@dataclass
class Table:
    key: str  # stable machine name (CSV 'section')
    title: str
    headers: list[str]
    rows: list[list[str]]
    chart: str | None = None  # name of a chart shown with it


def _money(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:,.2f}".replace(",", " ")


def _skip_label(key: str, t) -> str:
    name, _, currency = key.partition(":")
    return f"{t(name)} {currency}".strip()


def _counts(key: str, title: str, first: str, rows: list[CountRow], t, chart: str | None = None) -> Table:
    return Table(key, title, [first, t("detected"), t("flagged"), t("confirmed"), t("copies")],
                 [[r.key, str(r.detected), str(r.flagged), str(r.confirmed), str(r.copies)] for r in rows], chart)


def build_tables(data: ReportData, t) -> list[Table]:
    cur = data.base_currency
    tables = [
        Table("totals", t("totals"), ["", ""],
              [[t(k), str(data.totals.get(k, 0))] for k in ("detected", "flagged", "confirmed", "not_trade", "unreviewed",
                                                                 "copies_detected", "copies_flagged", "sellers")]),
        _counts("by_month", t("by_month"), t("month"), data.by_month, t, "by_month"),
        _counts("by_platform", t("by_platform"), t("platform"), data.by_platform, t, "by_platform"),
        _counts("by_country", t("by_country"), t("country"), data.by_country, t),
        _counts("by_language", t("by_language"), t("language"), data.by_language, t),
        Table("intent", t("intent"), ["", t("sell"), t("buy"), t("other")],
              [[t(g), *(str(data.intent.get(g, {}).get(k, 0)) for k in ("sell", "buy", "other"))]
               for g in ("flagged", "confirmed")], "intent"),
        Table("prices", t("prices"),
              [t("group"), t("n"), f"{t('median_gram')}, {cur}", f"{t('range_gram')}, {cur}", f"{t('median_horn')}, {cur}",
               t("units")],
              [[t("all") if p.key == "all" else p.key, str(p.n), _money(p.median_per_gram),
                f"{_money(p.min_per_gram)} – {_money(p.max_per_gram)}", _money(p.median_per_horn),
                ", ".join(f"{t('unit_' + u)}: {n}" for u, n in sorted(p.units.items()))] for p in data.prices]
              + ([[t("skipped"), str(sum(data.prices_skipped.values())), "", "", "",
                   ", ".join(f"{_skip_label(k, t)}: {v}" for k, v in sorted(data.prices_skipped.items()))]]
                 if data.prices_skipped else [])),
        Table("repeat_sellers", t("repeat_sellers"),
              [t("seller"), t("platform"), t("contacts"), t("listings"), t("confirmed"), t("platforms"), t("first_seen"),
               t("last_seen")],
              [[s.name, s.platform, s.contacts, str(s.listings), str(s.confirmed), s.platforms, s.first_seen, s.last_seen]
               for s in data.repeat_sellers]),
        Table("repeat_contacts", t("repeat_contacts"), [t("contact"), t("listings"), t("sellers"), t("platforms")],
              [[c.contact, str(c.listings), str(c.sellers), c.platforms] for c in data.repeat_contacts]),
        Table("appeals_by_status", t("appeals"), [t("status"), t("n")],
              [[k, str(v)] for k, v in data.appeals_by_status.items()]),
        Table("appeals", t("appeals"),
              [t("case"), t("country"), t("status"), t("submitted"), t("registration"), t("outcome"), t("listings")],
              [[a.case_name, a.country, a.status, a.submitted, a.registration_number, a.outcome, str(a.listings)]
               for a in data.appeals]),
    ]
    return tables
