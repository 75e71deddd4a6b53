"""Step `screenshot`: open the listing in chromium; full-page PNG with URL/UTC banner, rendered DOM, optional PDF."""
from __future__ import annotations

from typing import Any

from alerts.evidence.banner import add_banner
from alerts.evidence.browser import BrowserUnavailable
from alerts.evidence.manifest import iso, software_version
from alerts.evidence.operator import operator_name
from alerts.evidence.steps.base import CaptureJob, Step, StepError
from store.models import utcnow


BANNER = {  # in the report's language, so the screenshot and the report read the same
    "ru": {"captured": "Зафиксировано", "operator": "оператор", "final_url": "Итоговый URL после перенаправлений",
           "status": "HTTP-статус"},
    "kk": {"captured": "Тіркелді", "operator": "оператор", "final_url": "Қайта бағыттаудан кейінгі соңғы URL",
           "status": "HTTP мәртебесі"},
}


class ScreenshotStep(Step):
    name = "screenshot"
    options_key = "screenshot"

    def run(self, job: CaptureJob) -> dict[str, Any]:
        if job.browser is None:
            raise StepError("no browser session was given to the capture")
        opts = self.options
        url = job.listing.url
        try:
            context = job.browser.new_context()
        except BrowserUnavailable as exc:
            raise StepError(str(exc)) from None
        from playwright.sync_api import Error as PlaywrightError

        files: list[str] = []
        facts: dict[str, Any] = {"browser": f"chromium {job.browser.version}"}
        try:
            page = context.new_page()
            facts["user_agent"] = page.evaluate("navigator.userAgent")
            timeout_ms = opts.timeout_s * 1000
            try:
                response = page.goto(url, wait_until=opts.wait_until, timeout=timeout_ms)
            except PlaywrightError as exc:
                raise StepError(f"could not open {url}: {str(exc).splitlines()[0]}", {"files": files, **facts}) from None
            if opts.settle_ms:
                page.wait_for_timeout(opts.settle_ms)
            captured_at = utcnow()
            facts.update({"captured_at": iso(captured_at), "final_url": page.url,
                          "http_status": response.status if response else None, "title": page.title()})
            files.append(job.write("browser/dom.html", page.content().encode("utf-8")))
            png = page.screenshot(full_page=opts.full_page, type="png", timeout=timeout_ms)
            words = BANNER[self.settings.evidence.report_language]
            lines = [f"URL: {url}",
                     f"{words['captured']} (UTC): {captured_at.strftime('%Y-%m-%d %H:%M:%S')} UTC · "
                     f"{words['operator']}: {operator_name(self.settings, job.operator)} · "
                     f"SaigaWatch {software_version()} · chromium {job.browser.version}"]
            if page.url != url:
                lines.insert(1, f"{words['final_url']}: {page.url}")
            if response is not None and response.status >= 400:
                lines.append(f"{words['status']}: {response.status}")
            banner_png, cut = add_banner(png, lines, opts.max_height_px)
            files.append(job.write("browser/screenshot.png", banner_png))
            facts["screenshot_cut_at_px"] = opts.max_height_px if cut else None
            if opts.pdf:
                files.append(job.write("browser/page.pdf", page.pdf(print_background=True)))
        finally:
            context.close()
        job.facts["browser"] = facts
        result = {"files": files, **facts}
        if facts.get("http_status") and facts["http_status"] >= 400:
            result["warnings"] = [f"the page answered HTTP {facts['http_status']}"]
        return result
