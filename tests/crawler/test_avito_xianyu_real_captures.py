"""The `parse` contract on the real captures in ../shared/fixtures (skipped when that folder is absent)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"{FIXTURES} not present")


def run_parse(platform: str, path: Path, url: str | None = None) -> dict:
    """`saigawatch parse PLATFORM FILE [--url URL]`; the registry directly while that command is not installed."""
    from saigawatch.cli import app

    if "parse" not in app.commands:
        from crawler.parsers import registry

        return registry()[platform](path.read_bytes(), url or path.as_uri()).to_json()
    args = ["parse", platform, str(path)] + (["--url", url] if url else [])
    result = CliRunner().invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_real_avito_block_page_is_blocked():
    out = run_parse("avito", FIXTURES / "avito" / "SystemsFailure_parsers__blocked_ip_firewall_0.html")
    assert out["kind"] == "blocked" and "Доступ ограничен" in out["block_reason"] and out["items"] == []


def test_real_avito_ad_page():
    out = run_parse("avito", FIXTURES / "avito" / "SystemsFailure_parsers__item_kvartira_krasnodar.html",
                    "https://www.avito.ru/krasnodar/kvartiry/kvartira-studiya_24m_1016et._3889452914")
    assert out["kind"] == "listing"
    item = out["items"][0]
    assert item["platform_listing_id"] == "3889452914"
    assert item["title"] and item["text"] and item["price"] == 26000 and item["currency"] == "RUB"
    assert item["location"] and item["seller_name"] and item["seller_platform_id"]
    assert item["posted_at"].startswith("2024-05-11")  # «11 мая в 11:21», year from the page's own date
    assert len(item["photo_urls"]) == 10


def test_real_xianyu_search_answer():
    out = run_parse("xianyu", FIXTURES / "xianyu" / "xianyupp__goofish_pc_search_response_pingpong.json",
                    "https://h5api.m.goofish.com/h5/mtop.taobao.idlemtopsearch.pc.search/1.0/")
    assert out["kind"] == "search" and len(out["items"]) == 30 and out["next_page"]
    for item in out["items"]:
        assert item["platform_listing_id"] and item["title"] and item["price"] and item["currency"] == "CNY"
        assert item["location"] and item["seller_name"] and item["seller_platform_id"]
        assert item["posted_at"] and item["photo_urls"]
