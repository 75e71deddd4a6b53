"""Reports: the figures per platform, country, language and month, prices, repeat sellers, appeals; HTML, PDF, CSV."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zlib

import pytest
from click.testing import CliRunner

from alerts.reports import build_report, render_report
from alerts.reports.prices import normalise, price_unit
from config import load_config
from saigawatch.cli import app
from store import Store
from store.models import Appeal, Listing
from tests.ops_support import add_listing, add_review, ops_settings

D = lambda *a: dt.datetime(*a, tzinfo=dt.timezone.utc)  # noqa: E731


def _populate(session):
    """Two months, three platforms, sell and buy ads, a repeat seller with one phone, two appeals."""
    a = add_listing(session, "a1", "Продам рога сайги", score=0.9, flagged=True, intent="sell", seen=D(2026, 1, 10),
                    price=5000, currency="KZT", price_text="5 000 ₸ за грамм", seller="s1", source_name="olx-kz-ru")
    b = add_listing(session, "a2", "Рога сайги пара", score=0.8, flagged=True, intent="sell", seen=D(2026, 1, 20),
                    price=1_000_000, currency="KZT", price_text="1 000 000 ₸ за пару", seller="s1", source_name="olx-kz-ru")
    c = add_listing(session, "k1", "Киік мүйізін сатып аламын", score=0.7, flagged=True, intent="buy", seen=D(2026, 2, 3),
                    source_name="olx-kz-kk", language="kk")
    d = add_listing(session, "x1", "羚羊角 每克 30元", score=0.95, flagged=True, intent="sell", seen=D(2026, 2, 5),
                    platform="xianyu", price=30, currency="CNY", language="zh", source_name="xianyu-zh", seller="卖家一")
    e = add_listing(session, "v1", "Рог антилопы", score=0.6, flagged=True, intent="sell", seen=D(2026, 2, 6),
                    platform="avito", price=40000, currency="RUB", source_name="avito-ru")
    add_listing(session, "n1", "Карабин Сайга-12", score=0.1, seen=D(2026, 1, 11))
    add_listing(session, "n2", "Сувенир", score=0.2, seen=D(2026, 2, 11), platform="avito", source_name="avito-ru")
    add_listing(session, "old", "Рога сайги", score=0.9, flagged=True, seen=D(2025, 12, 31))  # outside the period
    for listing, phone in ((a, "+77011234567"), (c, "+77011234567"), (e, "+79161234567")):
        session.get(Listing, listing.id).phones = [phone]
    add_review(session, a, "sale", D(2026, 1, 11))
    add_review(session, c, "buy", D(2026, 2, 4))
    add_review(session, e, "not_trade", D(2026, 2, 7))
    session.add(Appeal(case_name="OLX-2026-01", country="KZ", status="case_opened", registration_number="ЕРДР 26-001",
                       created_at=D(2026, 1, 12), submitted_at=D(2026, 1, 13), outcome="дело возбуждено",
                       listings=[session.get(Listing, a.id), session.get(Listing, b.id)]))
    session.add(Appeal(case_name="OLX-2026-02", country="KZ", status="refused", created_at=D(2026, 2, 5),
                       submitted_at=D(2026, 2, 6), outcome="отказ", listings=[session.get(Listing, c.id)]))
    session.add(Appeal(case_name="old", country="RU", status="submitted", created_at=D(2025, 5, 1), submitted_at=D(2025, 5, 2)))
    session.flush()
    return a, b, c, d, e


def _settings(tmp_path):
    return ops_settings(tmp_path, sources=[
        {"name": "olx-kz-ru", "platform": "olx", "site": "kz", "queries": ["рога сайги"]},
        {"name": "olx-kz-kk", "platform": "olx", "site": "kz", "queries": ["киік"]},
        {"name": "xianyu-zh", "platform": "xianyu", "queries": ["羚羊角"]},
        {"name": "avito-ru", "platform": "avito", "queries": ["рога сайги"], "country": "RU"},
    ])


def test_figures(store, tmp_path):
    settings = _settings(tmp_path)
    with store.session() as s:
        _populate(s)
        data = build_report(s, settings, dt.date(2026, 1, 1), dt.date(2026, 2, 28))
    assert data.totals == {"detected": 7, "flagged": 5, "confirmed": 2, "not_trade": 1, "unreviewed": 2,
                           "copies_detected": 7, "copies_flagged": 5, "sellers": 2}
    rows = {r.key: (r.detected, r.flagged, r.confirmed) for r in data.by_platform}
    assert rows == {"olx": (4, 3, 2), "xianyu": (1, 1, 0), "avito": (2, 1, 0)}
    assert {r.key: r.detected for r in data.by_country} == {"KZ": 4, "CN": 1, "RU": 2}
    assert {r.key: r.flagged for r in data.by_language} == {"ru": 3, "kk": 1, "zh": 1}
    assert [(r.key, r.detected, r.flagged, r.confirmed) for r in data.by_month] == [("2026-01", 3, 2, 1), ("2026-02", 4, 3, 1)]
    assert data.intent == {"flagged": {"sell": 3, "buy": 1, "other": 0}, "confirmed": {"sell": 1, "buy": 1, "other": 0}}
    prices = {p.key: p for p in data.prices}
    # 5000 KZT/g = 10.5 USD/g; 1e6 KZT per pair = 2100 USD / 500 g = 4.2 USD/g; 30 CNY/g = 4.2 USD/g
    assert prices["all"].n == 3 and prices["all"].median_per_gram == pytest.approx(4.2)
    assert prices["all"].max_per_gram == pytest.approx(10.5) and prices["all"].units == {"gram": 2, "pair": 1}
    assert prices["olx"].median_per_horn == pytest.approx((10.5 + 4.2) / 2 * 250)
    assert data.prices_skipped == {"no_price": 1}
    assert [(r.name, r.listings, r.confirmed) for r in data.repeat_sellers] == [("Seller s1", 2, 1)]
    assert [(c.contact, c.listings, c.platforms) for c in data.repeat_contacts] == [("+77011234567", 2, "olx")]
    assert data.appeals_by_status == {"case_opened": 1, "refused": 1}
    assert [(a.case_name, a.outcome, a.listings) for a in data.appeals] == [("OLX-2026-01", "дело возбуждено", 2),
                                                                            ("OLX-2026-02", "отказ", 1)]


def test_price_units_and_normalisation(tmp_path):
    cfg = ops_settings(tmp_path).reports
    assert price_unit("15 000 тг за 1 гр") == "gram" and price_unit(None, "продам рог, цена за штуку") == "horn"
    assert price_unit("рог весом 300 грамм, цена 50000") is None and price_unit("每斤 800元") == "jin"
    n = normalise(2_000_000, "KZT", "kg", cfg)
    assert n.per_gram == pytest.approx(4.2) and n.per_horn == pytest.approx(1050)
    assert normalise(100, "XYZ", "gram", cfg) is None and normalise(None, "KZT", None, cfg) is None


def _pdf_text_bits(blob: bytes) -> bytes:
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", blob, re.S):
        try:
            out.append(zlib.decompress(m.group(1)))
        except zlib.error:
            out.append(m.group(1))
    return b"\n".join(out)


def test_report_command_all_formats(config_file, tmp_path):
    with open(config_file, "a", encoding="utf-8") as fh:
        fh.write("reports:\n  language: ru\n")
    settings = load_config(config_file)
    store = Store.from_settings(settings)
    store.init()
    with store.session() as s:
        _populate(s)
    store.dispose()
    runner = CliRunner()
    base = ["--config", str(config_file), "report", "--from", "2026-01-01", "--to", "2026-02-28"]

    r = runner.invoke(app, [*base, "--format", "csv", "-o", str(tmp_path / "r.csv")])
    assert r.exit_code == 0, r.output
    assert "7 detected, 5 flagged, 2 confirmed, 2 appeal(s)" in r.output
    rows = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_bytes().decode("utf-8-sig"))))
    assert ["by_month", "2026-02", "4", "3", "1", "4"] in rows  # offers, then the copies behind them
    assert ["by_platform", "olx", "4", "3", "2", "4"] in rows
    assert any(r[:3] == ["appeals", "OLX-2026-01", "KZ"] and "ЕРДР 26-001" in r for r in rows)

    r = runner.invoke(app, [*base, "--format", "html", "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "Обнаружено предложений (дел)" in html and "羚羊角" not in html
    assert "Seller s1" in html and "+77011234567" in html and "дело возбуждено" in html
    assert not re.search(r"(src|href)=['\"]https?://", html)  # nothing loaded from the network

    r = runner.invoke(app, [*base, "--format", "pdf", "-o", str(tmp_path / "r.pdf"), "--language", "en"])
    assert r.exit_code == 0, r.output
    blob = (tmp_path / "r.pdf").read_bytes()
    assert blob.startswith(b"%PDF-") and b"/FontFile2" in blob and b"DejaVuSans" in blob
    streams = _pdf_text_bits(blob)
    assert b"beginbfchar" in streams or b"beginbfrange" in streams  # ToUnicode maps: text stays searchable
    assert b"<0434>" in streams.upper() or b"0434" in streams  # the Cyrillic 'д' of "дело возбуждено" is embedded
    assert blob.count(b"/Subtype /Image") >= 3  # the three charts

    r = runner.invoke(app, [*base[:-4], "--from", "2026-03-01", "--to", "2026-02-01"])
    assert r.exit_code == 1 and "before" in r.output
    r = runner.invoke(app, [*base[:-4], "--from", "2026-13-01", "--to", "2026-02-01"])
    assert r.exit_code == 2 and "expected YYYY-MM-DD" in r.output


def test_empty_period_renders(sqlite_store, tmp_path):
    settings = _settings(tmp_path)
    with sqlite_store.session() as s:
        data = build_report(s, settings, dt.date(2030, 1, 1), dt.date(2030, 1, 31))
    assert data.totals["detected"] == 0 and [r.key for r in data.by_month] == ["2030-01"]
    for fmt in ("html", "pdf", "csv"):
        assert len(render_report(data, fmt, "ru")) > 100


def test_pdf_has_glyphs_for_kazakh_and_chinese(sqlite_store, tmp_path):
    import warnings

    from alerts.reports.data import AppealRow, SellerRow

    settings = _settings(tmp_path)
    with sqlite_store.session() as s:
        data = build_report(s, settings, dt.date(2030, 1, 1), dt.date(2030, 1, 31))
    data.repeat_sellers = [SellerRow("Дәурен Қасымұлы: ә ғ қ ң ө ұ ү һ і", "olx", "+77011234567", 3, 1, "olx", "", ""),
                           SellerRow("卖家一 羚羊角 賽加羚羊", "xianyu", "", 2, 0, "xianyu", "", "")]
    data.appeals = [AppealRow("Іс №1", "KZ", "submitted", "2030-01-02", "", "Қылмыстық іс қозғалды", 1)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        blob = render_report(data, "pdf", "ru")
    assert not [w for w in caught if "glyph" in str(w.message).lower()], [str(w.message) for w in caught]
    assert blob.count(b"/FontFile2") >= 2  # DejaVu plus the CJK fallback, both embedded
