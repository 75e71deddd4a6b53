"""Run the capture chain on a listing, and the pipeline step that captures every listing flagged in the run."""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import datetime as dt
import hashlib
import logging
import os
import re
import shutil
import tempfile
import traceback
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import select

from alerts.evidence.browser import BrowserSession
from alerts.evidence.custody import UnsignedCustodyError, append_event, use_signing_key
from alerts.evidence.manifest import iso
from alerts.evidence.steps import StepError, build_chain
from alerts.evidence.steps.base import CaptureJob
from store.models import Classification, EvidenceCapture, Listing, utcnow
from store.queries import latest_classification, latest_classification_ids
from store.work import CAPTURE, owe, owed_listing_ids, process_owner, settle

log = logging.getLogger("saigawatch.evidence")


def safe_name(value: str, limit: int = 80) -> str:
    """A file-system-safe name; a short hash keeps two different ids from ending up with the same name."""
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", value).strip("._") or "x"
    if clean != value or len(clean) > limit:
        clean = f"{clean[:limit]}-{hashlib.sha256(value.encode('utf-8')).hexdigest()[:8]}"
    return clean


def capture_directory(listing: Listing, at: dt.datetime) -> str:
    """evidence/<platform>/<listing id>/<UTC time>, relative to data_dir."""
    stamp = at.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return f"evidence/{safe_name(listing.platform)}/{safe_name(listing.platform_listing_id)}/{stamp}"


STAGING = "evidence/.staging"


def staging_directory(settings) -> Path:
    """A fresh folder for one capture under data_dir/evidence/.staging, after removing those of dead processes."""
    root = settings.storage.data_path / STAGING
    root.mkdir(parents=True, exist_ok=True)
    for old in root.iterdir():
        pid = old.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_capture(settings, store, listing_id: int, *, operator: str, reason: str = "flagged",
                browser: BrowserSession | None = None, now: dt.datetime | None = None) -> EvidenceCapture:
    """Run every configured step on one listing. A failing step is recorded and the next one runs.

    Returns the EvidenceCapture row (steps: {name: {status, error?, files, ...}}).
    """
    chain = build_chain(settings)
    use_signing_key(settings)
    own_browser = browser is None and "screenshot" in settings.evidence.steps
    if own_browser:
        browser = browser_for(settings)
    try:
        with store.session() as session:
            listing = session.get(Listing, listing_id)
            if listing is None:
                raise LookupError(f"no listing with id {listing_id}")
            started = now or utcnow()
            rel = capture_directory(listing, started)
            with store.session() as owing:  # "capture incomplete" until this capture's row is written
                owe(owing, CAPTURE, listing.id, rel, owner=process_owner())
            directory = settings.storage.data_path / rel
            if directory.exists():
                raise FileExistsError(f"{directory} already exists")
            # files go to a staging folder, renamed into place only when every step has run: a capture killed
            # mid-way leaves no partial folder where evidence is expected (staging is swept on the next run)
            staging = staging_directory(settings)
            job = CaptureJob(settings=settings, session=session, listing=listing,
                             classification=latest_classification(session, listing.id), directory=staging,
                             rel_directory=rel, operator=operator, now=started, reason=reason, browser=browser)
            try:
                for step in chain:
                    job.step_results[step.name] = _run_step(step, job)
                directory.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging, directory)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            job.directory = directory
            capture = EvidenceCapture(listing_id=listing.id, started_at=started, finished_at=utcnow(), directory=rel,
                                      content_hash=listing.content_hash, steps=job.step_results,
                                      manifest_sha256=job.facts.get("manifest_sha256"), reason=reason)
            session.add(capture)
            settle(session, CAPTURE, [listing.id])
            session.flush()
            try:
                append_event(session, listing, "captured", operator, {
                    "capture_id": capture.id, "directory": rel, "reason": reason,
                    "manifest_sha256": capture.manifest_sha256,
                    "steps": {k: v["status"] for k, v in job.step_results.items()},
                })
            except UnsignedCustodyError as exc:
                # the capture is kept (the page may be gone tomorrow) but no unsigned link enters the chain
                log.warning("capture of listing %s: not entered in the chain of custody: %s", listing.id, exc)
                capture.steps = {**job.step_results, "custody": {"status": "error", "error": str(exc)}}
                session.flush()
            return capture
    finally:
        if own_browser and browser is not None:
            browser.close()


