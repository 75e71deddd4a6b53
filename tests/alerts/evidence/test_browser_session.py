"""One chromium per BrowserSession, however many captures ask for it at once, and none left running after close."""
import os

import pytest

from alerts.evidence.browser import BrowserSession
from config import load_config


def _drivers() -> set[int]:
    """This process's Playwright driver children (one per started Playwright, each with its chromium)."""
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as fh:
                parent = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{name}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        if parent == os.getpid() and b"playwright/driver" in cmdline:
            found.add(int(name))
    return found


@pytest.mark.browser
def test_captures_arriving_together_share_one_browser_and_reuse_its_tabs(site):
    settings = load_config()
    urls = [f"{site.base_url}/d/{pid}" for pid in ("TOGETHER-1", "TOGETHER-2", "TOGETHER-3", "TOGETHER-4")]
    for url in urls:
        site.put_listing(url.rsplit("/", 1)[1], "Рога сайги")
    before = _drivers()
    session = BrowserSession(settings.browser, concurrency=4)
    try:
        for url in urls:  # the first four captures of a run, all before chromium has started
            session.prefetch(url, settings.evidence.screenshot)
        shots = [session.shot(url, settings.evidence.screenshot) for url in urls]
        assert [s.error for s in shots] == [None] * 4 and all(s.png and s.user_agent for s in shots)
        assert len(_drivers() - before) == 1, "each capture started a chromium of its own"
        again = session.shot(urls[0], settings.evidence.screenshot)  # a reused tab shows the page asked for
        assert again.error is None and again.final_url == urls[0] and b"TOGETHER-1" in again.dom
        assert len(session._idle_pages) <= 4
    finally:
        session.close()
    assert not (_drivers() - before)
