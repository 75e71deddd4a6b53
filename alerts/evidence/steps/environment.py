"""Step `environment`: capture_env.json — software, browser and user agent, operator, classifier version and score."""
from __future__ import annotations

import platform
import socket
import sys
from typing import Any

from alerts.evidence.hashing import pretty_json
from alerts.evidence.manifest import iso, software_version
from alerts.evidence.operator import operator_name
from alerts.evidence.steps.base import CaptureJob, Step


class EnvironmentStep(Step):
    name = "environment"

    def run(self, job: CaptureJob) -> dict[str, Any]:
        verdict = job.classification
        browser = job.facts.get("browser", {})
        env = {
            "software": {"name": "SaigaWatch", "version": software_version(), "python": sys.version.split()[0],
                         "os": platform.platform(), "host": socket.gethostname()},
            "browser": {"name": browser.get("browser"), "user_agent": browser.get("user_agent"),
                        "executable": self.settings.browser.executable_path} if browser else None,
            "crawler_user_agent": self.settings.crawl.politeness.user_agent,
            "operator": job.operator,
            "operator_name": operator_name(self.settings, job.operator),
            "organisation": self.settings.evidence.organisation,
            "capture": {"reason": job.reason, "started_at": iso(job.now), "directory": job.rel_directory,
                        "steps": list(self.settings.evidence.steps),
                        "step_status": {k: v.get("status") for k, v in job.step_results.items()}},
            "listing": {"platform": job.listing.platform, "id": job.listing.platform_listing_id,
                        "url": job.listing.url, "content_hash": job.listing.content_hash},
            "classifier": {"model_version": verdict.model_version, "score": round(verdict.score, 4),
                           "flagged": verdict.flagged, "intent": verdict.intent, "category": verdict.category,
                           "language": verdict.language, "matched_terms": verdict.matched_terms or [],
                           "classified_at": iso(verdict.created_at)} if verdict else None,
            "http": job.facts.get("http_page"),
            "timestamp_authority": self.settings.evidence.tsa_url,
        }
        return {"files": [job.write("capture_env.json", pretty_json(env))]}
