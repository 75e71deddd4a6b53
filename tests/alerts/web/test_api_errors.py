"""API errors have one JSON shape: {"error": {"code": str, "message": str}} and nothing else."""
from __future__ import annotations

import pytest

from .conftest import csrf_of


def _assert_shape(response, status, code):
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code and isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_error_shape_for_every_kind_of_failure(anon, analyst, viewer, seeded):
    token = csrf_of(analyst)
    _assert_shape(anon.get("/api/queue"), 401, "not_authenticated")
    _assert_shape(viewer.get("/api/queue"), 403, "forbidden")
    _assert_shape(analyst.get("/api/listings/999999"), 404, "not_found")
    _assert_shape(analyst.get("/api/nothing-here"), 404, "not_found")
    _assert_shape(analyst.get("/api/queue?min_score=lots"), 422, "invalid_filter")
    _assert_shape(analyst.delete("/api/queue"), 405, "method_not_allowed")
    url = f"/api/listings/{seeded.ids['top']}/decision"
    _assert_shape(analyst.post(url, json={"decision": "guilty"}, headers={"X-CSRF-Token": token}), 422, "invalid_decision")
    _assert_shape(analyst.post(url, content=b"{not json", headers={"X-CSRF-Token": token,
                                                                    "Content-Type": "application/json"}), 400, "bad_json")
    _assert_shape(analyst.post(url, json={"decision": "sale"}), 403, "csrf_failed")
    _assert_shape(analyst.post("/api/listings/999999/decision", json={"decision": "sale"},
                               headers={"X-CSRF-Token": token}), 404, "not_found")


def test_internal_errors_are_json_for_the_api(web_settings, web_store, seeded, monkeypatch):
    from starlette.testclient import TestClient

    from alerts.web import app as web_app
    from alerts.web.views import api

    def boom(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(api, "flagged_queue", boom)
    with TestClient(web_app.create_app(web_settings, web_store), raise_server_exceptions=False) as client:
        from .conftest import login
        login(client, "anna")
        r = client.get("/api/queue")
        _assert_shape(r, 500, "internal_error")
        assert "fire" not in r.text  # no internals leak to the client


@pytest.mark.parametrize("path", ["/api/queue", "/api/listings/{top}"])
def test_api_success_bodies(analyst, seeded, path):
    r = analyst.get(path.format(top=seeded.ids["top"]))
    assert r.status_code == 200 and "error" not in r.json()
