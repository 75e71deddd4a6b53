"""OLX Ukraine: the OLX spider with `site: ua` (olx.ua, /uk/ pages, hryvnia) on a saved page in olx.ua's structure."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from config import load_config
from config.schema import SourceSettings
from crawler.parsers.olx import parse, parse_price
from crawler.registry import spider_for
from crawler.spiders.olx_ua import OlxUaSpider

FILES = Path(__file__).parent / "files" / "site"
URL = "https://www.olx.ua/uk/list/q-%D1%80%D0%BE%D0%B3%D0%B8-%D1%81%D0%B0%D0%B9%D0%B3%D0%B8/"


@pytest.fixture(scope="module")
def page():
    return parse((FILES / "olx_ua_search.html").read_bytes(), URL)


def test_shipped_source_uses_the_ua_spider():
    assert spider_for(load_config().source("olx-ua")) is OlxUaSpider


def test_search_url_is_the_ukrainian_ui():
    source = SourceSettings(name="olx-ua", platform="olx", site="ua", language="uk", queries=["роги сайги"])
    crawler = get_crawler(OlxUaSpider)
    spider = OlxUaSpider.from_crawler(crawler, source=source)
    assert next(iter(spider.search_requests())).url == URL


def test_cards_counted_once_and_total(page):
    assert page.kind == "search" and page.total == 4
    assert [i.platform_listing_id for i in page.items] == ["880010001", "880010002", "880010003"]


def test_hryvnia_and_negotiable(page):
    first, second = page.items[:2]
    assert (first.price, first.currency, first.price_text) == (6500.0, "UAH", "6 500 грн.")
    assert second.price is None and second.price_text == "Договірна"
    assert parse_price("Безкоштовно") == (0.0, None)


def test_ukrainian_dates_in_kyiv_time(page):
    assert page.items[0].refreshed_at == dt.datetime(2026, 9, 15, 21, 0, tzinfo=dt.timezone.utc)  # 16 вересня, UTC+3


def test_wider_area_results_kept_apart(page):
    assert [i.extra.get("wider_area", False) for i in page.items] == [False, False, True]


def test_removed_ad_in_ukrainian():
    body = "<html><body><h1>Оголошення більше не доступне</h1></body></html>".encode()
    assert parse(body, "https://www.olx.ua/d/uk/obyavlenie/x-IDa1.html").kind == "empty"


def test_posts_items_in_hryvnia_by_default():
    source = SourceSettings(name="olx-ua", platform="olx", site="ua", queries=["роги сайги"])
    spider = OlxUaSpider.from_crawler(get_crawler(OlxUaSpider), source=source)
    item = parse((FILES / "olx_ua_search.html").read_bytes(), URL).items[0]
    item.currency = None
    out = spider.post_process_item(item, None)
    assert out.currency == "UAH" and out.language == "uk" and out.extra["site"] == "ua"
