"""Step `sign`: seal the capture directory — manifest of sha256 hashes, organisation's signature, optional RFC 3161 token."""
from __future__ import annotations

from typing import Any

from alerts.evidence.custody import listing_key
from alerts.evidence.manifest import seal
from alerts.evidence.steps.base import CaptureJob, Step, StepError


class SignStep(Step):
    name = "sign"
    options_key = "sign"

    def run(self, job: CaptureJob) -> dict[str, Any]:
        result = seal(job.directory, self.settings, kind="capture", created_by=job.operator, now=job.now,
                      extra={"listing": listing_key(job.listing), "url": job.listing.url, "reason": job.reason},
                      require_signature=self.options.require_signature, timestamp=self.options.timestamp,
                      known=job.hashes)
        job.facts["manifest_sha256"] = result.manifest_sha256
        out = {"manifest_sha256": result.manifest_sha256, "files_sealed": result.files, "signed": result.signed,
               "key_id": result.key_id, "timestamp": result.timestamp_time}
        if result.errors:
            raise StepError("; ".join(result.errors), out)
        return out
