"""The store pipeline counts new and changed listings in its source run's row, in the same commit as the listings."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

from crawler import runtime
from crawler.items import ListingItem
from crawler.pipelines.store import StorePipeline
from store.models import Listing, SourceRun
from tests.crawler.test_olx_crawl import make_settings, new_run, new_store


@pytest.fixture
def counted(tmp_path):
    """A store pipeline writing into a fresh store, counting into one SourceRun row."""
    store = new_store(make_settings(tmp_path, []))
    run_id = new_run(store)
    with store.session() as session:
        row = SourceRun(crawl_run_id=run_id, source_name="olx-test", platform="olx", status="running", stats={})
        session.add(row)
        session.flush()
        row_id = row.id
    crawler = get_crawler(settings_dict={"SAIGAWATCH_DOWNLOAD_IMAGES": False})
    runtime.set_source_run_id(crawler, row_id)
    pipeline = StorePipeline(crawler, SimpleNamespace(store=store, clock=runtime.RunClock()))
    yield store, pipeline, row_id
    store.dispose()


def _store(pipeline, items):
    async def run():
        return await asyncio.gather(*(pipeline.process_item(i) for i in items), return_exceptions=True)
    return asyncio.run(run())


def _counts(store, row_id):
    with store.session() as session:
        row = session.get(SourceRun, row_id)
        listings = session.scalar(select(func.count()).select_from(Listing))
        return row.listings_new, row.listings_changed, listings


def _ad(n: int, text: str = "Продам рога сайги") -> ListingItem:
    return ListingItem("olx", f"ad-{n}", f"https://www.olx.kz/d/ad-{n}", title=f"Рога {n}", text=text)


def test_new_and_changed_are_counted_as_they_are_committed(counted):
    store, pipeline, row_id = counted
    _store(pipeline, [_ad(n) for n in range(5)])
    assert _counts(store, row_id) == (5, 0, 5)
    _store(pipeline, [_ad(0), _ad(1, "Продам рога сайги, цена 500 тг"), _ad(5)])  # unchanged, changed, new
    assert _counts(store, row_id) == (6, 1, 6)
    stats = pipeline.crawler.stats
    assert stats.get_value("listings/new") == 6 and stats.get_value("listings/changed") == 1


def test_counts_and_listings_are_one_commit(counted):
    """When the counting fails, the listings of that transaction are not stored either (and the reverse holds by
    the same token): a crawl part killed at any instant leaves counts that match what it stored."""
    store, pipeline, row_id = counted

    def broken(session):
        raise RuntimeError("the database went away")

    pipeline.batch.before_commit = broken
    results = _store(pipeline, [_ad(n) for n in range(3)])
    assert all(isinstance(r, Exception) for r in results)
    assert _counts(store, row_id) == (0, 0, 0)
