"""Work owed after a crash: recorded once, settled, and captures left incomplete by a dead process cleaned up."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

from store.listings import upsert_listing
from store.work import CAPTURE, NOTIFY, PHOTOS, owe, owed, owed_listing_ids, owner_alive, process_owner, recover_captures, settle


def _listing(session, key: str) -> int:
    return upsert_listing(session, {"platform": "olx", "platform_listing_id": key, "url": f"https://x/{key}",
                                    "title": key, "text": key}).listing.id


def _dead_owner() -> str:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return f"{socket.gethostname()}:{proc.pid}"


def test_owe_is_idempotent_and_settle_clears(store):
    with store.session() as s:
        a, b = _listing(s, "a"), _listing(s, "b")
        owe(s, NOTIFY, a)
        owe(s, NOTIFY, a)
        owe(s, NOTIFY, b)
        owe(s, PHOTOS, a)
    with store.session() as s:
        assert owed_listing_ids(s, NOTIFY) == [a, b]
        settle(s, NOTIFY, [a])
    with store.session() as s:
        assert owed_listing_ids(s, NOTIFY) == [b] and owed_listing_ids(s, PHOTOS) == [a]


def test_owner_alive():
    assert owner_alive(f"{socket.gethostname()}:{os.getppid()}")
    assert not owner_alive(_dead_owner())
    assert not owner_alive(process_owner())  # this process never began work in an earlier life
    assert owner_alive("another-host:1")
    assert not owner_alive(None) and not owner_alive("garbage")


def test_incomplete_captures_of_dead_processes_are_removed_and_owed_again(sqlite_store, tmp_path):
    data = tmp_path / "var"
    dead, live = "evidence/olx/a/20261206T000000Z", "evidence/olx/b/20261206T000001Z"
    for rel in (dead, live):
        (data / rel).mkdir(parents=True)
        (data / rel / "page.png").write_bytes(b"half")
    outside = tmp_path / "keep"
    outside.mkdir()
    with sqlite_store.session() as s:
        a, b, c = _listing(s, "a"), _listing(s, "b"), _listing(s, "c")
        owe(s, CAPTURE, a, dead, owner=_dead_owner())
        owe(s, CAPTURE, b, live, owner=f"{socket.gethostname()}:{os.getppid()}")
        owe(s, CAPTURE, c, "../keep", owner=_dead_owner())
    with sqlite_store.session() as s:
        assert sorted(recover_captures(s, data)) == [a, c]
    assert not (data / dead).exists() and (data / live / "page.png").exists() and outside.exists()
    with sqlite_store.session() as s:
        rows = {(r.listing_id, r.detail) for r in owed(s, CAPTURE)}
    assert rows == {(a, ""), (b, live), (c, "")}
