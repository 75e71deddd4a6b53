"""One headless Debian chromium per capture run, driven by Playwright (never a downloaded browser).

The browser, one context and up to `concurrency` tabs are started once and reused for every listing of the run
(a tab is navigated to the next listing instead of opening a new one, so Chromium does not start a renderer per
listing); pages are captured several at a time on Playwright's async API in a thread of its own, and the results
waiting to be written are bounded (`prefetch` never holds more than `window` of them).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("saigawatch.evidence")


class BrowserUnavailable(Exception):
    """Chromium could not be started (missing binary, bad arguments)."""


@dataclass
class Shot:
    """What the browser saw of one URL."""

    url: str
    final_url: str | None = None
    status: int | None = None
    title: str = ""
    user_agent: str = ""
    captured_at: dt.datetime | None = None
    dom: bytes = b""
    png: bytes = b""
    pdf: bytes | None = None
    error: str | None = None


class BrowserSession:
    """Starts chromium on first use and keeps it (and one context) for every listing of the run; `close()` ends it.

    A launch failure is remembered, so a run with 100 flagged listings reports it once per listing
    without trying to start the browser 100 times.
    """

    def __init__(self, browser_settings, concurrency: int = 4):
        self.settings = browser_settings
        self.concurrency = max(1, concurrency)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._playwright = None
        self._browser = None
        self._context = None
        self._semaphore: asyncio.Semaphore | None = None
        self._start_lock: asyncio.Lock | None = None
        self._idle_pages: list = []  # open tabs waiting for the next listing (at most `concurrency`)
        self._user_agent = ""
        self._failure: str | None = None
        self._pending: dict[tuple[str, Any], Future] = {}
        self._lock = threading.Lock()

    @property
    def version(self) -> str | None:
        return self._browser.version if self._browser else None

    # -- the event loop thread -------------------------------------------------------------------------------

    def _run(self, coro, wait: bool = True):
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="evidence-browser", daemon=True)
                self._thread.start()
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result() if wait else future

    async def _start(self) -> None:
        """Start Playwright, chromium and the context once. The first listings' captures all arrive here together:
        without the lock each saw no context yet and launched a chromium of its own (all but one left running)."""
        if self._start_lock is None:  # made on the loop's own thread, before any await: one lock for all
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            await self._start_once()

    async def _start_once(self) -> None:
        if self._failure:
            raise BrowserUnavailable(self._failure)
        if self._context is not None:
            return
        path = Path(self.settings.executable_path)
        if not path.exists():
            self._failure = f"chromium not found at {path} (browser.executable_path); install the Debian 'chromium' package"
            raise BrowserUnavailable(self._failure)
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import async_playwright

        try:
            self._playwright = await async_playwright().start()
            self._browser = await self._playwright.chromium.launch(
                executable_path=str(path), headless=self.settings.headless, args=list(self.settings.args))
            options: dict[str, Any] = {
                "viewport": {"width": self.settings.viewport_width, "height": self.settings.viewport_height},
                "locale": self.settings.locale, "service_workers": "block", "accept_downloads": False}
            if self.settings.user_agent:
                options["user_agent"] = self.settings.user_agent
            self._context = await self._browser.new_context(**options)
            page = await self._context.new_page()
            self._user_agent = await page.evaluate("navigator.userAgent")
            self._idle_pages.append(page)
        except PlaywrightError as exc:
            self._failure = f"chromium at {path} did not start: {str(exc).splitlines()[0]}"
            await self._stop()
            raise BrowserUnavailable(self._failure) from None
        self._semaphore = asyncio.Semaphore(self.concurrency)
        log.info("browser started: chromium %s", self._browser.version)

    async def _shoot(self, url: str, options) -> Shot:
        await self._start()
        from playwright.async_api import Error as PlaywrightError

        shot = Shot(url)
        async with self._semaphore:
            page = self._idle_pages.pop() if self._idle_pages else await self._context.new_page()
            reuse = False
            try:
                shot.user_agent = self._user_agent
                timeout_ms = options.timeout_s * 1000
                try:
                    response = await page.goto(url, wait_until=options.wait_until, timeout=timeout_ms)
                except PlaywrightError as exc:
                    shot.error = f"could not open {url}: {str(exc).splitlines()[0]}"
                    return shot
                if options.settle_ms:
                    await page.wait_for_timeout(options.settle_ms)
                shot.captured_at = dt.datetime.now(dt.timezone.utc)
                shot.final_url, shot.status = page.url, (response.status if response else None)
                shot.title = await page.title()
                shot.dom = (await page.content()).encode("utf-8")
                shot.png = await page.screenshot(full_page=options.full_page, type="png", timeout=timeout_ms)
                if options.pdf:
                    shot.pdf = await page.pdf(print_background=True)
                reuse = True
            except PlaywrightError as exc:
                shot.error = f"capture of {url} failed: {str(exc).splitlines()[0]}"
            finally:
                if reuse and not page.is_closed():
                    self._idle_pages.append(page)  # the next listing navigates this tab: no new renderer
                else:
                    await page.close()  # a tab that failed is not trusted with the next listing
        return shot

    # -- what capture steps call -----------------------------------------------------------------------------

    def prefetch(self, url: str, options) -> None:
        """Start capturing `url` in the background (at most `concurrency` pages at once)."""
        key = (url, id(options))
        with self._lock:
            if key in self._pending:
                return
        future = self._run(self._shoot(url, options), wait=False)
        with self._lock:
            self._pending[key] = future

    def shot(self, url: str, options) -> Shot:
        """The capture of `url`: the prefetched one if there is one, else taken now. BrowserUnavailable if chromium
        cannot start."""
        with self._lock:
            future = self._pending.pop((url, id(options)), None)
        if future is None:
            return self._run(self._shoot(url, options))
        return future.result()

    def close(self) -> None:
        if self._loop is None:
            return
        for future in list(self._pending.values()):
            future.cancel()
        self._pending.clear()
        try:
            self._run(self._stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._loop.close()
            self._loop = self._thread = None

    async def _stop(self) -> None:
        self._idle_pages.clear()  # closed with the context
        try:
            if self._context is not None:
                await self._context.close()
            if self._browser is not None:
                await self._browser.close()
        finally:
            self._context = self._browser = None
            if self._playwright is not None:
                await self._playwright.stop()
                self._playwright = None

    def __enter__(self) -> "BrowserSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
