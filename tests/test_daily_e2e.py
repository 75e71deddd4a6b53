"""The main job end to end on the demo marketplace: run-daily twice on one day, a next day, an exported case."""
from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from sqlalchemy import func, select

from alerts.evidence.export import export_case
from alerts.evidence.keys import ensure_key
from alerts.evidence.verify import verify_bundle
from config import load_config
from demo_marketplace.server import serve_in_thread
from demo_marketplace.command import DEMO_CONFIG, demo_origin, point_sources_at
from saigawatch.pipeline import run_daily
from store import Store
from store.models import Classification, EvidenceCapture, Listing, ListingVersion, SourceRun

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SOURCES = ["olx-kz-ru", "avito-ru"]
DAY0 = dt.datetime(2026, 11, 20, 6, 0, tzinfo=dt.timezone.utc)


def _counts(store):
    with store.session() as s:
        return {
            "listings": s.scalar(select(func.count()).select_from(Listing)),
            "versions": s.scalar(select(func.count()).select_from(ListingVersion)),
            "classifications": s.scalar(select(func.count()).select_from(Classification)),
            "captures": s.scalar(select(func.count()).select_from(EvidenceCapture)),
        }


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("daily")
    settings = load_config(DEMO_CONFIG, overrides={
        "storage": {"database_path": str(tmp / "sw.db"), "data_dir": str(tmp / "var")},
        "evidence": {"signing_key_path": str(tmp / "keys" / "signing_key.pem")},
        "schedule": {"lock_file": str(tmp / "run.lock"), "log_file": str(tmp / "log" / "sw.log")},
    })
    settings.sources = [s for s in settings.sources if s.name in SOURCES]
    ensure_key(settings)
    store = Store.from_settings(settings)
    store.init()
    host, port = demo_origin(settings)
    with serve_in_thread(port=0, host=host) as base_url:
        point_sources_at(settings, f"http://{host}:{port}", base_url)
        base_url.set_day(0)
        first = run_daily(settings, store, operator="test", trigger="test", now=DAY0)
        after_first = _counts(store)
        second = run_daily(settings, store, operator="test", trigger="test", now=DAY0 + dt.timedelta(hours=2))
        after_second = _counts(store)
        base_url.set_day(1)
        third = run_daily(settings, store, operator="test", trigger="test", now=DAY0 + dt.timedelta(days=1))
        yield {"settings": settings, "store": store, "runs": [first, second, third],
               "after_first": after_first, "after_second": after_second, "tmp": tmp}
    store.dispose()


def test_every_step_ran(demo_run):
    for report in demo_run["runs"]:
        assert report.ok, report.failed_steps


def test_first_run_stores_classifies_and_flags(demo_run):
    counts = demo_run["after_first"]
    results = demo_run["runs"][0].results
    assert counts["listings"] >= 30
    assert counts["classifications"] == counts["listings"]
    assert results["crawl"]["pages_fetched"] > 0
    assert len(results["classify"]["flagged_listing_ids"]) >= 5


def test_second_run_same_day_is_idempotent(demo_run):
    assert demo_run["after_second"] == demo_run["after_first"]
    first, second = demo_run["runs"][0].results, demo_run["runs"][1].results
    assert second["crawl"]["pages_fetched"] <= 0.2 * first["crawl"]["pages_fetched"]
    assert second["classify"]["flagged_listing_ids"] == []


def test_confounders_stay_out_of_the_queue(demo_run):
    with demo_run["store"].session() as s:
        rows = s.execute(select(Listing.title, Listing.text, Classification.flagged)
                         .join(Classification, Classification.listing_id == Listing.id)).all()
    guns = [r for r in rows if "сайга-12" in (r.title + r.text).lower() or "сайга 410" in (r.title + r.text).lower()]
    assert guns, "the demo has Сайга firearm ads"
    assert not any(r.flagged for r in guns)
    news = [r for r in rows if "изъял" in (r.title + r.text).lower()]
    assert not any(r.flagged for r in news)


def test_next_day_records_new_and_removed_listings(demo_run):
    results = demo_run["runs"][2].results["crawl"]
    assert results["listings_new"] > 0
    with demo_run["store"].session() as s:
        removed = s.scalar(select(func.count()).select_from(Listing).where(Listing.removed_at.is_not(None)))
        statuses = {r.status for r in s.scalars(select(SourceRun))}
    assert removed > 0
    assert statuses <= {"ok"}


def test_flagged_listings_are_captured_and_a_case_verifies(demo_run):
    settings, store = demo_run["settings"], demo_run["store"]
    with store.session() as s:
        captured = s.scalars(select(EvidenceCapture).order_by(EvidenceCapture.id)).all()
        assert captured, "flagged listings are captured in the run that flags them"
        steps = captured[0].steps
        listing_ids = sorted({c.listing_id for c in captured})[:2]
    assert steps["screenshot"]["status"] == "ok", steps["screenshot"]
    assert steps["sign"]["status"] == "ok", steps["sign"]
    bundle = export_case(settings, store, listing_ids, "demo case", operator="test", language="ru")
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    names = zipfile.ZipFile(bundle).namelist()
    assert "manifest.json" in names and "custody.jsonl" in names and "VERIFY.txt" in names
    assert any(n.endswith(".pdf") for n in names)