def _run_step(step, job: CaptureJob) -> dict[str, Any]:
    started = utcnow()
    try:
        result = dict(step.run(job) or {})
        result["status"] = "ok"
    except StepError as exc:
        result = {**exc.partial, "status": "error", "error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - one failed step is recorded and never stops the others
        log.debug("%s", traceback.format_exc())
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    result["started_at"] = iso(started)
    result["seconds"] = round((utcnow() - started).total_seconds(), 3)
    if result["status"] == "error":
        log.warning("capture of listing %s: step %s failed: %s", job.listing.id, step.name, result["error"])
    return result


def _listings_to_capture(settings, store, flagged_ids: list[int]) -> tuple[list[int], int]:
    """Flagged in this run (or flagged earlier and never captured), minus those whose current content is captured."""
    with store.session() as session:
        captured = {(lid, chash) for lid, chash in session.execute(
            select(EvidenceCapture.listing_id, EvidenceCapture.content_hash))}
        newest = latest_classification_ids()
        pending = session.scalars(
            select(Classification.listing_id).join(newest, newest.c.max_id == Classification.id)
            .where(Classification.flagged.is_(True))
            .where(~Classification.listing_id.in_(select(EvidenceCapture.listing_id)))).all()
        owed = owed_listing_ids(session, CAPTURE)  # captures a killed process left incomplete
        wanted = list(dict.fromkeys([*map(int, flagged_ids), *pending, *owed]))
        listings = {row.id: row for row in session.scalars(select(Listing).where(Listing.id.in_(wanted)))}
        todo = [lid for lid in wanted if lid in listings and listings[lid].removed_at is None
                and (lid, listings[lid].content_hash) not in captured]
        # auction lots that end soonest first, so none ends while waiting past max_captures_per_run
        todo.sort(key=lambda lid: (listings[lid].ends_at is None or listings[lid].ended_at is not None,
                                   listings[lid].ends_at or dt.datetime.max.replace(tzinfo=dt.timezone.utc)))
        settle(session, CAPTURE, [lid for lid in owed if lid not in todo], detail="")
        return todo, len(wanted) - len(todo)


def outside_event_loop(func, *args, **kwargs):
    """Call func here, or in a thread of its own when this thread runs an asyncio loop (Playwright's sync API
    refuses to run inside one: a web handler, an async crawler)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return func(*args, **kwargs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(func, *args, **kwargs).result()


def capture_step(ctx) -> dict[str, Any]:
    """Pipeline step: capture every listing flagged in this run (same run, before it can vanish)."""
    settings = ctx.settings
    if not settings.evidence.enabled:
        return {"captured": 0, "skipped": "evidence.enabled is false"}
    return outside_event_loop(_capture_all, ctx)


def browser_for(settings) -> BrowserSession:
    """The run's one browser, capturing evidence.screenshot.concurrency pages at once."""
    return BrowserSession(settings.browser, settings.evidence.screenshot.concurrency)


def capture_listings(settings, store, listing_ids: list[int], *, operator: str, reason: str,
                     browser: BrowserSession | None) -> Iterator[tuple[int, EvidenceCapture | Exception]]:
    """Capture the listings as a pipeline: the browser works ahead on the next pages (at most `window` screenshots
    wait in memory) while up to `concurrency` listings run their other steps (hashing, banner, signing, the TSA
    request, custody) in threads of their own. Each listing keeps its own chain and its own signed manifest and
    token, exactly as when captured alone. Yields (listing id, capture or the exception that stopped it) in the
    order given."""
    listing_ids = list(dict.fromkeys(listing_ids))  # one capture at a time per listing: its custody chain is linear
    shooting = browser is not None and "screenshot" in settings.evidence.steps
    options = settings.evidence.screenshot
    window = 2 * options.concurrency
    workers = max(1, options.concurrency) if shooting else 1
    urls: dict[int, str] = {}
    if shooting:
        with store.session() as session:
            urls = dict(session.execute(select(Listing.id, Listing.url).where(Listing.id.in_(listing_ids))).all())

    def one(listing_id: int) -> EvidenceCapture:
        return run_capture(settings, store, listing_id, operator=operator, reason=reason, browser=browser)

    def outcome(listing_id: int, future) -> tuple[int, EvidenceCapture | Exception]:
        try:
            return listing_id, future.result()
        except Exception as exc:  # noqa: BLE001 - one bad listing must not stop the others
            return listing_id, exc

    in_flight: collections.deque = collections.deque()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="evidence-capture") as pool:
        for n, listing_id in enumerate(listing_ids):
            if shooting:
                for ahead in listing_ids[n:n + window]:
                    if ahead in urls:
                        browser.prefetch(urls[ahead], options)
            in_flight.append((listing_id, pool.submit(one, listing_id)))
            if len(in_flight) >= workers:
                yield outcome(*in_flight.popleft())
        while in_flight:
            yield outcome(*in_flight.popleft())


def capture_plan(ctx) -> tuple[list[int], dict[str, Any]]:
    """The listings this run captures (at most evidence.max_captures_per_run) and the step's starting figures."""
    settings = ctx.settings
    flagged = (ctx.results.get("classify") or {}).get("flagged_listing_ids") or []
    todo, skipped = _listings_to_capture(settings, ctx.store, flagged)
    limit = settings.evidence.max_captures_per_run
    deferred = max(0, len(todo) - limit)
    stats: dict[str, Any] = {"flagged": len(flagged), "captured": 0, "already_captured": skipped, "deferred": deferred,
                             "capture_ids": [], "failed_steps": {}, "errors": []}
    return todo[:limit], stats


def _capture_all(ctx) -> dict[str, Any]:
    settings = ctx.settings
    todo, stats = capture_plan(ctx)
    with browser_for(settings) as browser:
        for listing_id, capture in capture_listings(settings, ctx.store, todo, operator=ctx.operator,
                                                    reason="flagged", browser=browser):
            if isinstance(capture, Exception):
                log.error("capture of listing %s failed: %s", listing_id, capture)
                stats["errors"].append({"listing_id": listing_id, "error": f"{type(capture).__name__}: {capture}"})
                continue
            stats["captured"] += 1
            stats["capture_ids"].append(capture.id)
            for name, step in capture.steps.items():
                if step.get("status") == "error":
                    stats["failed_steps"][name] = stats["failed_steps"].get(name, 0) + 1
                    stats["errors"].append({"listing_id": listing_id, "step": name, "error": step.get("error")})
    return stats
