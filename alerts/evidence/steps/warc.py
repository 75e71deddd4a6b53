"""Step `warc`: the raw HTTP responses the crawl stored (page, API, photos) copied unchanged into the capture."""
from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select

from alerts.evidence.hashing import sha256_file
from alerts.evidence.manifest import software_version
from alerts.evidence.steps.base import CaptureJob, Step, StepError
from alerts.evidence.warcfile import RecordError, build_warc, read_member
from store.models import Capture, Image

KINDS = ("page", "api", "image", "liveness")


class WarcStep(Step):
    name = "warc"
    options_key = "warc"

    def run(self, job: CaptureJob) -> dict[str, Any]:
        listing = job.listing
        image_urls = select(Image.url).where(Image.listing_id == listing.id)
        # the listing's own responses, plus photo responses (the image pipeline may not link them to the listing)
        captures = job.session.scalars(
            select(Capture).where(
                ((Capture.listing_id == listing.id) & Capture.kind.in_(KINDS))
                | ((Capture.kind == "image") & Capture.url.in_(image_urls))
                | ((Capture.url == listing.url) & Capture.kind.in_(("page", "api"))))
            .order_by(Capture.fetched_at.desc(), Capture.id.desc())
        ).all()
        if not any(c.kind in ("page", "api") for c in captures) and listing.search_url:
            # read from a search/API response (no ad page of its own): that response is the raw capture
            source = job.session.scalars(
                select(Capture).where(Capture.url == listing.search_url)
                .order_by(Capture.fetched_at.desc(), Capture.id.desc()).limit(1)).first()
            if source is not None:
                captures = [source, *captures]
                job.facts["page_from_search_response"] = True
        newest_per_url: dict[tuple[str, str], Capture] = {}
        for cap in captures:
            newest_per_url.setdefault((cap.kind, cap.url), cap)
        chosen = sorted(newest_per_url.values(), key=lambda c: (c.fetched_at, c.id))[-self.options.max_records:]
        records, problems, files = [], [], []
        for cap in chosen:
            try:
                records.append(read_member(job.data_dir, cap))
            except RecordError as exc:
                problems.append(str(exc))
        if records:
            info = {"software": f"SaigaWatch {software_version()}", "format": "WARC File Format 1.1",
                    "description": f"responses stored by the crawl for {listing.platform} listing {listing.platform_listing_id}",
                    "operator": job.operator}
            files.append(job.write("http/responses.warc.gz", build_warc("responses.warc.gz", records, info)))
            pages = [r for r in records if r.kind in ("page", "api", "search")]
            if pages:
                main = pages[-1]
                ext = ".json" if (main.content_type or "").startswith("application/json") else ".html"
                files.append(job.write(f"http/page{ext}", main.body))
                job.facts["http_page"] = {"url": main.url, "status": main.status, "fetched_at": main.fetched_at,
                                          "record_id": main.record_id}
        job.facts["warc_records"] = [{"url": r.url, "kind": r.kind, "status": r.status, "record_id": r.record_id,
                                      "fetched_at": r.fetched_at, "capture_id": r.capture_id} for r in records]
        photos = self._photos(job, problems) if self.options.include_photos else []
        files += photos
        result = {"records": len(records), "photos": len(photos), "files": files}
        if problems:
            result["warnings"] = problems
        if job.facts.get("page_from_search_response"):
            result["note"] = "the listing was read from the search/API response that surfaced it (no ad page)"
        if not any(r.kind in ("page", "api", "search") for r in records):
            raise StepError("no stored HTTP response for the listing page" + (f" ({problems[0]})" if problems else ""),
                            result)
        return result

    def _photos(self, job: CaptureJob, problems: list[str]) -> list[str]:
        out = []
        base = job.data_dir.resolve()
        images = job.session.scalars(select(Image).where(Image.listing_id == job.listing.id).order_by(Image.id)).all()
        for n, image in enumerate(images, 1):
            if not image.path:
                if image.error:
                    problems.append(f"photo {image.url}: not downloaded ({image.error})")
                continue
            src = (base / image.path).resolve()
            if base not in src.parents or not src.is_file():
                problems.append(f"photo {image.url}: file {image.path} is missing")
                continue
            digest, _ = sha256_file(src)
            if image.sha256 and digest != image.sha256:
                problems.append(f"photo {image.url}: file {image.path} no longer matches its recorded hash")
                continue
            name = f"photos/{n:02d}-{PurePosixPath(image.path).name}"
            dest = job.directory / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            job.hashes[name] = (digest, dest.stat().st_size)  # hashed above: the seal need not read it again
            out.append(name)
        job.facts["photos"] = [{"url": i.url, "sha256": i.sha256, "path": i.path} for i in images if i.path]
        return out
