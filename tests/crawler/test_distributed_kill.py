"""A distributed crawl part SIGKILLed at an exact point, then run again as RQ would: the same result as one machine."""
from __future__ import annotations

import pytest
from redis import Redis
from sqlalchemy import func, select

from crawler.distributed import redis_settings
from crawler.pipelines.batch import SECONDS_SETTING
from crawler.run import run_crawl, summarise
from demo_marketplace.server import serve_in_thread
from saigawatch.distributed.steps import _merge_part_rows
from store.models import Listing, ListingVersion
from tests.crawler.kill_points import SETTING
from tests.crawler.test_olx_crawl import make_settings, new_run, new_store, source, stored_ids

QUERIES = ["киік мүйізі", "рога сайги"]
NAME = "olx-kill"


def _versions(store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(ListingVersion))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kill-ref")
    with serve_in_thread() as url:
        settings = make_settings(tmp, [source(NAME, url, QUERIES, max_pages=3)])
        store = new_store(settings)
        run_id = new_run(store)
        reference = run_crawl(settings, store, run_id)
        yield url, {"summary": reference, "ids": stored_ids(store), "versions": _versions(store)}
        store.dispose()


@pytest.mark.parametrize("kill_at", ["seen:3", "taken:4", "stored:2"])
def test_killed_part_run_again_equals_one_machine(demo, redis_server, tmp_path, kill_at):
    """Kill the part from inside at `kill_at`, run it again on the same Redis frontier, compare with one machine."""
    url, reference = demo
    assert reference["summary"]["errors"] == 0 and reference["ids"]
    settings = make_settings(tmp_path, [source(NAME, url, QUERIES, max_pages=3)])
    store = new_store(settings)
    redis_url = redis_server.url.rsplit("/", 1)[0] + "/3"  # a database of its own on the shared server
    conn = Redis.from_url(redis_url)
    conn.flushdb()
    run_id = new_run(store)
    part = redis_settings(redis_url, run_id, 0)
    # One page at a time, 50 ms apart, and store batches of 1 s of items: the kill lands mid-crawl whatever the
    # machine's speed (at full speed one batch could hold every listing), and a batch is committed and counted
    # long before the next one is written (a kill in the instant between the two is the README's known limit).
    killed = run_crawl(settings, store, run_id, scrapy_settings={
        **part, SETTING: kill_at, "EXTENSIONS": {**part["EXTENSIONS"], "tests.crawler.kill_points.KillAt": 900},
        "DOWNLOAD_DELAY": 0.05, "DOWNLOAD_DELAY_JITTER": 0, "CONCURRENT_REQUESTS": 1,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1, SECONDS_SETTING: 1.0})
    assert "exited with status -9" in killed.get("process_error", ""), killed
    assert len(stored_ids(store)) < len(reference["ids"])  # the kill landed mid-crawl
    again = run_crawl(settings, store, run_id, scrapy_settings=part)
    assert not again.get("process_error"), again
    _merge_part_rows(store, conn, run_id)
    summary = summarise(store, run_id, [NAME])
    assert stored_ids(store) == reference["ids"]
    assert _versions(store) == reference["versions"]
    for figure in ("listings_seen", "listings_new", "listings_changed"):
        assert summary[figure] == reference["summary"][figure], figure
    assert summary["pages_fetched"] >= reference["summary"]["pages_fetched"]  # pages owed by the dead part: twice
    assert summary["sources"][NAME]["status"] == "ok" and summary["errors"] == 0
    assert not list(conn.scan_iter(match=f"saigawatch:crawl:{run_id}:*"))  # the run's frontier is cleared
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(Listing)) == len(reference["ids"])
    store.dispose()
