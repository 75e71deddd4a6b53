"""Site specs: bad configuration fails at load naming file, source and field; readers, values and `site check`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from config import ConfigError, load_config
from config.site_spec import SiteSpec
from crawler.site.parser import SiteParser
from crawler.site.values import ValueError_, parse_number, parse_price
from saigawatch.cli import app

FILES = Path(__file__).parent / "files" / "site"
MINIMAL = {"id": "lots", "base_url": "https://lots.example", "search": {"url": "{base_url}/s?q={query}&p={page}"},
           "list": {"items": {"css": "li.lot"}, "fields": {"id": {"css": "a", "attr": "href", "regex": r"(\d+)"},
                                                           "title": {"css": "a"}}}}


def write_config(tmp_path: Path, spec: dict, **source) -> Path:
    path = tmp_path / "sw.yaml"
    path.write_text(yaml.safe_dump({"sources": [{"name": "my-site", "platform": "site", "queries": ["рог"],
                                                 "spec": spec, **source}]}, allow_unicode=True), encoding="utf-8")
    return path


def error_of(tmp_path: Path, spec: dict) -> str:
    with pytest.raises(ConfigError) as exc:
        load_config(write_config(tmp_path, spec))
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_minimal_spec_loads(tmp_path):
    assert load_config(write_config(tmp_path, MINIMAL)).source("my-site").spec.id == "lots"


def test_bad_selector_names_file_source_and_field(tmp_path):
    spec = {**MINIMAL, "list": {**MINIMAL["list"], "fields": {"id": {"css": "a"}, "price": {"css": "p[["}}}}
    message = error_of(tmp_path, spec)
    assert str(tmp_path / "sw.yaml") in message
    assert "sources[my-site].spec.list.fields.price.css" in message and "invalid CSS selector" in message


def test_reader_needs_exactly_one_source(tmp_path):
    spec = {**MINIMAL, "list": {**MINIMAL["list"], "fields": {"id": {"css": "a", "json": "id"}}}}
    assert "exactly one of" in error_of(tmp_path, spec)


def test_unknown_key_in_a_reader(tmp_path):
    spec = {**MINIMAL, "list": {**MINIMAL["list"], "fields": {"id": {"css": "a", "atr": "href"}}}}
    assert "sources[my-site].spec.list.fields.id.atr" in error_of(tmp_path, spec)


def test_unknown_url_placeholder(tmp_path):
    spec = {**MINIMAL, "search": {"url": "{base_url}/s?q={querry}"}}
    message = error_of(tmp_path, spec)
    assert "sources[my-site].spec.search.url" in message and "{querry}" in message


def test_bad_xpath_regex_and_zone(tmp_path):
    fields = MINIMAL["list"]["fields"]
    assert "invalid XPath" in error_of(tmp_path, {**MINIMAL, "list": {**MINIMAL["list"], "fields": {
        **fields, "title": {"xpath": "//h1["}}}})
    assert "invalid regular expression" in error_of(tmp_path, {**MINIMAL, "list": {**MINIMAL["list"], "fields": {
        **fields, "title": {"css": "h1", "regex": "(("}}}})
    assert "unknown time zone" in error_of(tmp_path, {**MINIMAL, "timezone": "Mars/Base"})


def test_fields_need_an_id(tmp_path):
    spec = {**MINIMAL, "list": {"items": {"css": "li"}, "fields": {"title": {"css": "a"}}}}
    assert "needs 'id'" in error_of(tmp_path, spec)


def test_site_platform_needs_a_spec(tmp_path):
    path = tmp_path / "sw.yaml"
    path.write_text(yaml.safe_dump({"sources": [{"name": "x", "platform": "site", "queries": ["a"]}]}))
    with pytest.raises(ConfigError, match=r"sources\[x\].*needs a 'spec'"):
        load_config(path)


def test_like_inherits_a_source_of_the_extended_file(tmp_path):
    path = tmp_path / "demo.yaml"
    base = Path(load_config().config_path)
    path.write_text(yaml.safe_dump({"extends": str(base), "sources": [
        {"name": "violity", "like": "violity", "enabled": True, "base_url": "http://127.0.0.1:1/violity"}]}))
    source = load_config(path).source("violity")
    assert source.enabled and source.base_url == "http://127.0.0.1:1/violity" and source.spec.id == "violity"
    path.write_text(yaml.safe_dump({"extends": str(base), "sources": [{"name": "v", "like": "nope"}]}))
    with pytest.raises(ConfigError, match=r"sources\[v\]\.like.*no source 'nope'"):
        load_config(path)


def test_shipped_sites_are_disabled():
    settings = load_config()
    for name in ("violity", "meshok", "kufar", "olx-ua"):
        assert not settings.source(name).enabled
    assert settings.source("olx-ua").site == "ua"


@pytest.mark.parametrize("text,value", [("1 250 грн", 1250.0), ("1\u00a0250,50", 1250.5), ("1,250.50", 1250.5),
                                        ("1.250", 1250.0), ("12,5", 12.5), ("$ 40", 40.0), ("0.75", 0.75)])
def test_numbers(text, value):
    assert parse_number(text) == value


def test_price_currency_and_failure():
    assert parse_price("≈ 101 $", {}, None).currency == "USD"
    assert parse_price("4 200 грн", {}, None).currency == "UAH"
    assert parse_price("Договірна", {}, None).amount is None
    with pytest.raises(ValueError_):
        parse_price("цена по запросу", {}, None)


def test_readers_json_ld_microdata_prefix_classes_and_url_encoded_state():
    spec = SiteSpec.model_validate({
        "id": "t", "base_url": "https://t.example", "state": {"variable": "window.__STATE__", "encoding": "urlencoded"},
        "search": {"url": "{base_url}/?q={query}"},
        "list": {"fields": {"id": {"css": "x"}}},
        "detail": {"fields": {
            "id": {"json": "lot.id"}, "title": {"css": ".titleText_*"},
            "price": {"schema": "Product.offers.price", "type": "price"},
            "currency": {"schema": "Offer.priceCurrency"},
            "text": {"schema": "Product.description"}, "seller": {"xpath": "//span[@class='who']/text()"}}}})
    page = b"""<html><head><script type="application/ld+json">
      {"@context": "https://schema.org", "@type": "Product", "name": "Lot", "offers": {"@type": "Offer",
       "price": "1500", "priceCurrency": "RUB"}}</script></head><body>
      <h1 class="titleText_6853f big">Rog</h1><span class="who">ivan</span>
      <div itemscope itemtype="https://schema.org/Product"><p itemprop="description">Opisanie</p></div>
      <script>window.__STATE__ = "%7B%22lot%22%3A%7B%22id%22%3A77%7D%7D";</script></body></html>"""
    result = SiteParser(spec).parse(page, "https://t.example/lot/77")
    item = result.items[0]
    assert result.kind == "listing" and item.platform_listing_id == "77" and item.title == "Rog"
    assert (item.price, item.currency, item.text, item.seller_name) == (1500.0, "RUB", "Opisanie", "ivan")


# ---------------------------------------------------------------- saigawatch site check

def run_check(*args: str):
    return CliRunner().invoke(app, ["site", "check", *args], catch_exceptions=False)


def test_site_check_lists_found_and_missing_fields():
    result = run_check("violity", "--page", str(FILES / "violity_lot_old.html"))
    assert result.exit_code == 0, result.output
    assert "page kind: listing" in result.output
    assert "  title: Рог сайгака старый, 28 см" in result.output
    assert "  MISSING location" in result.output and "missing fields: location (1 of 1)" in result.output


def test_site_check_json():
    result = run_check("meshok", "--page", str(FILES / "meshok_search.json"), "--json")
    report = json.loads(result.output)
    assert report["kind"] == "search" and len(report["items"]) == 3
    assert report["items"][0]["title"] == "Рог сайгака, натуральный, 30 см" and report["items"][0]["bids"] == 4
    assert report["missing"] == {"photos": 1}  # a negotiable price is found, only not a number


def test_site_check_blocked_page():
    result = run_check("violity", "--page", str(FILES / "violity_challenge.html"), "--json")
    assert json.loads(result.output) == {"kind": "blocked", "items": [], "missing": {},
                                         "block_reason": json.loads(result.output)["block_reason"]}


def test_site_check_unmatched_page_fails_with_one_line(tmp_path):
    page = tmp_path / "other.html"
    page.write_text("<html><body><p>something else</p></body></html>")
    result = CliRunner().invoke(app, ["site", "check", "violity", "--page", str(page)])
    assert result.exit_code == 1 and "none of the configured readers" in result.output


def test_site_check_refuses_other_platforms():
    result = CliRunner().invoke(app, ["site", "check", "olx-ua", "--page", str(FILES / "violity_search.html")])
    assert result.exit_code == 1 and "saigawatch parse olx" in result.output


def test_readme_walkthrough_spec_loads(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Adding a site")[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "mine.yaml"
    path.write_text("\n".join(line[3:] for line in block.splitlines()), encoding="utf-8")
    spec = load_config(path).source("lots-example").spec
    page = """<html><body><div class="lot-card"><a class="title" href="/lot/7-rog">Rog saigi</a>
      <span class="price">1 200 грн</span></div></body></html>""".encode()
    item = SiteParser(spec).parse(page, "https://lots.example/search?q=x").items[0]
    assert (item.platform, item.platform_listing_id, item.price, item.currency) == ("lots-example", "7", 1200.0, "UAH")
