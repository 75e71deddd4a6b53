"""Step `screenshot`: open the listing in chromium; full-page PNG with URL/UTC banner, rendered DOM, optional PDF."""
from __future__ import annotations

from typing import Any

from alerts.evidence.banner import add_banner
from alerts.evidence.browser import BrowserUnavailable
from alerts.evidence.manifest import iso, software_version
from alerts.evidence.operator import operator_name
from alerts.evidence.steps.base import CaptureJob, Step, StepError


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
            shot = job.browser.shot(url, opts)
        except BrowserUnavailable as exc:
            raise StepError(str(exc)) from None
        files: list[str] = []
        facts: dict[str, Any] = {"browser": f"chromium {job.browser.version}", "user_agent": shot.user_agent}
        if shot.error:
            raise StepError(shot.error, {"files": files, **facts})
        facts.update({"captured_at": iso(shot.captured_at), "final_url": shot.final_url, "http_status": shot.status,
                      "title": shot.title})
        files.append(job.write("browser/dom.html", shot.dom))
        words = BANNER[self.settings.evidence.report_language]
        lines = [f"URL: {url}",
                 f"{words['captured']} (UTC): {shot.captured_at.strftime('%Y-%m-%d %H:%M:%S')} UTC · "
                 f"{words['operator']}: {operator_name(self.settings, job.operator)} · "
                 f"SaigaWatch {software_version()} · chromium {job.browser.version}"]
        if shot.final_url != url:
            lines.insert(1, f"{words['final_url']}: {shot.final_url}")
        if shot.status is not None and shot.status >= 400:
            lines.append(f"{words['status']}: {shot.status}")
        banner_png, cut = add_banner(shot.png, lines, opts.max_height_px)
        files.append(job.write("browser/screenshot.png", banner_png))
        facts["screenshot_cut_at_px"] = opts.max_height_px if cut else None
        if shot.pdf is not None:
            files.append(job.write("browser/page.pdf", shot.pdf))
        job.facts["browser"] = facts
        result = {"files": files, **facts}
        if shot.status and shot.status >= 400:
            result["warnings"] = [f"the page answered HTTP {shot.status}"]
        return result
