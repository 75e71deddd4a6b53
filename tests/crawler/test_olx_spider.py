"""OLX spiders driven directly on saved pages: requests, incremental decisions, splitting, blocks, markup stats."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import unquote

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from config.schema import SourceSettings
from crawler.items import ListingGone, ListingItem, ListingSeen
from crawler.known import KnownListing, KnownListings
from crawler.errors import CrawlConfigError
from crawler.registry import spider_for, spider_registry
from crawler.spiders.olx_kz import OlxKzSpider
from crawler.spiders.olx_uz import OlxUzSpider

FILES = Path(__file__).resolve().parent / "files"
SEARCH_URL = "https://www.olx.kz/kk/list/q-%D0%BA%D0%B8%D1%96%D0%BA-%D0%BC%D2%AF%D0%B9%D1%96%D0%B7%D1%96/"
NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.timezone.utc)


def make_spider(cls=OlxKzSpider, known: KnownListings | None = None, **source):
    fields = {"name": "olx-test", "platform": "olx", "site": cls.site.code, "queries": ["киік мүйізі"], **source}
    crawler = get_crawler(cls, {"SAIGAWATCH_RECHECK_AFTER_DAYS": 0})
    spider = cls.from_crawler(crawler, source=SourceSettings(**fields), known=known)
    crawler.spider = spider
    return spider


def response(name: str, url: str, meta: dict | None = None, status: int = 200):
    request = Request(url, meta={"sw_kind": "search", "sw_query": "киік мүйізі", "sw_page": 1, **(meta or {})})
    cls = TextResponse if name.endswith(".json") else HtmlResponse
    return cls(url=url, body=(FILES / name).read_bytes(), request=request, status=status, encoding="utf-8")


def stats(spider) -> dict:
    return spider.crawler.stats.get_stats()


# ---------------------------------------------------------------- names, registry, options

def test_spider_names_match_files_and_classes():
    """name == file name == CamelCase class + "Spider", for every spider module in crawler/spiders."""
    import crawler.spiders as package

    modules = {p.stem for p in Path(package.__path__[0]).glob("*.py") if not p.stem.startswith("_") and p.stem != "base"}
    registry = spider_registry()
    for module in modules:
        assert module in registry, f"crawler/spiders/{module}.py defines no spider named {module!r}"
        cls = registry[module]
        assert cls.__module__ == f"crawler.spiders.{module}"
        assert cls.__name__ == "".join(p.capitalize() for p in module.split("_")) + "Spider"


def test_sources_map_to_site_spiders():
    assert spider_for(SourceSettings(name="a", platform="olx", site="kz", queries=["x"])) is OlxKzSpider
    assert spider_for(SourceSettings(name="b", platform="olx", site="uz", queries=["x"])) is OlxUzSpider
    with pytest.raises(CrawlConfigError, match="no spider for platform 'olx' site 'pl'"):
        spider_for(SourceSettings(name="c", platform="olx", site="pl", queries=["x"]))


def test_bad_options_name_the_source_and_key():
    with pytest.raises(CrawlConfigError, match=r"sources\[olx-test\]\.options\.page_size"):
        make_spider(options={"page_size": 500})
    with pytest.raises(CrawlConfigError, match=r"sources\[olx-test\]\.options\.colour"):
        make_spider(options={"colour": "red"})


# ---------------------------------------------------------------- requests

def test_html_search_request_uses_language_path_and_query_slug():
    spider = make_spider(language="kk", base_url="http://127.0.0.1:9/olx-kz")
    request = next(iter(spider.search_requests()))
    assert unquote(request.url) == "http://127.0.0.1:9/olx-kz/kk/list/q-киік-мүйізі/"
    assert request.meta["sw_page"] == 1


def test_api_search_request():
    spider = make_spider(use_api=True, options={"page_size": 25})
    request = next(iter(spider.search_requests()))
    assert request.url.startswith("https://www.olx.kz/api/v1/offers/?offset=0&limit=25&query=")
    assert "sort_by=created_at%3Adesc" in request.url
    assert request.meta["sw_capture_kind"] == "api"


def test_uzbek_site_defaults():
    spider = make_spider(OlxUzSpider, language="uz", queries=["sayg'oq shoxi"])
    request = next(iter(spider.search_requests()))
    assert request.url.startswith("https://www.olx.uz/oz/list/q-sayg")


# ---------------------------------------------------------------- search pages

def test_new_cards_lead_to_ad_pages_with_fingerprint():
    spider = make_spider()
    out = list(spider.parse_search(response("olx_search.html", SEARCH_URL)))
    requests = [o for o in out if isinstance(o, Request)]
    assert len(requests) == 5
    card = requests[1].meta["sw_card"]
    assert requests[1].url == card.url and card.card_hash == card.card_fingerprint()
    assert card.source_name == "olx-test" and card.search_url == SEARCH_URL
    assert stats(spider)["search/cards"] == 5


def test_unchanged_stored_cards_are_not_fetched_again():
    first = list(make_spider().parse_search(response("olx_search.html", SEARCH_URL)))
    cards = [r.meta["sw_card"] for r in first]
    known = KnownListings({c.platform_listing_id: KnownListing(c.platform_listing_id, c.url, c.card_hash, "olx-test",
                                                               False, NOW, NOW) for c in cards[:4]})
    known[cards[4].platform_listing_id] = KnownListing(cards[4].platform_listing_id, cards[4].url, "sha256:old",
                                                       "olx-test", False, NOW, NOW)
    spider = make_spider(known=known)
    out = list(spider.parse_search(response("olx_search.html", SEARCH_URL)))
    assert [type(o) for o in out] == [ListingSeen] * 4 + [Request]
    assert stats(spider)["listings/unchanged_card"] == 4


def test_card_only_source_yields_cards():
    spider = make_spider(fetch_listing_pages=False)
    out = list(spider.parse_search(response("olx_search.html", SEARCH_URL)))
    assert all(isinstance(o, ListingItem) and o.is_card for o in out) and len(out) == 5


def test_no_results_page_is_not_an_error():
    spider = make_spider()
    assert list(spider.parse_search(response("olx_no_results.html", SEARCH_URL))) == []
    assert stats(spider)["search/no_results"] == 1
    assert spider.error_count == 0


def test_zero_items_on_a_results_page_is_a_markup_error():
    body = (FILES / "olx_search.html").read_text(encoding="utf-8").replace('data-cy="l-card"', 'data-cy="x-card"')
    import re

    body = re.sub(r"<script>window\.__PRERENDERED_STATE__.*?</script>", "", body, flags=re.S)
    spider = make_spider()
    resp = HtmlResponse(url=SEARCH_URL, body=body.encode(), request=Request(SEARCH_URL, meta={"sw_page": 1}))
    assert list(spider.parse_search(resp)) == []
    assert stats(spider)["markup/search/unparseable"] == 1
    assert spider.errors[0]["type"] == "markup_search"


def test_state_with_no_ads_but_a_total_is_zero_items():
    import json
    import re

    html = (FILES / "olx_search.html").read_text(encoding="utf-8")
    match = re.search(r'window\.__PRERENDERED_STATE__= ("(?:[^"\\]|\\.)*");', html)
    state = json.loads(json.loads(match.group(1)))
    state["listing"]["listing"]["ads"] = []
    html = html[: match.start(1)] + json.dumps(json.dumps(state, ensure_ascii=False), ensure_ascii=False) + html[match.end(1):]
    spider = make_spider()
    resp = HtmlResponse(url=SEARCH_URL, body=html.encode(), request=Request(SEARCH_URL, meta={"sw_page": 1}))
    assert list(spider.parse_search(resp)) == []
    assert stats(spider)["markup/search/zero_items"] == 1


def test_block_page_stops_the_source_and_yields_nothing():
    spider = make_spider()
    out = list(spider.parse_search(response("olx_block.html", SEARCH_URL, status=403)))
    assert out == []
    assert spider.status == "blocked" and "CloudFront" in spider.status_detail
    assert stats(spider)["source/status"] == "blocked"


def test_over_cap_search_is_split_by_region_then_category():
    spider = make_spider(options={"result_cap": 3})
    out = list(spider.parse_search(response("olx_search.html", SEARCH_URL)))
    splits = [o for o in out if isinstance(o, Request) and o.meta.get("sw_kind") == "search"]
    assert len(splits) == len(OlxKzSpider.site.regions)
    assert {s.meta["sw_scope"]["region"] for s in splits} == set(OlxKzSpider.site.regions)
    assert "/zko/q-" in next(s.url for s in splits if s.meta["sw_scope"]["region"] == "zko")
    region_resp = response("olx_search.html", splits[0].url, meta={"sw_scope": {"region": "almaty"}})
    second = [o for o in spider.parse_search(region_resp) if isinstance(o, Request) and o.meta.get("sw_kind") == "search"]
    assert second and all(set(s.meta["sw_scope"]) == {"region", "category"} for s in second)
    assert stats(spider)["olx/split/region"] == 1 and stats(spider)["olx/split/category"] == 1


def test_api_pagination_follows_next_link_within_depth():
    spider = make_spider(use_api=True, max_pages=2)
    url = "https://www.olx.kz/api/v1/offers/?offset=0&limit=3&query=x"
    out = list(spider.parse_search(response("olx_api.json", url)))
    nexts = [o for o in out if isinstance(o, Request)]
    items = [o for o in out if isinstance(o, ListingItem)]
    assert len(items) == 3 and not any(i.is_card for i in items)
    assert len(nexts) == 1 and "offset=3" in nexts[0].url and nexts[0].meta["sw_page"] == 2
    last = list(spider.parse_search(response("olx_api.json", url, meta={"sw_page": 2})))
    assert not [o for o in last if isinstance(o, Request)]


# ---------------------------------------------------------------- ad pages

def test_ad_page_merges_card_and_adds_contacts():
    spider = make_spider()
    card = next(iter(spider.parse_search(response("olx_search.html", SEARCH_URL)))).meta["sw_card"]
    ad_url = "https://www.olx.kz/d/obyavlenie/roga-saygi-2-sht-ID2xzbsg.html"
    out = list(spider.parse_listing(response("olx_ad.html", ad_url, meta={"sw_kind": "listing", "sw_card": card})))
    item = out[0]
    assert item.title == "Рога сайги, 2 шт" and item.card_hash == card.card_hash
    assert item.phones == ["+77014821963"]
    assert item.language == "ru" and item.extra["site"] == "kz"


@pytest.mark.parametrize("status", [404, 410])
def test_gone_status_marks_removed(status):
    spider = make_spider()
    resp = HtmlResponse(url="https://www.olx.kz/d/x-ID1.html", body=b"<html></html>", status=status,
                        request=Request("https://www.olx.kz/d/x-ID1.html", meta={"sw_kind": "recheck", "sw_pid": "1"}))
    out = list(spider.parse_listing(resp))
    assert len(out) == 1 and isinstance(out[0], ListingGone) and out[0].reason == f"HTTP {status}"


def test_removed_ad_page_marks_removed():
    spider = make_spider()
    url = "https://www.olx.kz/d/obyavlenie/prodayu-s-ygu-roga-ID2xzo0g.html"
    out = list(spider.parse_listing(response("olx_ad_removed.html", url, meta={"sw_kind": "recheck", "sw_pid": "178023760"})))
    assert len(out) == 1 and isinstance(out[0], ListingGone) and out[0].platform_listing_id == "178023760"


def test_recheck_uses_the_configured_base_url():
    spider = make_spider(base_url="http://127.0.0.1:5555/olx-kz")
    known = KnownListing("7", "http://127.0.0.1:1111/olx-kz/d/obyavlenie/x-ID7.html", None, "olx-test", False, NOW, None)
    assert spider.recheck_request(known).url == "http://127.0.0.1:5555/olx-kz/d/obyavlenie/x-ID7.html"


def test_missing_listings_are_rechecked_once():
    known = KnownListings({
        "1": KnownListing("1", "https://www.olx.kz/d/a-ID1.html", "h", "olx-test", False, NOW, None),
        "2": KnownListing("2", "https://www.olx.kz/d/b-ID2.html", "h", "other-source", False, NOW, None),
        "3": KnownListing("3", "https://www.olx.kz/d/c-ID3.html", "h", "olx-test", True, NOW, None),
        "4": KnownListing("4", "https://www.olx.kz/d/d-ID4.html", "h", "olx-test", False, NOW, None),
    })
    spider = make_spider(known=known)
    spider.seen_ids = {"4"}
    assert [r.meta["sw_pid"] for r in spider.recheck_requests()] == ["1"]


def test_no_rechecks_when_a_search_page_failed():
    known = KnownListings({"1": KnownListing("1", "https://www.olx.kz/d/a-ID1.html", "h", "olx-test", False, NOW, None)})
    spider = make_spider(known=known)
    spider.search_problems = 1
    spider._on_idle(spider)  # would raise DontCloseSpider if it scheduled re-checks
    assert stats(spider)["listings/rechecks_skipped"] == 1


def test_truncated_ad_page_is_recorded_as_a_parse_error_and_stores_nothing():
    spider = make_spider()
    ad_url = "https://www.olx.kz/d/obyavlenie/roga-saygi-2-sht-ID2xzbsg.html"
    whole = response("olx_ad.html", ad_url, meta={"sw_kind": "listing"})
    cut = whole.replace(body=whole.body[: len(whole.body) * 3 // 4])
    assert list(spider.parse_listing(cut)) == []
    assert stats(spider)["markup/listing/unparseable"] == 1
    assert spider.errors[-1]["type"] == "markup_listing" and "truncated page" in spider.errors[-1]["message"]
