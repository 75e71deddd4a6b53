"""XianyuSpider without a crawl: session loading, "not configured" reasons, signed API requests, re-checks."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import TextResponse
from scrapy.utils.test import get_crawler

from config.schema import SourceSettings
from demo_marketplace import xianyu as demo_xianyu
from crawler.items import ListingGone, ListingItem
from crawler.known import KnownListing, KnownListings
from crawler.errors import CrawlConfigError
from crawler.registry import spider_registry
from crawler.spiders.xianyu import SessionError, XianyuSpider, load_session, session_token
from tests.crawler.avito_xianyu_support import fake_xianyu_session

ENV = "SW_TEST_XIANYU_SESSION"


def source(**kw) -> SourceSettings:
    return SourceSettings(**{"name": "xianyu-zh", "platform": "xianyu", "queries": ["羚羊角"], "credentials_env": ENV, **kw})


def test_name_and_registry():
    assert XianyuSpider.name == "xianyu" == XianyuSpider.platform
    assert spider_registry()["xianyu"] is XianyuSpider


def test_no_session_is_not_configured(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    reason = XianyuSpider(source=source()).check_configured()
    assert reason and ENV in reason and "storage-state" in reason


def test_session_without_token_cookie_is_not_configured(monkeypatch, tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"cookies": [{"name": "cookie2", "value": "x", "domain": "127.0.0.1", "path": "/"}]}))
    monkeypatch.setenv(ENV, str(path))
    assert "_m_h5_tk" in XianyuSpider(source=source()).check_configured()


def test_broken_session_file_is_not_configured(monkeypatch, tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json")
    monkeypatch.setenv(ENV, str(path))
    assert "not a Playwright storage state" in XianyuSpider(source=source()).check_configured()


def test_storage_state_file_is_loaded(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV, str(fake_xianyu_session(tmp_path / "state.json")))
    spider = XianyuSpider(source=source())
    assert spider.check_configured() is None and spider.token == "0a1b2c3d4e5f"


def test_options_storage_state_used_when_env_unset(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV, raising=False)
    path = fake_xianyu_session(tmp_path / "state.json")
    assert XianyuSpider(source=source(options={"storage_state": str(path)})).token == "0a1b2c3d4e5f"


def test_cookie_string_session():
    state = load_session("_m_h5_tk=abc_123; cookie2=zz", ["h5api.m.goofish.com", "www.goofish.com"])
    assert session_token(state) == "abc"
    assert {c["domain"] for c in state["cookies"]} == {"h5api.m.goofish.com", "www.goofish.com"}
    with pytest.raises(SessionError):
        load_session("just some words", ["x"])


def test_api_request_is_signed_like_the_web_client(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV, str(fake_xianyu_session(tmp_path / "state.json")))
    spider = XianyuSpider(source=source(base_url="http://127.0.0.1:9/xianyu"))
    request = spider.api_request("羚羊角", 2)
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    data = parse_qs(request.body.decode())["data"][0]
    assert request.method == "POST" and request.url.startswith("http://127.0.0.1:9/xianyu/h5/mtop.taobao.idlemtopsearch.pc.search/1.0/")
    assert json.loads(data)["keyword"] == "羚羊角" and json.loads(data)["pageNumber"] == 2
    assert query["sign"] == demo_xianyu.sign("0a1b2c3d4e5f", query["t"], query["appKey"], data)
    assert request.meta["playwright"] is True and request.meta["dont_merge_cookies"] is True
    assert request.meta["playwright_context_kwargs"]["storage_state"]["cookies"]


def test_default_addresses(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    spider = XianyuSpider(source=source())
    assert spider.api_url == "https://h5api.m.goofish.com" and spider.base_url == "https://www.goofish.com"


@pytest.mark.parametrize("options,message", [({"rows": 5}, "unknown options rows"), ({"rows_per_page": 50}, "rows_per_page")])
def test_bad_options_are_config_errors(options, message):
    with pytest.raises(CrawlConfigError, match=message):
        XianyuSpider.validate_source(source(options=options))


# ---------------------------------------------------------------- re-checks through the item detail API

FILES = Path(__file__).resolve().parent / "files"
DEMO_API = "http://127.0.0.1:9/xianyu"


def make_spider(monkeypatch, tmp_path, known=None) -> XianyuSpider:
    monkeypatch.setenv(ENV, str(fake_xianyu_session(tmp_path / "state.json")))
    crawler = get_crawler(XianyuSpider, {"SAIGAWATCH_RECHECK_AFTER_DAYS": 0})  # settings frozen: no browser set-up
    spider = XianyuSpider(source=source(base_url=DEMO_API), known=known)
    # no engine without a crawl, so no download queue to empty after a block (the crawl tests cover that)
    monkeypatch.setattr("crawler.spiders.xianyu.drop_queued_requests", lambda crawler, reason: 0)
    spider._set_crawler(crawler)
    crawler.spider = spider
    return spider


def detail_response(spider: XianyuSpider, name: str, pid: str = "780100000001", **meta) -> TextResponse:
    request = spider.detail_request(pid)
    request.meta.update(meta)
    return TextResponse(url=request.url, body=(FILES / name).read_bytes(), request=request, encoding="utf-8")


def known_listing(pid: str) -> KnownListing:
    seen = dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc)
    return KnownListing(pid, f"{DEMO_API}/item?id={pid}", "sha256:x", "xianyu-zh", False, seen, seen)


def test_recheck_is_a_signed_detail_call_in_the_session(monkeypatch, tmp_path):
    spider = make_spider(monkeypatch, tmp_path)
    request = spider.recheck_request(known_listing("780100000004"))
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    data = parse_qs(request.body.decode())["data"][0]
    assert request.method == "POST" and request.url.startswith(f"{DEMO_API}/h5/mtop.taobao.idle.pc.detail/1.0/?")
    assert json.loads(data) == {"itemId": "780100000004"} and query["api"] == "mtop.taobao.idle.pc.detail"
    assert query["sign"] == demo_xianyu.sign("0a1b2c3d4e5f", query["t"], query["appKey"], data)
    assert request.meta["sw_kind"] == "recheck" and request.meta["sw_pid"] == "780100000004"
    assert request.meta["playwright"] is True and request.meta["playwright_context"] == "xianyu-xianyu-zh"
    assert request.meta["playwright_context_kwargs"]["storage_state"]["cookies"] and request.dont_filter
    assert request.callback == spider.parse_listing


def test_only_listings_missing_from_the_results_are_rechecked(monkeypatch, tmp_path):
    known = KnownListings({pid: known_listing(pid) for pid in ("780100000001", "780100000004", "780100000009")})
    spider = make_spider(monkeypatch, tmp_path, known)
    spider.seen_ids = {"780100000001"}
    pids = [json.loads(parse_qs(r.body.decode())["data"][0])["itemId"] for r in spider.recheck_requests()]
    assert sorted(pids) == ["780100000004", "780100000009"]


def test_live_detail_answer_stores_the_listing_again(monkeypatch, tmp_path):
    spider = make_spider(monkeypatch, tmp_path, KnownListings({"780100000001": known_listing("780100000001")}))
    out = list(spider.parse_listing(detail_response(spider, "xianyu_detail.json")))
    assert len(out) == 1 and isinstance(out[0], ListingItem)
    assert out[0].platform_listing_id == "780100000001" and out[0].card_hash == "sha256:x"
    assert out[0].url == f"{DEMO_API}/item?id=780100000001" and out[0].source_name == "xianyu-zh"


@pytest.mark.parametrize("name,needle", [("xianyu_detail_sold.json", "已卖出"),
                                         ("xianyu_detail_not_exist.json", "FAIL_BIZ_ITEM_NOT_EXIST")])
def test_gone_detail_answer_yields_listing_gone_with_the_reason(monkeypatch, tmp_path, name, needle):
    spider = make_spider(monkeypatch, tmp_path)
    out = list(spider.parse_listing(detail_response(spider, name)))
    assert len(out) == 1 and isinstance(out[0], ListingGone)
    assert out[0].platform_listing_id == "780100000001" and needle in out[0].reason
    assert out[0].url == f"{DEMO_API}/item?id=780100000001"


def test_risk_control_on_a_recheck_is_a_block(monkeypatch, tmp_path):
    spider = make_spider(monkeypatch, tmp_path)
    out = list(spider.parse_listing(detail_response(spider, "xianyu_detail_rgv587.json")))
    assert out == [] and spider.status == "blocked" and "RGV587_ERROR" in spider.status_detail


def test_unreadable_detail_answer_is_a_markup_error_not_a_removal(monkeypatch, tmp_path):
    spider = make_spider(monkeypatch, tmp_path)
    out = list(spider.parse_listing(detail_response(spider, "xianyu_detail_no_status.json")))
    assert out == [] and spider.status == "ok"
    assert spider.crawler.stats.get_value("markup/listing/unparseable") == 1


def test_expired_token_on_a_recheck_is_re_signed_once(monkeypatch, tmp_path):
    spider = make_spider(monkeypatch, tmp_path)
    response = detail_response(spider, "xianyu_token_expired.json")
    response.headers.appendlist(b"Set-Cookie", b"_m_h5_tk=ffee00112233_1999999999999; Path=/")
    out = list(spider.parse_listing(response))
    assert len(out) == 1 and out[0].meta["sw_resigned"] and out[0].meta["sw_pid"] == "780100000001"
    query = {k: v[0] for k, v in parse_qs(urlsplit(out[0].url).query).items()}
    assert query["sign"] == demo_xianyu.sign("ffee00112233", query["t"], query["appKey"],
                                             parse_qs(out[0].body.decode())["data"][0])
    again = detail_response(spider, "xianyu_token_expired.json", sw_resigned=True)
    assert list(spider.parse_listing(again)) == [] and spider.status == "blocked"  # a second failure: dead session
