"""Evidence throughput: capture chain per listing with chromium (one page at a time vs several at once, in one run),
without chromium, case export, and offline verify of the bundle."""
from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

from alerts.evidence.capture import browser_for, capture_listings, run_capture
from alerts.evidence.export import export_case
from alerts.evidence.keys import generate_key
from alerts.evidence.verify import Trust, verify_bundle
from store import Store
from tests.alerts.evidence.conftest import make_settings
from tests.alerts.evidence.helpers import Site, serve, store_listing
from tests.alerts.evidence.tsa_server import LocalTsa

LISTINGS = 20
BROWSER_LISTINGS = 40  # per mode: long enough that browser start-up is amortised and the figure is stable
TARGET_S = 0.4


def _load() -> str:
    """The machine's 1-minute load average against its cores: a loaded machine makes every figure slower."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def _browser_run(settings, store, ids, concurrency: int) -> float:
    """Seconds per listing for the full chain (warc, screenshot, context, environment, sign + TSA); with
    concurrency > 1 the pages are shot several at once and the non-browser steps of several listings overlap."""
    settings.evidence.screenshot.concurrency = concurrency
    t0 = time.monotonic()
    with browser_for(settings) as browser:
        for lid, capture in capture_listings(settings, store, ids, operator="bench", reason="manual",
                                             browser=browser):
            assert not isinstance(capture, Exception), capture
            assert capture.steps["screenshot"]["status"] == "ok", capture.steps["screenshot"]
    return (time.monotonic() - t0) / len(ids)


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
            one_at_a_time = _browser_run(browser_settings, store, browser_ids[:BROWSER_LISTINGS], 1)
            concurrent = _browser_run(browser_settings, store, browser_ids[BROWSER_LISTINGS:], 4)
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
    print(f"capture with chromium, one page at a time ({BROWSER_LISTINGS} listings, start-up included): "
          f"{one_at_a_time * 1000:.0f} ms/listing")
    print(f"capture with chromium, pipelined (4 pages at once, one browser and context; hashing, signing and TSA "
          f"of 4 listings overlapping): {concurrent * 1000:.0f} ms/listing "
          f"({one_at_a_time / concurrent:.1f}x faster; target <= {TARGET_S * 1000:.0f} ms: "
          f"{'met' if concurrent <= TARGET_S else 'NOT met'})")
    print(f"export of a {LISTINGS}-listing case (ru + kk PDF/A, signed WACZ, TSA): {export_s:.1f} s, "
          f"{size_mb:.1f} MB, {report.files_checked} files")
    print(f"offline verify of that bundle (trusted key, TSA token in-process): {verify_s:.2f} s")
    print(f"peak RSS of this process (chromium not included): {rss_mb:.0f} MB")
    print(f"machine during the chromium runs: {load_before} before, {load_after} after")


if __name__ == "__main__":
    main()
