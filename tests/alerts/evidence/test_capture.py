"""The capture chain: browser capture with banner, failed steps recorded, config order, the pipeline step."""
import datetime as dt
from pathlib import Path
import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from alerts.evidence.capture import capture_step, run_capture
from alerts.evidence.custody import check_listing_chain, events_for
from alerts.evidence.verify import verify_bundle
from saigawatch.pipeline import PipelineContext
from store.models import Capture, EvidenceCapture, Listing
from tests.alerts.evidence.conftest import make_settings
from tests.alerts.evidence.helpers import store_listing


@pytest.mark.browser
def test_browser_capture_has_banner_dom_and_pdf(tmp_path, signing_key, site, browser, sqlite_store):
    settings = make_settings(tmp_path, signing_key, screenshot={"pdf": True})
    lid = store_listing(sqlite_store, settings, site, "BR-1", title="Рога сайги, 2 шт")
    capture = run_capture(settings, sqlite_store, lid, operator="aigerim", browser=browser)
    assert {k: v["status"] for k, v in capture.steps.items()} == {
        "warc": "ok", "screenshot": "ok", "context": "ok", "environment": "ok", "sign": "ok"}
    shot = capture.steps["screenshot"]
    assert shot["http_status"] == 200 and shot["title"] == "Рога сайги, 2 шт" and shot["browser"].startswith("chromium")
    folder = settings.storage.data_path / capture.directory
    image = Image.open(io.BytesIO((folder / "browser/screenshot.png").read_bytes())).convert("RGB")
    assert image.getpixel((3, 3)) == (25, 32, 45)  # the banner strip sits on top of the page
    assert image.height > settings.browser.viewport_height
    assert "Рога сайги, 2 шт" in (folder / "browser/dom.html").read_text()
    assert (folder / "browser/page.pdf").read_bytes().startswith(b"%PDF")
    # the capture folder is sealed on its own: it verifies like a bundle
    assert verify_bundle(folder).ok
    with sqlite_store.session() as session:
        listing = session.get(Listing, lid)
        events = events_for(session, lid)
        assert [e.action for e in events] == ["captured"]
        assert events[0].details["manifest_sha256"] == capture.manifest_sha256
        assert check_listing_chain(session, listing) == []


def test_a_failed_step_is_recorded_and_the_others_run(tmp_path, signing_key, site, sqlite_store):
    settings = make_settings(tmp_path, signing_key)
    settings.browser.executable_path = str(tmp_path / "no-chromium")
    lid = store_listing(sqlite_store, settings, site, "FAIL-1")
    capture = run_capture(settings, sqlite_store, lid, operator="bot")
    assert capture.steps["screenshot"]["status"] == "error"
    assert "chromium not found" in capture.steps["screenshot"]["error"]
    assert [capture.steps[s]["status"] for s in ("warc", "context", "environment", "sign")] == ["ok"] * 4
    env = json.loads((settings.storage.data_path / capture.directory / "capture_env.json").read_text())
    assert env["capture"]["step_status"]["screenshot"] == "error"


def test_missing_key_and_missing_warc_are_recorded(tmp_path, signing_key, site, sqlite_store):
    settings = make_settings(tmp_path, signing_key, steps=["warc", "environment", "sign"])
    settings.evidence.signing_key_path = str(tmp_path / "nokey.pem")
    lid = store_listing(sqlite_store, settings, site, "NOKEY-1")
    with sqlite_store.session() as session:
        listing = session.get(Listing, lid)
        for cap in session.scalars(select(Capture)):
            cap.warc_path = "warc/missing.warc.gz"
        listing_key = listing.platform_listing_id
    capture = run_capture(settings, sqlite_store, lid, operator="bot")
    assert list(capture.steps) == ["warc", "environment", "sign", "custody"]
    assert capture.steps["warc"]["status"] == "error" and "cannot read" in capture.steps["warc"]["warnings"][0]
    assert capture.steps["sign"]["status"] == "error" and "saigawatch keys generate" in capture.steps["sign"]["error"]
    assert capture.manifest_sha256 and listing_key == "NOKEY-1"
    # kept, but never entered unsigned in the chain of custody
    assert capture.steps["custody"]["status"] == "error" and "signed when they are written" in capture.steps["custody"]["error"]
    with sqlite_store.session() as session:
        assert events_for(session, lid) == []


def test_steps_run_in_config_order():
    from config import load_config

    with pytest.raises(Exception, match="'sign' must be the last step"):
        load_config(overrides={"evidence": {"steps": ["sign", "warc"]}})
    with pytest.raises(Exception, match="listed twice"):
        load_config(overrides={"evidence": {"steps": ["warc", "warc"]}})
    with pytest.raises(Exception, match="evidence.steps"):
        load_config(overrides={"evidence": {"steps": ["warc", "ocr"]}})


