"""Optional: the OLX parser on real captures in ../shared/fixtures/olx (skipped when the folder is absent)."""
from __future__ import annotations

from pathlib import Path

import pytest

from crawler.parsers.olx import parse
from saigawatch.cli import main

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "olx"
AD = FIXTURES / "lokum__olx_pl_offer_detail_page.html"
SEARCH_STATE = FIXTURES / "lokum__olx_pl_search_kawalerka_listing_state.derived.json"

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"{FIXTURES} not present (real captures are optional)")


def test_real_ad_page():
    result = parse(AD.read_bytes(), "https://www.olx.pl/d/oferta/male-studio-bezposrednio-CID3-ID19jUV7.html")
    assert result.kind == "listing"
    item = result.items[0]
    assert item.platform_listing_id == "1053866955"
    assert item.title and item.text
    assert item.price == 2200.0 and item.currency == "PLN"
    assert item.seller_platform_id and item.location and item.posted_at and item.photo_urls


def test_real_search_state():
    result = parse(SEARCH_STATE.read_bytes(), "https://www.olx.pl/nieruchomosci/mieszkania/wynajem/warszawa/q-kawalerka/")
    assert result.kind == "search"
    assert len(result.items) == 51
    assert result.total == 1155  # visibleElements: more than the ~1,000 the site lists, so a spider splits
    assert all(i.platform_listing_id and i.title and i.url.startswith("https://www.olx.pl/") for i in result.items)
    assert result.next_page.endswith("?page=2")


def test_parse_command_on_real_capture(capsys):
    assert main(["parse", "olx", str(AD), "--url", "https://www.olx.pl/d/oferta/x-ID19jUV7.html"]) == 0
    out = capsys.readouterr().out
    assert '"kind": "listing"' in out and '"platform_listing_id": "1053866955"' in out
