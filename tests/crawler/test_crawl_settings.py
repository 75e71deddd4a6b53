"""Politeness settings per source, retry backoff, and the `parse` command contract."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.http import Request, Response
from scrapy.settings import Settings as ScrapySettings

from config import load_config
from config.schema import CrawlSettings, SourceSettings
from crawler.middlewares import BackoffRetryMiddleware
from crawler.settings import source_settings
from saigawatch.cli import main

FILES = Path(__file__).resolve().parent / "files"


def test_global_politeness_with_source_overrides():
    crawl = CrawlSettings(politeness={"user_agent": "UA/1", "download_delay": 2.0, "concurrent_requests_per_domain": 2,
                                      "obey_robots_txt": True, "retry_times": 4, "max_page_bytes": 1000})
    plain = source_settings(crawl, SourceSettings(name="a", platform="olx", queries=["x"]))
    assert plain["USER_AGENT"] == "UA/1" and plain["DOWNLOAD_DELAY"] == 2.0
    assert plain["ROBOTSTXT_OBEY"] is True and plain["AUTOTHROTTLE_ENABLED"] is True
    assert plain["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2 == plain["CONCURRENT_REQUESTS"]
    assert plain["RETRY_TIMES"] == 4 and 429 in plain["RETRY_HTTP_CODES"]
    assert plain["DOWNLOAD_MAXSIZE"] == 1000 and plain["DOWNLOAD_WARNSIZE"] == 500
    custom = source_settings(crawl, SourceSettings(name="b", platform="olx", queries=["x"], user_agent="Other/2",
                                                   download_delay=5, obey_robots_txt=False,
                                                   concurrent_requests_per_domain=1))
    assert custom["USER_AGENT"] == "Other/2" and custom["DOWNLOAD_DELAY"] == 5
    assert custom["ROBOTSTXT_OBEY"] is False and custom["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1


def test_no_delay_turns_autothrottle_off():
    crawl = CrawlSettings(politeness={"download_delay": 0})
    assert source_settings(crawl, SourceSettings(name="a", platform="olx", queries=["x"]))["AUTOTHROTTLE_ENABLED"] is False


def test_unknown_crawl_key_is_a_config_error(tmp_path):
    from config import ConfigError

    path = tmp_path / "c.yaml"
    path.write_text("crawl:\n  politeness:\n    download_dealy: 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="download_dealy"):
        load_config(path)


def _backoff(base=2.0, cap=120.0):
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(settings_dict={"SAIGAWATCH_BACKOFF_BASE": base, "SAIGAWATCH_BACKOFF_MAX": cap})
    return BackoffRetryMiddleware.from_crawler(crawler)


def test_backoff_grows_exponentially_and_is_capped():
    mw = _backoff(base=2.0, cap=10.0)
    delays = [mw.backoff(Request("http://x/", meta={"retry_times": n}), None) for n in range(5)]
    assert 1.6 <= delays[0] <= 2.4 and 3.2 <= delays[1] <= 4.8 and 6.4 <= delays[2] <= 9.6
    assert all(d <= 12.0 for d in delays[3:])


def test_backoff_honours_retry_after():
    mw = _backoff(base=1.0, cap=100.0)
    response = Response("http://x/", status=429, headers={"Retry-After": "30"})
    assert 24 <= mw.backoff(Request("http://x/"), response) <= 36


def test_parse_command_prints_the_contract(capsys):
    code = main(["parse", "olx", str(FILES / "olx_search.html"), "--url", "https://www.olx.kz/list/q-x/"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["kind"] == "search" and out["next_page"] is None and len(out["items"]) == 5
    item = out["items"][1]
    assert item["title"] == "Киік мүйізі сатылады" and item["price"] == 150000.0 and item["posted_at"].endswith("+00:00")


def test_parse_command_block_and_empty(capsys):
    assert main(["parse", "olx", str(FILES / "olx_block.html")]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "blocked"
    assert main(["parse", "olx", str(FILES / "olx_no_results.html")]) == 0
    assert json.loads(capsys.readouterr().out) == {"kind": "empty", "items": [], "next_page": None, "total": 0}


def test_parse_command_fails_clearly_on_an_unknown_page(tmp_path, capsys):
    page = tmp_path / "other.html"
    page.write_text("<html><title>Something else</title></html>", encoding="utf-8")
    assert main(["parse", "olx", str(page)]) == 1
    err = capsys.readouterr().err
    assert "cannot parse as a olx page" in err and "expected an OLX search page" in err


def test_parse_command_unknown_platform_and_missing_file(capsys):
    assert main(["parse", "myspace", str(FILES / "olx_search.html")]) == 1
    assert "unknown platform 'myspace'" in capsys.readouterr().err
    assert main(["parse", "olx", "/nonexistent/page.html"]) == 1
    assert "no such file" in capsys.readouterr().err


def test_a_source_without_spider_is_recorded_and_the_others_run(tmp_path):
    from sqlalchemy import select

    from demo_marketplace.server import serve_in_thread
    from crawler.errors import CrawlConfigError
    from crawler.run import run_crawl
    from store import Store
    from store.models import CrawlRun, SourceRun

    with serve_in_thread() as url:
        settings = load_config(overrides={
            "storage": {"database_path": str(tmp_path / "sw.db"), "data_dir": str(tmp_path / "var")},
            "crawl": {"politeness": {"download_delay": 0}, "download_images": False},
            "sources": [{"name": "bad", "platform": "olx", "site": "pl", "queries": ["x"]},
                        {"name": "good", "platform": "olx", "site": "kz", "queries": ["киік мүйізі"],
                         "base_url": url + "/olx-kz", "fetch_listing_pages": False}]})
        store = Store(settings.storage.database_url())
        store.init()
        with store.session() as session:
            run = CrawlRun(trigger="test")
            session.add(run)
            session.flush()
            run_id = run.id
        summary = run_crawl(settings, store, run_id)
        with pytest.raises(CrawlConfigError, match="no spider for platform 'olx' site 'pl'"):
            run_crawl(settings, store, run_id, ["bad"])
    assert summary["sources"]["good"]["status"] == "ok" and summary["listings_new"] == 5
    assert summary["sources"]["bad"]["status"] == "error" and "bad" in summary["failed_sources"]
    with store.session() as session:
        row = session.scalars(select(SourceRun).where(SourceRun.source_name == "bad")).one()
    assert "no spider" in row.status_detail
    store.dispose()
