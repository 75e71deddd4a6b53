"""The "Export evidence" button: calls alerts.evidence.export.export_case and audits the export."""
from __future__ import annotations

import pytest

from store.models import AuditEvent, EvidenceBundle

from .conftest import csrf_of


def test_button_calls_the_exporter_and_audits(app, analyst, seeded, web_store, tmp_path):
    """The route's own behaviour, with a recording exporter in place of the real one."""
    calls = []
    zip_path = tmp_path / "case.zip"
    zip_path.write_bytes(b"PK\x05\x06" + b"\0" * 18)

    def exporter(settings, store, listing_ids, case_name, operator, language):
        calls.append((listing_ids, case_name, operator, language))
        with store.session() as s:
            bundle = EvidenceBundle(case_name=case_name, created_by=operator, path=str(zip_path),
                                    sha256="sha256:00", listing_ids=listing_ids, language=language)
            s.add(bundle)
            s.flush()
            return bundle

    app.state.evidence_exporter = lambda: exporter
    token = csrf_of(analyst, f"/listings/{seeded.ids['top']}")
    r = analyst.post("/evidence/export", data={"ids": [str(seeded.ids["top"]), str(seeded.ids["repost"])],
                                               "case_name": "Алматы-2026-11", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/evidence/bundles/")
    assert calls == [([seeded.ids["top"], seeded.ids["repost"]], "Алматы-2026-11", "anna", "ru")]
    page = analyst.get(r.headers["location"])
    assert "Алматы-2026-11" in page.text and "is ready" in page.text
    download = analyst.get(r.headers["location"] + "/download")
    assert download.status_code == 200 and download.content.startswith(b"PK")
    with web_store.session() as s:
        event = s.query(AuditEvent).filter_by(action="evidence.export").one()
        assert event.actor == "anna" and event.details["listing_ids"] == [seeded.ids["top"], seeded.ids["repost"]]
        assert s.query(AuditEvent).filter_by(action="evidence.download").count() == 1


def test_exporter_failure_is_shown_and_audited(app, analyst, seeded, web_store):
    def broken(*args):
        raise RuntimeError("signing key missing")

    app.state.evidence_exporter = lambda: broken
    token = csrf_of(analyst)
    r = analyst.post("/evidence/export", data={"ids": [str(seeded.ids["top"])], "csrf_token": token,
                                               "next": f"/listings/{seeded.ids['top']}"})
    assert r.status_code == 200 and "Evidence export failed. The administrator finds the details in the audit log." in r.text
    with web_store.session() as s:
        assert s.query(AuditEvent).filter_by(action="evidence.export_failed").count() == 1


def test_missing_exporter_is_explained(app, analyst, seeded):
    app.state.evidence_exporter = lambda: None
    r = analyst.post("/evidence/export", data={"ids": [str(seeded.ids["top"])], "csrf_token": csrf_of(analyst)})
    assert "not installed" in r.text


@pytest.fixture
def listing_site():
    """A loopback page standing in for the original ad (the exporter captures it with chromium)."""
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = "<html><head><title>Рога сайги</title></head><body><h1>Продам рога сайги</h1></body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_real_exporter_from_the_listing_page(web_settings, web_store, listing_site, tmp_path):
    """End to end with the real exporter: capture with chromium, sign, ZIP, EvidenceBundle row, download."""
    from starlette.testclient import TestClient

    from alerts.evidence.keys import generate_key
    from alerts.web.app import create_app

    from .conftest import add_listing, login

    key = generate_key(tmp_path / "keys" / "signing_key.pem")
    settings = web_settings.model_copy(update={"evidence": web_settings.evidence.model_copy(update={
        "signing_key_path": str(key.private_path), "export_dir": str(tmp_path / "exports")})})
    with web_store.session() as s:
        listing_id = add_listing(s, "live-1", "Продам рога сайги", "Продам рога сайги, пара",
                                 url=f"{listing_site}/ad/live-1").id
    with TestClient(create_app(settings, web_store), base_url="http://127.0.0.1",
                    headers={"Accept-Language": "en"}) as client:
        login(client, "anna")
        assert "disabled title" not in client.get(f"/listings/{listing_id}").text  # the button is live
        token = csrf_of(client, f"/listings/{listing_id}")
        r = client.post("/evidence/export", data={"ids": [str(listing_id)], "case_name": "real-export",
                                                  "csrf_token": token}, follow_redirects=False)
        with web_store.session() as s:
            failed = s.query(AuditEvent).filter_by(action="evidence.export_failed").all()
            assert not failed, failed[0].details
            bundle = s.query(EvidenceBundle).filter_by(case_name="real-export").one()
        assert r.status_code == 303 and r.headers["location"] == f"/evidence/bundles/{bundle.id}"
        download = client.get(f"/evidence/bundles/{bundle.id}/download")
        assert download.status_code == 200 and download.content[:2] == b"PK"
