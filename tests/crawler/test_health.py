"""Crawl health: trailing averages, zero yield, yield drops, blocks, markup counters, the CLI table."""
from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner

from crawler.health import health_step, health_table, markup_problems, run_alerts
from saigawatch.cli import app
from tests.ops_support import NOW, add_run, ops_settings


def _history(session, counts, name="olx-kz-ru", **last):
    """Runs one day apart with the given listing counts (oldest first); `last` overrides the newest run."""
    run = None
    for i, n in enumerate(counts):
        spec = {"listings": n}
        if i == len(counts) - 1:
            spec.update(last)
        run = add_run(session, NOW - dt.timedelta(days=len(counts) - 1 - i), {name: spec})
    return run


def test_yield_drop_below_share_of_trailing_average(store, tmp_path):
    settings = ops_settings(tmp_path, health={"trailing_runs": 3, "min_share_of_average": 0.3})
    with store.session() as s:
        run = _history(s, [100, 5, 40, 40, 40, 10])  # trailing 3 ok runs: 40 → 10 is 25 %
        alerts = run_alerts(s, settings, run.id, None)
    assert [a.kind for a in alerts] == ["yield_drop"]
    assert alerts[0].source == "olx-kz-ru" and alerts[0].average == 40
    assert "25%" in alerts[0].message


def test_healthy_source_within_share_raises_nothing(store, tmp_path):
    settings = ops_settings(tmp_path, health={"trailing_runs": 3, "min_share_of_average": 0.3})
    with store.session() as s:
        run = _history(s, [40, 40, 40, 13])  # 32.5 % of 40
        assert run_alerts(s, settings, run.id, None) == []
        row = health_table(s, settings)[0]
    assert row.state == "ok" and round(row.share, 3) == 0.325 and row.trailing_average == 40


def test_zero_yield_alerts_even_without_history(sqlite_store, tmp_path):
    settings = ops_settings(tmp_path)
    with sqlite_store.session() as s:
        run = _history(s, [0])
        alerts = run_alerts(s, settings, run.id, None)
    assert [a.kind for a in alerts] == ["zero_yield"]
    assert "markup may have changed" in alerts[0].message
    with sqlite_store.session() as s:
        run = add_run(s, NOW + dt.timedelta(days=1), {"olx-kz-ru": {"listings": 0, "stats": {"scrapy": {"search/no_results": 2}}}})
        alerts = run_alerts(s, settings, run.id, None)
    assert [a.kind for a in alerts] == ["zero_yield"] and "answered 'no results'" in alerts[0].message


def test_blocked_not_configured_and_markup(sqlite_store, tmp_path):
    settings = ops_settings(tmp_path)
    with sqlite_store.session() as s:
        run = add_run(s, NOW, {
            "olx-kz-ru": {"listings": 12, "stats": {"markup/search/zero_items": 2, "field/price/missing": 3, "item_scraped_count": 12}},
            "olx-kz-kk": {"status": "blocked", "detail": "captcha page", "listings": 0},
            "telegram-channels": {"status": "not_configured", "detail": "no channels", "platform": "telegram"},
        })
        alerts = {(a.source, a.kind) for a in run_alerts(s, settings, run.id, ["olx-kz-ru", "olx-kz-kk", "avito-ru"])}
    assert alerts == {("olx-kz-ru", "markup"), ("olx-kz-kk", "blocked"), ("telegram-channels", "not_configured"),
                      ("avito-ru", "missing")}
    assert markup_problems({"markup/x": 1, "field/price/missing": 2, "field/price/ok": 5, "markup/y": 0}) == \
        {"markup/x": 1, "field/price/missing": 2}
    # as the crawler records them: nested under "scrapy"; a few ads without a price are not a markup change
    nested = {"summary": {}, "scrapy": {"markup/search/zero_items": 1, "field/price/missing": 4}}
    assert markup_problems(nested, listings_seen=26) == {"markup/search/zero_items": 1}
    assert markup_problems(nested, listings_seen=6) == {"markup/search/zero_items": 1, "field/price/missing": 4}


def test_failed_runs_do_not_count_in_the_average(sqlite_store, tmp_path):
    settings = ops_settings(tmp_path, health={"trailing_runs": 2})
    with sqlite_store.session() as s:
        add_run(s, NOW - dt.timedelta(days=3), {"olx-kz-ru": {"listings": 50}})
        add_run(s, NOW - dt.timedelta(days=2), {"olx-kz-ru": {"listings": 50}})
        add_run(s, NOW - dt.timedelta(days=1), {"olx-kz-ru": {"listings": 0, "status": "blocked"}})
        add_run(s, NOW, {"olx-kz-ru": {"listings": 20}})
        row = health_table(s, settings, runs=10)[0]
    assert row.trailing_average == 50 and row.blocks == 1 and row.state == "ok"
    assert [p.listings for p in row.history] == [20, 0, 50, 50]


def test_health_step_reports_alerts_for_this_run(sqlite_store, tmp_path):
    settings = ops_settings(tmp_path)
    with sqlite_store.session() as s:
        run = _history(s, [30, 30, 0])

    class Ctx:
        pass

    ctx = Ctx()
    ctx.settings, ctx.store, ctx.crawl_run_id, ctx.sources = settings, sqlite_store, run.id, None
    ctx.results = {"crawl": {"sources": 1}}
    out = health_step(ctx)
    kinds = {(a["source"], a["kind"]) for a in out["alerts"]}
    assert ("olx-kz-ru", "zero_yield") in kinds
    assert ("olx-kz-kk", "missing") in kinds  # enabled in the shipped config but no source run recorded
    assert out["alert_count"] == len(out["alerts"])


def test_health_command_prints_table_and_json(tmp_path, config_file):
    from config import load_config
    from store import Store

    settings = load_config(config_file)
    store = Store.from_settings(settings)
    store.init()
    with store.session() as s:
        _history(s, [30, 30, 30, 2])
    store.dispose()
    runner = CliRunner()
    result = runner.invoke(app, ["--config", str(config_file), "health"])
    assert result.exit_code == 1, result.output  # an alert makes the exit status 1 (for monitoring)
    assert "olx-kz-ru" in result.output and "yield_drop" in result.output and "30.0" in result.output
    result = runner.invoke(app, ["--config", str(config_file), "health", "--json"])
    data = json.loads(result.output)
    assert data[0]["source"] == "olx-kz-ru" and data[0]["alerts"][0]["kind"] == "yield_drop"
    assert data[0]["history"][0]["listings"] == 2
