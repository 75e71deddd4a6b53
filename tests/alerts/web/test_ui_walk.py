"""Every review-UI page in real Chromium, in Russian and Kazakh, on a desktop and a 390×844 phone."""
from __future__ import annotations

import shutil

import pytest

from .ui_walk import CHROMIUM, CHROMIUM_ARGS, SIZES, build_showcase, english_words, login, serving, walk

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    show = build_showcase(tmp_path_factory.mktemp("showcase"))
    with serving(show.settings, show.store) as base:
        yield base, show
    show.store.dispose()


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def test_the_english_word_check_can_fail():
    assert english_words("Очередь · Queue · SaigaWatch · OLX · anna · s-100 · https://x.test/a") == ["Queue"]


# Kazakh runs on the phone (the longer words are the harder fit), Russian on the desktop; `make screenshots`
# walks all four combinations.
@pytest.mark.parametrize("lang, size", [("ru", "desktop"), ("kk", "phone")])
def test_every_page_in_the_users_language_and_fitting_the_screen(browser, site, lang, size):
    base, show = site
    reports = walk(browser, base, show.store, show.ids, lang, size)
    assert len(reports) >= 20
    english = {r.name: r.english for r in reports if r.english}
    assert not english, f"English words on {lang} pages: {english}"
    too_wide = {r.name: r.page_width for r in reports if r.page_width > r.viewport_width}
    assert not too_wide, f"pages wider than the {size} screen ({SIZES[size][0]} px): {too_wide}"
    assert all(r.header_fits for r in reports), "the log-out button is off the screen"
    if size == "phone":
        assert next(r for r in reports if r.name == "queue").scroll_y_after_load == 0  # no jump on load


def test_saved_copy_is_shown_as_a_page_with_scripts_off(browser, site):
    base, show = site
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    login(page, base)
    page.goto(f"{base}/listings/{show.ids['tg']}")
    page.click("#saved-copy-link")
    frame = page.frame_locator("iframe.replay")
    assert "150 000 тг за пару" in frame.locator("body").inner_text()  # rendered as a page, not source text
    assert page.locator("iframe.replay").get_attribute("sandbox") == ""
    inner = page.frames[1]
    assert inner.evaluate("document.title") != "x"  # the stored page's script did not run
    # the screenshot is on the listing page and loads
    page.goto(f"{base}/listings/{show.ids['tg']}")
    assert page.evaluate("document.querySelector('#screenshot img').naturalWidth") == 600
    context.close()


def test_after_a_decision_the_next_queue_item_opens(browser, site):
    base, show = site
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    login(page, base, "anna")
    page.goto(f"{base}/queue")
    first, second = page.eval_on_selector_all("#queue tbody tr.row", "rows => rows.slice(0, 2).map(r => r.dataset.id)")
    page.click(f'#queue tr[data-id="{first}"] a.title')
    page.wait_for_url(f"**/listings/{first}?**")
    page.keyboard.press("3")
    page.wait_for_url(f"**/listings/{second}?**")
    assert "Решение сохранено" in page.inner_text("main")
    context.close()
