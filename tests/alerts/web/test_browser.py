"""The review UI in real Chromium: keyboard review flow, and hostile listings that must run nothing."""
from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest

from store import Store
from store.models import Review

from .conftest import PASSWORD, _settings_for

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def live(seeded_template, tmp_path_factory):
    """The app on a free loopback port, on its own copy of the seeded store."""
    import uvicorn

    from alerts.web.app import create_app

    template, seeded = seeded_template
    root = tmp_path_factory.mktemp("live") / "site"
    shutil.copytree(template, root)
    settings = _settings_for(root, page_size=50)
    store = Store.from_settings(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store, seeded
    server.should_exit = True
    thread.join(10)
    store.dispose()


@pytest.fixture(scope="module")
def chromium():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _login(page, base, username="anna"):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/queue")


def _decision(store, listing_id):
    with store.session() as s:
        review = s.query(Review).filter_by(listing_id=listing_id).order_by(Review.id.desc()).first()
        return review and (review.analyst, review.decision)


def test_keyboard_review_flow(chromium, live):
    base, store, seeded = live
    context = chromium.new_context(locale="en-US")
    page = context.new_page()
    _login(page, base)
    rows = page.locator("#queue tbody tr.row")
    assert rows.count() >= 4  # one row per case: the repost and the same-phone VK post sit in the top case
    assert rows.nth(0).get_attribute("class").split() == ["row", "selected"]
    # j moves down, k moves up
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    selected = page.locator("#queue tbody tr.selected")
    assert selected.get_attribute("data-id") == rows.nth(1).get_attribute("data-id")
    # ? shows the help, Escape hides it
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#help").is_visible()
    # open the selected listing with Enter, decide with "1" (confirmed sale)
    target = int(selected.get_attribute("data-id"))
    order = [rows.nth(i).get_attribute("data-id") for i in range(rows.count())]
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/listings/{target}**")
    assert page.locator("mark.m-product").count() >= 1
    page.fill("textarea[name=note]", "тот же телефон")
    page.locator("textarea[name=note]").blur()
    page.keyboard.press("1")
    # the next item of the same queue opens at once
    following = order[order.index(str(target)) + 1]
    page.wait_for_url(f"{base}/listings/{following}?back=**")
    assert _decision(store, target) == ("anna", "sale")
    assert "Decision saved: Confirmed sale" in page.locator(".flash-ok").inner_text()
    page.keyboard.press("u")  # back to the queue
    page.wait_for_url(f"{base}/queue**")
    row = page.locator(f'#queue tr[data-id="{target}"]')
    assert row.locator(".badge").inner_text() == "Confirmed sale"
    # the selection continues after the listing just decided
    rows = page.locator("#queue tbody tr.row")
    ids = [rows.nth(i).get_attribute("data-id") for i in range(rows.count())]
    assert page.locator("#queue tbody tr.selected").get_attribute("data-id") == ids[ids.index(str(target)) + 1]
    # decide straight from the queue: select that row's neighbour and press 3 (not trade)
    rows = page.locator("#queue tbody tr.row")
    other = int(rows.nth(2).get_attribute("data-id"))
    rows.nth(2).locator("td.status-cell").click()
    page.keyboard.press("3")
    badge = page.locator(f'#queue tr[data-id="{other}"] .badge')
    badge.filter(has_text="Not trade").wait_for(timeout=5000)
    assert _decision(store, other) == ("anna", "not_trade")
    assert page.locator("#queue tbody tr.selected").get_attribute("data-id") == rows.nth(3).get_attribute("data-id")
    # after a reload the queue still shows the decisions
    page.reload()
    assert page.locator(f'#queue tr[data-id="{other}"] .badge').inner_text() == "Not trade"
    context.close()


def test_hostile_listing_runs_nothing(chromium, live):
    base, store, seeded = live
    context = chromium.new_context(locale="en-US")
    page = context.new_page()
    dialogs, stray_requests = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: stray_requests.append(r.url) if not r.url.startswith(base) else None)
    _login(page, base)
    for path in ("/queue", f"/listings/{seeded.ids['xss']}", f"/captures/{seeded.capture_id}"):
        page.goto(base + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)
        assert page.evaluate("typeof window.__pwned") == "undefined", path
    # the hostile markup is shown as text, and the javascript: URL is not a link anywhere
    page.goto(f"{base}/listings/{seeded.ids['xss']}")
    assert "<script>window.__pwned = 1;" in page.locator("h1.listing-title").inner_text()
    assert "onerror=" in page.locator(".listing-text").first.inner_text()
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert page.locator(".listing-text img, .listing-text svg, h1 script").count() == 0
    # clicking around the hostile text triggers nothing either
    page.locator(".listing-text").first.click()
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == [] and stray_requests == []
    context.close()
