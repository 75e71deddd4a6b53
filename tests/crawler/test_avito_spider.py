"""AvitoSpider without a crawl: naming, search URLs from options, option validation, cookies and proxy."""
from __future__ import annotations

from pathlib import Path

import pytest

from config.schema import SourceSettings
from crawler.errors import CrawlConfigError
from crawler.registry import spider_registry
from crawler.spiders.avito import AvitoSpider


def source(**kw) -> SourceSettings:
    return SourceSettings(**{"name": "avito-ru", "platform": "avito", "queries": ["рога сайги"], **kw})


def test_name_file_and_class_match():
    import crawler.spiders.avito as module

    assert AvitoSpider.name == "avito" == AvitoSpider.platform == Path(module.__file__).stem
    assert spider_registry()["avito"] is AvitoSpider


def test_default_search_url_is_all_russia_newest_first():
    spider = AvitoSpider(source=source())
    assert spider.search_url("рога сайги") == "https://www.avito.ru/rossiya?q=%D1%80%D0%BE%D0%B3%D0%B0%20%D1%81%D0%B0%D0%B9%D0%B3%D0%B8&s=104"


def test_region_category_sort_and_params():
    spider = AvitoSpider(source=source(base_url="http://127.0.0.1:9/avito/", options={
        "region": "elista", "category": "kollektsionirovanie", "sort": "relevance", "params": {"pmin": 1000}}))
    assert spider.search_url("рог") == "http://127.0.0.1:9/avito/elista/kollektsionirovanie?q=%D1%80%D0%BE%D0%B3&pmin=1000"


def test_first_requests_carry_cookie_and_proxy(monkeypatch):
    monkeypatch.setenv("SW_TEST_AVITO_COOKIE", "u=abc; sessid=xyz")
    monkeypatch.setenv("SW_TEST_AVITO_PROXY", "http://proxy.example:3128")
    spider = AvitoSpider(source=source(queries=["a", "b"], credentials_env="SW_TEST_AVITO_COOKIE",
                                       options={"proxy_env": "SW_TEST_AVITO_PROXY"}))
    requests = list(spider.search_requests())
    assert len(requests) == 2
    assert requests[0].headers.get("Cookie") == b"u=abc; sessid=xyz"
    assert requests[0].meta["proxy"] == "http://proxy.example:3128"
    assert requests[0].meta["sw_kind"] == "search" and requests[0].meta["sw_page"] == 1


@pytest.mark.parametrize("options,message", [
    ({"regoin": "elista"}, "unknown options regoin"),
    ({"sort": "price"}, "options.sort"),
    ({"params": ["pmin"]}, "options.params"),
    ({"region": "a/b"}, "options.region"),
])
def test_bad_options_are_config_errors(options, message):
    with pytest.raises(CrawlConfigError, match=message):
        AvitoSpider.validate_source(source(options=options))


def test_429_is_not_retried():
    assert 429 not in AvitoSpider.custom_settings["RETRY_HTTP_CODES"] and 503 in AvitoSpider.custom_settings["RETRY_HTTP_CODES"]