def test_pipeline_step_captures_flagged_listings_once(tmp_path, signing_key, site, store):
    settings = make_settings(tmp_path, signing_key, steps=["warc", "context", "environment", "sign"])
    flagged = store_listing(store, settings, site, "PIPE-1")
    also_pending = store_listing(store, settings, site, "PIPE-2")  # flagged earlier, never captured
    store_listing(store, settings, site, "PIPE-3", flagged=False, score=0.1)
    ctx = PipelineContext(settings=settings, store=store, crawl_run_id=1, run_day="2026-11-24",
                          now=dt.datetime.now(dt.timezone.utc), operator="cron",
                          results={"classify": {"flagged_listing_ids": [flagged]}})
    stats = capture_step(ctx)
    assert stats["captured"] == 2 and stats["errors"] == [] and stats["failed_steps"] == {}
    again = capture_step(ctx)
    assert again["captured"] == 0 and again["already_captured"] == 1
    with store.session() as session:
        rows = session.scalars(select(EvidenceCapture).order_by(EvidenceCapture.listing_id)).all()
        assert [r.listing_id for r in rows] == [flagged, also_pending]
        assert all(r.reason == "flagged" and r.manifest_sha256.startswith("sha256:") for r in rows)


def test_pipeline_step_off_when_disabled(tmp_path, signing_key, sqlite_store):
    settings = make_settings(tmp_path, signing_key, enabled=False)
    ctx = PipelineContext(settings=settings, store=sqlite_store, crawl_run_id=1, run_day="2026-11-24",
                          now=dt.datetime.now(dt.timezone.utc))
    assert capture_step(ctx)["captured"] == 0


@pytest.mark.browser
def test_capture_inside_an_event_loop(tmp_path, signing_key, site, sqlite_store):
    """A web handler or async crawler calling the chain: the browser work moves to a thread of its own."""
    import asyncio
    import threading

    settings = make_settings(tmp_path, signing_key, steps=["screenshot", "sign"])
    lid = store_listing(sqlite_store, settings, site, "LOOP-1")
    ctx = PipelineContext(settings=settings, store=sqlite_store, crawl_run_id=1, run_day="2026-11-24",
                          now=dt.datetime.now(dt.timezone.utc), results={"classify": {"flagged_listing_ids": [lid]}})

    async def run():
        return capture_step(ctx)

    results = []  # a thread of its own: the session's shared Playwright may own this thread's loop
    worker = threading.Thread(target=lambda: results.append(asyncio.run(run())))
    worker.start()
    worker.join()
    stats = results[0]
    assert stats["captured"] == 1 and stats["failed_steps"] == {}, stats


@pytest.mark.browser
def test_several_listings_captured_at_once_each_get_their_own_page(tmp_path, signing_key, site, sqlite_store):
    from alerts.evidence.capture import browser_for, capture_listings

    settings = make_settings(tmp_path, signing_key, steps=["screenshot", "environment", "sign"],
                             screenshot={"concurrency": 3, "settle_ms": 50})
    ids = {store_listing(sqlite_store, settings, site, f"MANY-{n}", title=f"Рог сайги номер {n}"): n for n in range(7)}
    with browser_for(settings) as browser:
        results = list(capture_listings(settings, sqlite_store, list(ids), operator="bot", reason="manual",
                                        browser=browser))
    assert [lid for lid, _ in results] == list(ids)
    for lid, capture in results:
        assert capture.steps["screenshot"]["status"] == "ok", capture.steps
        folder = settings.storage.data_path / capture.directory
        assert f"Рог сайги номер {ids[lid]}<" in (folder / "browser/dom.html").read_text()
        assert capture.steps["screenshot"]["title"] == f"Рог сайги номер {ids[lid]}"


def test_a_capture_killed_mid_way_leaves_no_partial_folder(tmp_path, signing_key, site, sqlite_store):
    """A process killed during a capture: nothing appears under evidence/<platform>/, and the next run sweeps the
    abandoned staging folder."""
    import os
    import subprocess
    import sys
    import textwrap

    settings = make_settings(tmp_path, signing_key, steps=["warc", "environment", "sign"])
    lid = store_listing(sqlite_store, settings, site, "KILL-1")
    script = textwrap.dedent(f"""
        import os, signal
        from alerts.evidence import capture
        from alerts.evidence.steps import environment
        from store import Store
        from tests.alerts.evidence.conftest import make_settings
        from alerts.evidence.keys import GeneratedKey
        from pathlib import Path
        key = GeneratedKey(Path({str(signing_key.private_path)!r}), Path({str(signing_key.public_path)!r}), "")
        settings = make_settings(Path({str(tmp_path)!r}), key, steps=["warc", "environment", "sign"])
        def killed(self, job):
            os.kill(os.getpid(), signal.SIGKILL)  # like the OOM killer or a power cut, after the WARC step
        environment.EnvironmentStep.run = killed
        capture.run_capture(settings, Store({"sqlite:///" + str(tmp_path / "test.db")!r}), {lid}, operator="bot")
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[3],
                          capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    evidence = settings.storage.data_path / "evidence"
    platforms = [p for p in evidence.iterdir() if not p.name.startswith(".")]
    assert platforms == [], "a killed capture left a folder where evidence is expected"
    staged = list((evidence / ".staging").iterdir())
    assert len(staged) == 1 and (staged[0] / "http" / "responses.warc.gz").is_file()
    capture = run_capture(settings, sqlite_store, lid, operator="bot")  # the next run sweeps it
    assert list((evidence / ".staging").iterdir()) == []
    assert verify_bundle(settings.storage.data_path / capture.directory).ok
