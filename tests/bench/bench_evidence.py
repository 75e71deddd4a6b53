"""Evidence throughput: capture chain per listing (with and without chromium), case export, offline verify."""
from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

from alerts.evidence.browser import BrowserSession
from alerts.evidence.capture import run_capture
from alerts.evidence.export import export_case
from alerts.evidence.keys import generate_key
from alerts.evidence.verify import verify_bundle
from store import Store
from tests.alerts.evidence.conftest import make_settings
from tests.alerts.evidence.helpers import Site, serve, store_listing
from tests.alerts.evidence.tsa_server import LocalTsa

LISTINGS = 20
BROWSER_LISTINGS = 5


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
            browser_settings = make_settings(tmp, key, tsa_url=tsa.url)
            with BrowserSession(browser_settings.browser) as browser:
                t0 = time.monotonic()
                for lid in ids[:BROWSER_LISTINGS]:
                    run_capture(browser_settings, store, lid, operator="bench", browser=browser)
                with_browser = (time.monotonic() - t0) / BROWSER_LISTINGS
            t0 = time.monotonic()
            bundle = export_case(settings, store, ids, "Bench case", "bench", "kk")
            export_s = time.monotonic() - t0
            t0 = time.monotonic()
            report = verify_bundle(bundle, tsa_ca=tsa.ca_file)
            verify_s = time.monotonic() - t0
            assert report.ok, report.problems
            size_mb = bundle.stat().st_size / 1e6
            store.dispose()
    server.shutdown()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"capture without browser (warc, context, environment, sign + TSA): {no_browser * 1000:.0f} ms/listing")
    print(f"capture with chromium screenshot (first launch included):         {with_browser * 1000:.0f} ms/listing")
    print(f"export of a {LISTINGS}-listing case (ru + kk PDF, WACZ, TSA):          {export_s:.1f} s, "
          f"{size_mb:.1f} MB, {report.files_checked} files")
    print(f"offline verify of that bundle (openssl ts included):             {verify_s:.2f} s")
    print(f"peak RSS: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
