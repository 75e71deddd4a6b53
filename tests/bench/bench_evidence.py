"""Evidence throughput: capture chain per listing with chromium (one page at a time vs several at once, in one run),
without chromium, case export, and offline verify of the bundle."""
from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

from alerts.evidence.browser import BrowserSession
from alerts.evidence.capture import capture_listings, run_capture
from alerts.evidence.export import export_case
from alerts.evidence.keys import generate_key
from alerts.evidence.verify import Trust, verify_bundle
from store import Store
from tests.alerts.evidence.conftest import make_settings
from tests.alerts.evidence.helpers import Site, serve, store_listing
from tests.alerts.evidence.tsa_server import LocalTsa
from tests.bench.process_cpu import tree_cpu_seconds

LISTINGS = 20
BROWSER_LISTINGS = 40  # per mode: long enough that browser start-up is amortised and the figure is stable
ROUNDS = 2  # each mode runs BROWSER_LISTINGS / ROUNDS listings per turn
TARGET_S = 0.4
CONCURRENCY = 4  # evidence.screenshot.concurrency's default


def _load() -> str:
    """The machine's 1-minute load average against its cores: a loaded machine makes every figure slower."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def _browser_run(settings, store, ids, browser) -> tuple[float, float]:
    """Wall and CPU seconds (this process, Chromium, the TSA's openssl) for the full chain (warc, screenshot,
    context, environment, sign + TSA) on `ids` (browser start-up included on its first batch); with concurrency > 1
    the pages are shot several at once and the non-browser steps of several listings overlap."""
    settings.evidence.screenshot.concurrency = browser.concurrency
    t0, c0 = time.monotonic(), tree_cpu_seconds()
    for lid, capture in capture_listings(settings, store, ids, operator="bench", reason="manual", browser=browser):
        assert not isinstance(capture, Exception), capture
        assert capture.steps["screenshot"]["status"] == "ok", capture.steps["screenshot"]
    return time.monotonic() - t0, tree_cpu_seconds() - c0


def main() -> None:
    site = Site()
    server = serve(site)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        key = generate_key(tmp / "keys" / "org.pem")
        with LocalTsa(tmp / "tsa") as tsa:
            settings = make_settings(tmp, key, tsa_url=tsa.url, tsa_ca_file=str(tsa.ca_file),
                                     steps=["warc", "context", "environment", "sign"])
            store = Store(settings.storage.database_url())
            store.init()
            ids = [store_listing(store, settings, site, f"BENCH-{i}", seller=f"s{i % 4}") for i in range(LISTINGS)]
            t0 = time.monotonic()
            for lid in ids:
                run_capture(settings, store, lid, operator="bench")
            no_browser = (time.monotonic() - t0) / LISTINGS
            browser_ids = [store_listing(store, settings, site, f"SHOT-{i}", seller=f"s{i % 4}")
                           for i in range(2 * BROWSER_LISTINGS)]
            browser_settings = make_settings(tmp, key, tsa_url=tsa.url, tsa_ca_file=str(tsa.ca_file))
            load_before = _load()
            # the two modes take turns on batches, so a change in the machine's load hits both alike
            totals = {1: [0.0, 0.0], CONCURRENCY: [0.0, 0.0]}
            steady = {1: [0.0, 0.0], CONCURRENCY: [0.0, 0.0]}
            batch = BROWSER_LISTINGS // ROUNDS
            browsers = {mode: BrowserSession(browser_settings.browser, mode) for mode in totals}
            try:
                for n in range(ROUNDS):
                    for k, mode in enumerate(totals):
                        start = (2 * n + k) * batch
                        wall, cpu = _browser_run(browser_settings, store, browser_ids[start:start + batch],
                                                 browsers[mode])
                        totals[mode][0] += wall / BROWSER_LISTINGS
                        totals[mode][1] += cpu / BROWSER_LISTINGS
                        if n:  # the browser and its tabs already run: what each further listing costs
                            steady[mode][0] += wall / (BROWSER_LISTINGS - batch)
                            steady[mode][1] += cpu / (BROWSER_LISTINGS - batch)
            finally:
                for browser in browsers.values():
                    browser.close()
            (one_at_a_time, one_cpu), (concurrent, concurrent_cpu) = totals[1], totals[CONCURRENCY]
            load_after = _load()
            t0 = time.monotonic()
            bundle = export_case(settings, store, ids, "Bench case", "bench", "kk")
            export_s = time.monotonic() - t0
            t0 = time.monotonic()
            report = verify_bundle(bundle, trust=Trust.build(public_key=key.public_path, tsa_files=[tsa.ca_file]))
            verify_s = time.monotonic() - t0
            assert report.status == "verified", report.problems
            size_mb = bundle.stat().st_size / 1e6
            store.dispose()
    server.shutdown()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"capture without browser (warc, context, environment, sign + TSA): {no_browser * 1000:.0f} ms/listing")
    print(f"capture with chromium, one page at a time ({BROWSER_LISTINGS} listings in {ROUNDS} batches, one browser, "
          f"start-up included): {one_at_a_time * 1000:.0f} ms/listing, {one_cpu * 1000:.0f} ms CPU/listing")
    print(f"capture with chromium, pipelined ({BROWSER_LISTINGS} listings, {CONCURRENCY} pages at once in one browser, "
          f"context and {CONCURRENCY} reused tabs; hashing, signing and TSA of {CONCURRENCY} listings overlapping): "
          f"{concurrent * 1000:.0f} ms/listing, {concurrent_cpu * 1000:.0f} ms CPU/listing "
          f"({one_at_a_time / concurrent:.1f}x faster; target <= {TARGET_S * 1000:.0f} ms: "
          f"{'met' if concurrent <= TARGET_S else 'NOT met'})")
    print(f"  after start-up (the {BROWSER_LISTINGS - BROWSER_LISTINGS // ROUNDS} listings of the later batches, browser "
          f"and tabs already open): one at a time {steady[1][0] * 1000:.0f} ms/listing "
          f"({steady[1][1] * 1000:.0f} ms CPU), pipelined {steady[CONCURRENCY][0] * 1000:.0f} ms/listing "
          f"({steady[CONCURRENCY][1] * 1000:.0f} ms CPU)")
    print(f"export of a {LISTINGS}-listing case (ru + kk PDF/A, signed WACZ, TSA): {export_s:.1f} s, "
          f"{size_mb:.1f} MB, {report.files_checked} files")
    print(f"offline verify of that bundle (trusted key, TSA token in-process): {verify_s:.2f} s")
    print(f"peak RSS of this process (chromium not included): {rss_mb:.0f} MB")
    print(f"machine during the chromium runs: {load_before} before, {load_after} after; on {os.cpu_count()} idle "
          f"cores the pipelined CPU would allow {concurrent_cpu / (os.cpu_count() or 1) * 1000:.0f} ms/listing")


if __name__ == "__main__":
    main()
