"""Step `context`: the search or channel page that surfaced the listing, and the seller's other stored listings."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from alerts.evidence.hashing import pretty_json
from alerts.evidence.manifest import iso, software_version
from alerts.evidence.steps.base import CaptureJob, Step, StepError
from alerts.evidence.warcfile import RecordError, build_warc, read_member
from store.models import Capture, Classification, Listing


class ContextStep(Step):
    name = "context"
    options_key = "context"

    def run(self, job: CaptureJob) -> dict[str, Any]:
        listing = job.listing
        files: list[str] = []
        warnings: list[str] = []
        if self.options.search_page:
            if not listing.search_url:
                warnings.append("the listing has no recorded search/channel page")
            else:
                cap = job.session.scalars(
                    select(Capture).where(Capture.url == listing.search_url)
                    .order_by(Capture.fetched_at.desc(), Capture.id.desc()).limit(1)).first()
                if cap is None:
                    warnings.append(f"search page {listing.search_url} was not stored by the crawl")
                else:
                    try:
                        record = read_member(job.data_dir, cap)
                        info = {"software": f"SaigaWatch {software_version()}",
                                "description": f"search/channel page that surfaced {listing.url}"}
                        files.append(job.write("context/search.warc.gz", build_warc("search.warc.gz", [record], info)))
                        files.append(job.write("context/search.html", record.body))
                        job.facts["search_page"] = {"url": cap.url, "fetched_at": record.fetched_at,
                                                    "record_id": record.record_id}
                    except RecordError as exc:
                        warnings.append(str(exc))
        if self.options.seller_listings:
            others = self._seller_listings(job)
            if others is not None:
                files.append(job.write("context/seller_listings.json", pretty_json(others)))
        result: dict[str, Any] = {"files": files}
        if warnings:
            result["warnings"] = warnings
        if self.options.search_page and listing.search_url and "search_page" not in job.facts and not files:
            raise StepError(warnings[0], result)
        return result

    def _seller_listings(self, job: CaptureJob) -> dict[str, Any] | None:
        listing = job.listing
        if listing.seller_id is None:
            return None
        seller = listing.seller
        rows = job.session.scalars(
            select(Listing).where(Listing.seller_id == listing.seller_id, Listing.id != listing.id)
            .order_by(Listing.first_seen.desc()).limit(self.options.max_seller_listings)).all()
        out = []
        for other in rows:
            verdict = job.session.scalars(select(Classification).where(Classification.listing_id == other.id)
                                          .order_by(Classification.id.desc()).limit(1)).first()
            out.append({"platform": other.platform, "id": other.platform_listing_id, "url": other.url,
                        "title": other.title, "price": other.price, "currency": other.currency,
                        "first_seen": iso(other.first_seen), "last_seen": iso(other.last_seen),
                        "removed_at": iso(other.removed_at) if other.removed_at else None,
                        "flagged": verdict.flagged if verdict else None,
                        "score": round(verdict.score, 4) if verdict else None})
        return {"seller": {"platform": seller.platform, "id": seller.platform_seller_id, "name": seller.name,
                           "url": seller.url, "phones": seller.phones or [], "handles": seller.handles or []},
                "generated_at": iso(job.now), "listings": out}
