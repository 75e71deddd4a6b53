"""One headless Debian chromium per capture run, driven by Playwright (never a downloaded browser)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("saigawatch.evidence")


class BrowserUnavailable(Exception):
    """Chromium could not be started (missing binary, bad arguments)."""


class BrowserSession:
    """Starts chromium on first use and keeps it for every listing of the run; `close()` ends it.

    A launch failure is remembered, so a run with 100 flagged listings reports it once per listing
    without trying to start the browser 100 times.
    """

    def __init__(self, browser_settings):
        self.settings = browser_settings
        self._playwright = None
        self._browser = None
        self._failure: str | None = None

    @property
    def version(self) -> str | None:
        return self._browser.version if self._browser else None

    def browser(self):
        if self._failure:
            raise BrowserUnavailable(self._failure)
        if self._browser is None:
            path = Path(self.settings.executable_path)
            if not path.exists():
                self._failure = f"chromium not found at {path} (browser.executable_path); install the Debian 'chromium' package"
                raise BrowserUnavailable(self._failure)
            from playwright.sync_api import Error as PlaywrightError
            from playwright.sync_api import sync_playwright

            try:
                self._playwright = sync_playwright().start()
                self._browser = self._playwright.chromium.launch(
                    executable_path=str(path), headless=self.settings.headless, args=list(self.settings.args))
            except PlaywrightError as exc:
                self._failure = f"chromium at {path} did not start: {str(exc).splitlines()[0]}"
                self.close()
                raise BrowserUnavailable(self._failure) from None
            log.info("browser started: chromium %s", self._browser.version)
        return self._browser

    def new_context(self, **kwargs: Any):
        options = {"viewport": {"width": self.settings.viewport_width, "height": self.settings.viewport_height},
                   "locale": self.settings.locale, "service_workers": "block", "accept_downloads": False}
        if self.settings.user_agent:
            options["user_agent"] = self.settings.user_agent
        options.update(kwargs)
        return self.browser().new_context(**options)

    def close(self) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._browser = None
            if self._playwright is not None:
                self._playwright.stop()
                self._playwright = None

    def __enter__(self) -> "BrowserSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
