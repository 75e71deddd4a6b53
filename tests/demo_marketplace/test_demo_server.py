"""The demo marketplace framework: mounting, simulated days, fault injection, robustness, CLI entry."""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

from demo_marketplace import server
from demo_marketplace.server import DemoResponse, Mount, discover_platforms, serve_in_thread, set_day


def get(url: str, method: str = "GET") -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, method=method, data=b"" if method in ("POST", "DELETE") else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(scope="module")
def demo():
    with serve_in_thread() as url:
        yield url


@pytest.fixture(autouse=True)
def _reset(demo):
    demo.state.reset()
    demo.set_day(0)


def test_platform_modules_are_discovered():
    prefixes = {m.prefix for m in discover_platforms()}
    assert {"/olx-kz", "/olx-uz"} <= prefixes


def test_base_url_is_loopback_with_a_free_port(demo):
    assert demo.startswith("http://127.0.0.1:") and int(demo.rsplit(":", 1)[1]) > 0


def test_index_and_robots(demo):
    status, _, body = get(demo + "/")
    assert status == 200 and "/olx-kz/" in body.decode()
    status, _, body = get(demo + "/robots.txt")
    assert status == 200 and b"Disallow: /__demo/" in body


def test_unknown_prefix_is_404(demo):
    assert get(demo + "/nowhere/x")[0] == 404


def test_day_changes_over_http_and_python(demo):
    assert set_day(demo, 3) == 3 and demo.state.day == 3
    demo.set_day(1)
    status, _, body = get(demo + "/__demo/state")
    assert json.loads(body)["day"] == 1
    assert get(demo + "/__demo/day/x", "POST")[0] == 400


def test_fault_rules_and_flags(demo):
    search = demo + "/olx-kz/list/q-" + quote("рога") + "/"
    assert get(search + "?demo_fault=block")[0] == 403
    assert get(search + "?demo_fault=429")[1]["Retry-After"] == "1"
    status, _, _ = get(demo + "/__demo/fault?path=/olx-kz/list/&kind=503&times=1", "POST")
    assert status == 200
    assert get(search)[0] == 503 and get(search)[0] == 200  # `times` used up
    assert get(demo + "/__demo/fault?path=x&kind=nonsense", "POST")[0] == 400
    demo.state.add_fault("/olx-kz/list/", "410")
    assert get(search)[0] == 410
    get(demo + "/__demo/fault", "DELETE")
    assert get(search)[0] == 200


def test_flaky_fails_once_per_url(demo):
    demo.state.add_fault("/olx-kz/", "flaky")
    url = demo + "/olx-kz/list/q-" + quote("сайга") + "/"
    assert get(url)[0] == 503 and get(url)[0] == 200


def test_truncated_response_is_incomplete(demo):
    host, port = demo.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", "/olx-kz/list/q-" + quote("рога") + "/?demo_fault=truncated")
    resp = conn.getresponse()
    with pytest.raises(http.client.IncompleteRead):
        resp.read()
    conn.close()


def test_charset_faults(demo):
    url = demo + "/olx-kz/list/q-" + quote("рога") + "/?demo_fault="
    _, headers, body = get(url + "cp1251")
    assert "windows-1251" in headers["Content-Type"] and "Рога".encode("cp1251") in body
    _, headers, body = get(url + "cp1251_mislabelled")
    assert "utf-8" in headers["Content-Type"]
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_huge_and_gzip_bomb_headers(demo):
    url = demo + "/olx-kz/list/q-" + quote("рога") + "/?demo_fault="
    _, headers, _ = get(url + "huge", "HEAD")
    assert int(headers["Content-Length"]) >= server.HUGE_BYTES
    _, headers, body = get(url + "gzip_bomb")
    assert headers["Content-Encoding"] == "gzip" and len(body) < 2_000_000
    assert server.BOMB_INFLATED_BYTES > 100 * len(body)


def test_a_failing_platform_answers_500_and_the_server_lives(demo, monkeypatch):
    import types

    broken = types.ModuleType("broken")
    broken.PREFIXES = ["/broken"]
    broken.handle = lambda request, state: 1 / 0
    demo.server.mounts.insert(0, Mount("/broken", broken))
    try:
        assert get(demo + "/broken/x")[0] == 500
        assert get(demo + "/robots.txt")[0] == 200
    finally:
        demo.server.mounts.pop(0)


def test_platform_sees_request_details(demo):
    seen = {}

    def handle(request, state):
        seen.update(prefix=request.prefix, subpath=request.subpath, q=request.arg("q"), site=request.site_url,
                    day=state.day)
        return DemoResponse.json({"ok": True})

    import types

    module = types.ModuleType("probe")
    module.PREFIXES, module.handle = ["/probe"], handle
    demo.server.mounts.insert(0, Mount("/probe", module))
    try:
        demo.set_day(2)
        assert get(demo + "/probe/a/b?q=" + quote("сайга"))[0] == 200
    finally:
        demo.server.mounts.pop(0)
    assert seen == {"prefix": "/probe", "subpath": "/a/b", "q": "сайга", "site": demo + "/probe", "day": 2}


def test_command_line_entry_serves_and_prints_its_url():
    proc = subprocess.Popen([sys.executable, "-m", "demo_marketplace", "--port", "0", "--day", "1"],
                            stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("demo marketplace on http://127.0.0.1:") and "(day 1)" in first
        base = first.split()[3]
        assert json.loads(get(base + "/__demo/state")[2])["day"] == 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
