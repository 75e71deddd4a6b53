"""kill -9 at several moments of a crawl and of run-daily, then rerun: nothing is missing afterwards."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from alerts.evidence.keys import ensure_key
from config import load_config
from demo_marketplace.command import DEMO_CONFIG
from demo_marketplace.server import serve_in_thread

pytestmark = [pytest.mark.slow]

SAIGAWATCH = [sys.executable, "-m", "saigawatch"]
DEMO_ORIGIN = "http://127.0.0.1:8089"


def write_config(tmp: Path, base_url: str, sources: list[str], **sections) -> Path:
    """A config extending the demo one: storage in tmp, the named sources pointed at the running demo server."""
    demo = load_config(DEMO_CONFIG)
    chosen = []
    for source in demo.sources:
        if source.name in sources:
            data = source.model_dump(mode="json", exclude_defaults=True)
            for key in ("base_url", "api_url"):
                if data.get(key):
                    data[key] = data[key].replace(DEMO_ORIGIN, base_url)
            chosen.append(data)
    config = {
        "extends": str(DEMO_CONFIG),
        "storage": {"database_path": str(tmp / "sw.db"), "data_dir": str(tmp / "var")},
        "schedule": {"lock_file": str(tmp / "run.lock"), "log_file": str(tmp / "log" / "sw.log")},
        "evidence": {"signing_key_path": str(tmp / "keys" / "signing_key.pem"), "export_dir": str(tmp / "exports"),
                     **sections.pop("evidence", {})},
        "sources": chosen, **sections,
    }
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "saigawatch.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    subprocess.run([*SAIGAWATCH, "-c", str(path), "init"], check=True, capture_output=True)
    return path


def query(db: Path, sql: str):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def count(db: Path, sql: str) -> int:
    try:
        return query(db, sql)[0][0]
    except sqlite3.OperationalError:  # the schema is still being created
        return 0


def run_killed_when(args: list[str], condition, timeout: float = 240) -> bool:
    """Start `saigawatch ARGS`, SIGKILL its process group as soon as condition() holds; True if it was killed."""
    proc = subprocess.Popen([*SAIGAWATCH, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if condition():
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(0.005)
        return False
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([*SAIGAWATCH, *args], capture_output=True, text=True, timeout=600)


def crawl_state(db: Path) -> dict:
    """What a crawl produced, by platform id: versions, stored photos and page captures per listing."""
    rows = query(db, """
        SELECT l.platform || ':' || l.platform_listing_id,
               (SELECT count(*) FROM listing_versions v WHERE v.listing_id = l.id),
               (SELECT count(*) FROM images i WHERE i.listing_id = l.id AND i.sha256 IS NOT NULL),
               (SELECT count(*) > 0 FROM captures c WHERE c.listing_id = l.id)
        FROM listings l""")
    return {key: {"versions": v, "photos": p, "captured": bool(c)} for key, v, p, c in rows}


@pytest.fixture(scope="module")
def demo():
    with serve_in_thread(port=0) as base_url:
        yield base_url


SLOW_CRAWL = {"crawl": {"politeness": {"download_delay": 0.05, "concurrent_requests_per_domain": 1,
                                       "user_agent": "SaigaWatch-test", "autothrottle": False}}}


def test_crawl_killed_at_several_moments_loses_nothing(demo, tmp_path):
    sources = ["olx-kz-ru"]
    reference = write_config(tmp_path / "ref", demo, sources, **SLOW_CRAWL)
    assert run(["-c", str(reference), "crawl"]).returncode == 0
    expected = crawl_state(tmp_path / "ref" / "sw.db")
    total = len(expected)
    assert total >= 20 and sum(v["photos"] for v in expected.values()) >= 20

    config = write_config(tmp_path / "killed", demo, sources, **SLOW_CRAWL)
    db = tmp_path / "killed" / "sw.db"
    moments = [
        ("first listing stored", lambda: count(db, "SELECT count(*) FROM listings") >= 1),
        ("photos being fetched", lambda: count(db, "SELECT count(*) FROM images") >= 3),
        ("two thirds stored", lambda: count(db, "SELECT count(*) FROM listings") >= total * 2 // 3),
    ]
    killed = []
    for name, condition in moments:
        before = count(db, "SELECT count(*) FROM listings")
        if run_killed_when(["-c", str(config), "crawl"], condition):
            killed.append((name, before, count(db, "SELECT count(*) FROM listings")))
    assert len(killed) == len(moments), f"the crawl finished before a kill: {killed}"
    pending = count(db, "SELECT count(*) FROM work_owed WHERE kind = 'photos'")
    assert pending >= 1, "a crawl killed while fetching photos leaves photos pending in the database"

    assert run(["-c", str(config), "crawl"]).returncode == 0
    got = crawl_state(db)
    assert set(got) == set(expected)
    missing_photos = {k: (got[k]["photos"], v["photos"]) for k, v in expected.items() if got[k]["photos"] < v["photos"]}
    assert not missing_photos, f"listings without their photos after the rerun: {missing_photos}"
    assert all(got[k]["versions"] == v["versions"] for k, v in expected.items())
    assert all(got[k]["captured"] for k, v in expected.items() if v["captured"])
    assert count(db, "SELECT count(*) FROM work_owed WHERE kind = 'photos'") == 0


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Webhook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Webhook.received
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_run_daily_killed_between_batches_and_during_capture_loses_nothing(demo, tmp_path, webhook):
    url, received = webhook
    config = write_config(tmp_path, demo, ["olx-kz-ru"], classifier={"batch_size": 2},
                          notify={"webhook": {"enabled": True, "url": url}, "top_items": 100},
                          evidence={"screenshot": {"settle_ms": 0}, "context": {"seller_listings": False}})
    ensure_key(load_config(config))
    db = tmp_path / "sw.db"
    args = ["-c", str(config), "run-daily", "--operator", "test"]

    # 1. killed between classification batches, before anything was notified
    assert run_killed_when(args, lambda: 0 < count(db, "SELECT count(*) FROM classifications")
                           and count(db, "SELECT count(*) FROM work_owed WHERE kind = 'notify'") > 0)
    classified = count(db, "SELECT count(*) FROM classifications")
    assert 0 < classified < count(db, "SELECT count(*) FROM listings"), "killed after classification finished"
    assert received == []
    # 2. killed during an evidence capture (its folder half written)
    assert run_killed_when(args, lambda: count(db, "SELECT count(*) FROM work_owed WHERE kind = 'capture' "
                                                   "AND detail != ''") > 0)
    partial = [d for (d,) in query(db, "SELECT detail FROM work_owed WHERE kind = 'capture' AND detail != ''")]
    assert partial and received == []
    # 3. the next run does the work owed
    result = run(args)
    assert result.returncode == 0, result.stdout + result.stderr

    listings = count(db, "SELECT count(*) FROM listings")
    assert count(db, """SELECT count(*) FROM listings l WHERE NOT EXISTS (SELECT 1 FROM classifications c
                        WHERE c.listing_id = l.id AND c.content_hash = l.content_hash)""") == 0
    flagged = {lid for (lid,) in query(db, """SELECT c.listing_id FROM classifications c WHERE c.flagged
                  AND c.id = (SELECT max(id) FROM classifications WHERE listing_id = c.listing_id)""")}
    assert listings and flagged
    assert len(received) == 1
    digest = received[0]
    assert digest["flagged_count"] == len(flagged), "every flagged listing is notified, also those of the killed run"
    assert {item["listing_id"] for item in digest["flagged"]} == flagged
    uncaptured = flagged - {lid for (lid,) in query(db, "SELECT listing_id FROM evidence_captures")}
    assert not uncaptured, f"flagged listings without evidence: {uncaptured}"
    for rel in partial:
        assert not (tmp_path / "var" / rel).exists(), f"partial capture folder {rel} left behind"
    captured_dirs = {d for (d,) in query(db, "SELECT directory FROM evidence_captures")}
    on_disk = {str(p.relative_to(tmp_path / "var")) for p in (tmp_path / "var" / "evidence").glob("*/*/*")}
    assert on_disk == captured_dirs, "every capture folder belongs to a finished capture"
    assert count(db, "SELECT count(*) FROM work_owed") == 0
    doctor = run(["-c", str(config), "doctor"])  # database, WAL, logs, WARC, photos, captures: all private
    assert doctor.returncode == 0, doctor.stdout
