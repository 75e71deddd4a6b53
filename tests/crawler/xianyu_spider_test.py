"""XianyuSpider without a crawl: session loading, "not configured" reasons, signed API requests."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from config.schema import SourceSettings
from crawler.demo_site import xianyu as demo_xianyu
from crawler.run import CrawlConfigError, spider_registry
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
