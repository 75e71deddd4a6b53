"""Xianyu removal end to end: listings that leave the demo search results are re-checked through the item detail
API (same browser session, same signing); deleted, sold and off-shelf items get removed_at, the others do not."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from demo_marketplace import xianyu as demo_xianyu
from demo_marketplace.server import serve_in_thread
from store.models import Listing, ListingVersion, SourceRun
from tests.crawler.avito_xianyu_support import crawl, demo_settings, fake_xianyu_session, new_store

pytestmark = [pytest.mark.slow, pytest.mark.browser]
SESSION_ENV = "SAIGAWATCH_TEST_XIANYU_SESSION"
QUERIES = ["羚羊角", "赛加羚羊"]
LATER_DAY = 3
DETAIL_PATH = f"/xianyu/h5/{demo_xianyu.DETAIL_API}/"
SEARCH_PATH = f"/xianyu/h5/{demo_xianyu.API}/"


def found_on(day: int) -> set[str]:
    """The ids the demo search shows for QUERIES on `day`."""
    return {i["id"] for i in demo_xianyu.items()
            if demo_xianyu.searchable(i, day) and any(q in i["title"] for q in QUERIES)}


def stored(store) -> dict[str, Listing]:
    with store.session() as session:
        rows = session.scalars(select(Listing).where(Listing.platform == "xianyu")).all()
        session.expunge_all()
    return {r.platform_listing_id: r for r in rows}


@pytest.fixture
def two_days(tmp_path, monkeypatch):
    """A crawl on day 0; yields (demo, settings, store, first summary) before the later day's crawl."""
    monkeypatch.setenv(SESSION_ENV, str(fake_xianyu_session(tmp_path / "state.json")))
    with serve_in_thread() as demo:
        source = {"name": "xianyu-zh", "platform": "xianyu", "language": "zh", "queries": QUERIES,
                  "base_url": f"{demo}/xianyu", "credentials_env": SESSION_ENV, "max_pages": 3}
        settings = demo_settings(tmp_path, [source], recheck_after_days=0)
        store = new_store(settings)
        first = crawl(settings, store, "xianyu-zh")
        assert first["sources"]["xianyu-zh"]["status"] == "ok"
        assert set(stored(store)) == found_on(0)
        assert demo.state.requests_under(DETAIL_PATH) == 0  # nothing to re-check on the first day
        demo.state.set_day(LATER_DAY)
        yield demo, settings, store, first


def test_vanished_listings_are_rechecked_and_removed(two_days):
    demo, settings, store, first = two_days
    before = stored(store)
    searches_before = demo.state.requests_under(SEARCH_PATH)
    second = crawl(settings, store, "xianyu-zh")
    assert second["sources"]["xianyu-zh"]["status"] == "ok" and second["errors"] == 0

    missing = set(before) - found_on(LATER_DAY)
    gone = {i["id"]: i.get("gone", "deleted") for i in demo_xianyu.items()
            if i["id"] in missing and not demo_xianyu.online(i, LATER_DAY)}
    still_on_sale = missing - set(gone)
    assert gone == {"780100000004": "sold", "780100000009": "off_shelf", "780100000015": "deleted"}
    assert still_on_sale == {"780100000003"}  # on sale, but the search no longer shows it

    after = stored(store)
    assert {pid for pid, row in after.items() if row.removed_at is not None} == set(gone)
    reasons = {pid: after[pid].extra["removed_reason"] for pid in gone}
    assert "已卖出" in reasons["780100000004"] and "已下架" in reasons["780100000009"]
    assert "FAIL_BIZ_ITEM_NOT_EXIST" in reasons["780100000015"]
    assert second["listings_removed"] == len(gone)

    live = after["780100000003"]
    assert live.removed_at is None and live.last_checked_at > before["780100000003"].last_checked_at
    with store.session() as session:  # the detail answer matches the stored card: no spurious new version
        versions = session.scalars(select(ListingVersion).where(ListingVersion.listing_id == live.id)).all()
    assert len(versions) == 1
    assert found_on(LATER_DAY) - set(before) <= set(after)  # new items of the later day are stored

    # page count stays low: the later day's search calls plus one detail call per missing listing, no more
    detail_calls = demo.state.requests_under(DETAIL_PATH)
    search_calls = demo.state.requests_under(SEARCH_PATH) - searches_before
    assert detail_calls == len(missing) == 4
    assert second["pages_fetched"] == search_calls + detail_calls
    assert second["listings_touched"] == len(set(before) & found_on(LATER_DAY))  # unchanged cards, no refetch


def test_risk_control_on_a_recheck_blocks_and_removes_nothing(two_days):
    demo, settings, store, first = two_days
    demo.state.add_fault(DETAIL_PATH, "block")
    second = crawl(settings, store, "xianyu-zh")
    with store.session() as session:
        run = session.scalars(select(SourceRun).where(SourceRun.crawl_run_id == second["crawl_run_id"])).one()
        assert run.status == "blocked" and "FAIL_SYS_USER_VALIDATE" in run.status_detail
    assert second["blocked_sources"] == ["xianyu-zh"]
    assert all(row.removed_at is None for row in stored(store).values())
