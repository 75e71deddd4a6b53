"""Export a case: one signed, timestamped ZIP with every listing's captures, WACZ, custody log, report and VERIFY.txt."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from alerts.evidence import custody, keys
from alerts.evidence.capture import outside_event_loop, run_capture, safe_name
from alerts.evidence.hashing import pretty_json, sha256_file
from alerts.evidence.law import LawNotFound, law_in_force, listing_country
from alerts.evidence.operator import operator_name
from alerts.evidence.manifest import SEAL_FILES, iso, list_files, seal, software_version
from alerts.evidence.case_report import build_report
from alerts.evidence.case_report.model import ReportCase, ReportListing
from alerts.evidence.verify_text import verify_text
from alerts.evidence.wacz import Page, build_wacz
from alerts.money import price_label
from store.models import AuditEvent, EvidenceBundle, EvidenceCapture, Listing, LivenessCheck, Review, utcnow
from store.queries import latest_classification

log = logging.getLogger("saigawatch.evidence")

CUSTODY = "custody.jsonl"
STORED_SUFFIXES = (".png", ".jpg", ".jpeg", ".gz", ".wacz", ".pdf", ".zip", ".webp")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


CYRILLIC = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r", "s",
                     "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "a", "g", "q", "ng",
                     "o", "u", "u", "h", "i"]))


def transliterate(text: str) -> str:
    """Latin letters for file names: 'Дело Алматы №1' → 'Delo_Almaty_1'."""
    out = []
    for ch in text:
        low = ch.lower()
        if low in CYRILLIC:
            lat = CYRILLIC[low]
            out.append(lat.capitalize() if ch != low else lat)
        elif ch.isascii() and (ch.isalnum() or ch in "-_."):
            out.append(ch)
        else:
            out.append("_")
    return "_".join(filter(None, "".join(out).split("_")))


def case_stem(case_name: str) -> str:
    """A file stem for a case: transliterated when it has Latin or Cyrillic letters; otherwise (e.g. a Chinese-only
    name) 'case-' and a hash of the name itself, so two such cases never share a stem."""
    latin = transliterate(case_name)
    if any(ch.isalnum() for ch in latin):
        return safe_name(latin, 60)
    return "case-" + hashlib.sha256(case_name.encode("utf-8")).hexdigest()[:12]


def _refuse_unsigned_custody(session, listing: Listing, signing_key) -> None:
    """Every stored custody entry must verify with the organisation's key, except history recorded before signing
    was introduced (exported as such); one written into the database by hand (unsigned and dated later, or
    signed with another key) stops the export: it is never signed after the fact."""
    problems = custody.check_listing_chain(session, listing, signing_key.public_key())
    if problems:
        raise ExportError(f"listing {listing.id}: the stored chain of custody does not verify, so it is not exported: "
                          + "; ".join(str(p) for p in problems))


class ExportError(Exception):
    """The case cannot be exported (unknown listing, bad case name, no law for the country...)."""


def _fmt(at: dt.datetime | None) -> str:
    return at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if at else ""


def listing_json(session, listing: Listing, captures: list[EvidenceCapture]) -> dict[str, Any]:
    """listing.json: the extracted fields, seller, versions, verdicts, reviews, liveness checks and captures."""
    seller = listing.seller
    checks = session.scalars(select(LivenessCheck).where(LivenessCheck.listing_id == listing.id)
                             .order_by(LivenessCheck.id)).all()
    reviews = session.scalars(select(Review).where(Review.listing_id == listing.id).order_by(Review.id)).all()
    return {
        "platform": listing.platform, "id": listing.platform_listing_id, "url": listing.url,
        "title": listing.title, "text": listing.text, "ocr_text": listing.ocr_text,
        "price": listing.price, "currency": listing.currency, "price_text": listing.price_text,
        "quantity": (listing.extra or {}).get("quantity"), "location": listing.location,
        "phones": listing.phones or [], "handles": listing.handles or [], "language": listing.language,
        "seller": {"id": seller.platform_seller_id, "name": seller.name, "url": seller.url,
                   "phones": seller.phones or [], "handles": seller.handles or []} if seller else None,
        "posted_at": iso(listing.posted_at) if listing.posted_at else None,
        "first_seen": iso(listing.first_seen), "last_seen": iso(listing.last_seen),
        "removed_at": iso(listing.removed_at) if listing.removed_at else None,
        "auction": {"ends_at": iso(listing.ends_at) if listing.ends_at else None, "bids_count": listing.bids_count,
                    "ended_at": iso(listing.ended_at) if listing.ended_at else None,
                    "bids_by_version": [v.bids_count for v in listing.versions]}
        if listing.ends_at or listing.bids_count is not None else None,
        "search_url": listing.search_url, "source": listing.source_name, "content_hash": listing.content_hash,
        "extra": listing.extra or {},
        "case": {"id": listing.case_id, "joined_because": (listing.case_reason or {}).get("detail")},
        "versions": [{"seen_at": iso(v.seen_at), "content_hash": v.content_hash, "title": v.title, "text": v.text,
                      "price": v.price, "currency": v.currency} for v in listing.versions],
        "classifications": [{"at": iso(c.created_at), "model_version": c.model_version, "score": c.score,
                             "flagged": c.flagged, "intent": c.intent, "category": c.category,
                             "matched_terms": c.matched_terms, "explanation": c.explanation}
                            for c in listing.classifications],
        "reviews": [{"at": iso(r.created_at), "analyst": r.analyst, "decision": r.decision, "note": r.note}
                    for r in reviews],
        "liveness_checks": [{"at": iso(c.checked_at), "online": c.online, "status_code": c.status_code,
                             "content_changed": c.content_changed, "detail": c.detail} for c in checks],
        "captures": [{"at": iso(c.started_at), "reason": c.reason, "directory": f"captures/{Path(c.directory).name}",
                      "manifest_sha256": c.manifest_sha256,
                      "steps": {k: v.get("status") for k, v in (c.steps or {}).items()}} for c in captures],
    }


def _wacz_for(listing: Listing, folder: Path, captures: list[EvidenceCapture], created: dt.datetime,
              signing_key) -> bytes | None:
    warcs: dict[str, bytes] = {}
    pages: list[Page] = []
    for cap in captures:
        stamp = Path(cap.directory).name
        for rel in ("http/responses.warc.gz", "context/search.warc.gz"):
            path = folder / "captures" / stamp / rel
            if path.is_file():
                warcs[f"{stamp}-{Path(rel).name}"] = path.read_bytes()
        if (folder / "captures" / stamp / "http/responses.warc.gz").is_file():
            pages.append(Page(listing.url, iso(cap.started_at), listing.title))
    if not warcs:
        return None
    return build_wacz(warcs, pages, title=f"{listing.platform} {listing.platform_listing_id}: {listing.title}"[:200],
                      description=f"HTTP responses stored by SaigaWatch for {listing.url}",
                      software=f"SaigaWatch {software_version()}", created=created, signing_key=signing_key)


def with_case_copies(session, ids: list[int]) -> list[int]:
    """The listings asked for, each followed by the other copies in its case (reposts, other platforms)."""
    out: dict[int, None] = {}
    for lid in ids:
        out[lid] = None
        case_id = session.scalar(select(Listing.case_id).where(Listing.id == lid))
        if case_id is not None:
            out.update((i, None) for i in session.scalars(select(Listing.id).where(Listing.case_id == case_id)
                                                          .order_by(Listing.first_seen, Listing.id)))
    return list(out)


def export_case(settings, store, listing_ids: list[int], case_name: str, operator: str, language: str | None = None,
                *, now: dt.datetime | None = None, capture_missing: bool = True) -> Path:
    """Write one ZIP for the case and return its path. `language` 'kk' adds a Kazakh report to the Russian one.

    Listings never captured are captured first (browser included) when `capture_missing` is true.
    """
    language = language or settings.evidence.report_language
    if language not in ("ru", "kk"):
        raise ExportError(f"language must be 'ru' or 'kk', not {language!r}")
    case_name = (case_name or "").strip()
    if not case_name or len(case_name) > 200:
        raise ExportError("a case needs a name of 1 to 200 characters")
    ids = list(dict.fromkeys(int(i) for i in listing_ids))
    if not ids:
        raise ExportError("a case needs at least one listing")
    with store.session() as session:
        known = {lid for lid in session.scalars(select(Listing.id).where(Listing.id.in_(ids)))}
        missing = [i for i in ids if i not in known]
        if missing:
            raise ExportError(f"no listing with id {', '.join(map(str, missing))}")
        ids = with_case_copies(session, ids)  # a case is exported with every copy; the report lists each
        uncaptured = [i for i in ids if session.scalars(select(EvidenceCapture.id).where(
            EvidenceCapture.listing_id == i).limit(1)).first() is None]
    if capture_missing:
        for lid in uncaptured:
            log.info("listing %s has no capture yet: capturing it now", lid)
            outside_event_loop(run_capture, settings, store, lid, operator=operator, reason="manual")
    try:
        signing_key = keys.load_private_key(keys.private_key_path(settings))
    except keys.SigningKeyError as exc:
        raise ExportError(f"the bundle cannot be signed: {exc}") from None
    now = now or utcnow()
    export_dir = Path(settings.evidence.export_dir).expanduser()
    export_dir.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    zip_path = export_dir / f"{case_stem(case_name)}-{stamp}.zip"
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=export_dir))
    try:
        with store.session() as session:
            bundle_dir = staging / "bundle"
            bundle_dir.mkdir()
            report_items, anchors = [], {}
            listings = [session.get(Listing, i) for i in ids]
            for listing in listings:
                report_items.append(_export_listing(settings, session, listing, bundle_dir, now, signing_key))
            for listing in listings:
                _refuse_unsigned_custody(session, listing, signing_key)
                custody.sync_reviews(session, listing, signer=signing_key)
                custody.append_event(session, listing, "exported", operator,
                                     {"case": case_name, "bundle": zip_path.name, "language": language}, at=now,
                                     signer=signing_key)
            lines = []
            for listing in listings:
                key = custody.listing_key(listing)
                events = custody.events_for(session, listing.id)
                lines += [custody.bundle_entry(e, key) for e in events]
                anchors[key] = {"count": len(events), "head": events[-1].entry_hash}
            since = custody.signing_introduced(session)
            unsigned = sum(1 for line in lines if not line["signature"])
            custody_info = {"file": CUSTODY, "anchors": anchors, **({"signing_introduced": iso(since)} if since else {})}
            (bundle_dir / CUSTODY).write_text(
                "".join(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n" for line in lines), encoding="utf-8")
            timestamped = bool(settings.evidence.tsa_url)
            (bundle_dir / "VERIFY.txt").write_text(
                verify_text(case_name, now, key=signing_key.public_key(), timestamped=timestamped,
                            languages=["ru", "kk"] if language == "kk" else ["ru"], unsigned_history=unsigned),
                encoding="utf-8")
            files = list_files(bundle_dir, set(SEAL_FILES) | {CUSTODY})
            for item in report_items:
                prefix = item.key_dir + "/"
                item.report.attachments = [f for f in files if f["path"].startswith(prefix)
                                           and _is_main_attachment(f["path"])]
            case = ReportCase(case_name=case_name, organisation=settings.evidence.organisation,
                              organisation_address=settings.evidence.organisation_address,
                              organisation_contact=settings.evidence.organisation_contact,
                              signatory=settings.evidence.signatory, operator=operator_name(settings, operator),
                              generated=_fmt(now),
                              listings=[i.report for i in report_items], files=files,
                              key_id=keys.key_id(signing_key.public_key()),
                              key_algorithm=keys.algorithm_label(signing_key))
            languages = ["ru", "kk"] if language == "kk" else ["ru"]
            for lang in languages:
                (bundle_dir / f"report-{lang}.pdf").write_bytes(build_report(case, lang, now))
            sealed = seal(bundle_dir, settings, kind="bundle", created_by=operator, now=now, extra={
                "case": case_name, "languages": languages,
                "listings": [custody.listing_key(x) for x in listings],
                "custody": custody_info,
            }, exclude={CUSTODY}, require_signature=True, timestamp=True)
            if timestamped and sealed.timestamp_time is None:
                # the TSA failed: VERIFY.txt must not describe a token the bundle does not hold
                (bundle_dir / "VERIFY.txt").write_text(
                    verify_text(case_name, now, key=signing_key.public_key(), timestamped=False,
                                languages=languages, unsigned_history=unsigned), encoding="utf-8")
                sealed = seal(bundle_dir, settings, kind="bundle", created_by=operator, now=now, extra={
                    "case": case_name, "languages": languages,
                    "listings": [custody.listing_key(x) for x in listings],
                    "custody": custody_info,
                    "timestamp_error": "; ".join(sealed.errors),
                }, exclude={CUSTODY}, require_signature=True, timestamp=False)
            if not sealed.signed:
                raise ExportError("; ".join(sealed.errors) or "the bundle could not be signed")
            for err in sealed.errors:
                log.warning("export %s: %s", case_name, err)
            part = zip_path.with_name(zip_path.name + ".part")
            _write_zip(bundle_dir, part)
            os.replace(part, zip_path)
            digest, _ = sha256_file(zip_path)
            bundle = EvidenceBundle(case_name=case_name, created_at=now, created_by=operator, path=str(zip_path),
                                    sha256=digest, listing_ids=ids, language=language)
            session.add(bundle)
            session.flush()
            session.add(AuditEvent(at=now, actor=operator, action="evidence_export", object_type="evidence_bundle",
                                   object_id=str(bundle.id), details={"case": case_name, "listings": ids,
                                                                      "path": str(zip_path), "sha256": digest,
                                                                      "manifest_sha256": sealed.manifest_sha256}))
        return zip_path
    finally:
        shutil.rmtree(staging, ignore_errors=True)


MAIN_FILES = ("listing.json", "archive.wacz", "browser/screenshot.png", "browser/dom.html", "browser/page.pdf",
              "http/responses.warc.gz", "capture_env.json", "context/search.warc.gz", "manifest.json")


def _is_main_attachment(path: str) -> bool:
    return path.endswith(MAIN_FILES) or "/photos/" in path


class _Exported:
    def __init__(self, key_dir: str, report: ReportListing):
        self.key_dir = key_dir
        self.report = report


def _export_listing(settings, session, listing: Listing, bundle_dir: Path, now: dt.datetime,
                    signing_key) -> _Exported:
    key_dir = f"listings/{safe_name(listing.platform)}-{safe_name(listing.platform_listing_id)}"
    folder = bundle_dir / key_dir
    folder.mkdir(parents=True)
    captures = session.scalars(select(EvidenceCapture).where(EvidenceCapture.listing_id == listing.id)
                               .order_by(EvidenceCapture.started_at)).all()
    data_dir = settings.storage.data_path
    for cap in captures:
        src = data_dir / cap.directory
        if not src.is_dir():
            raise ExportError(f"capture {cap.id} of listing {listing.id}: directory {src} is missing")
        shutil.copytree(src, folder / "captures" / Path(cap.directory).name, symlinks=True)
    (folder / "listing.json").write_bytes(pretty_json(listing_json(session, listing, captures)))
    wacz = _wacz_for(listing, folder, captures, now, signing_key)
    if wacz:
        (folder / "archive.wacz").write_bytes(wacz)
    first_capture = captures[0].started_at if captures else now
    country = listing_country(settings, listing)
    law, law_error = None, None
    try:
        law = law_in_force(settings.law, country, first_capture.date())
    except LawNotFound as exc:
        law_error = str(exc)
        raise ExportError(f"listing {listing.id}: {exc}") from None
    verdict = latest_classification(session, listing.id)
    reviews = session.scalars(select(Review).where(Review.listing_id == listing.id).order_by(Review.id)).all()
    seller = listing.seller
    contacts = list(dict.fromkeys([*(listing.phones or []), *(listing.handles or []),
                                   *((seller.phones or []) if seller else [])]))
    capturers = {e.details.get("capture_id"): e.actor for e in custody.events_for(session, listing.id)
                 if e.action == "captured"}
    newest = captures[-1] if captures else None
    shot = folder / "captures" / Path(newest.directory).name / "browser" / "screenshot.png" if newest else None
    photos = sum(1 for cap in captures for _ in (folder / "captures" / Path(cap.directory).name / "photos").glob("*")) \
        if captures else 0
    report = ReportListing(
        key=custody.listing_key(listing), platform=listing.platform, platform_id=listing.platform_listing_id,
        url=listing.url, title=listing.title, text=listing.text or "", price=price_label(listing),
        seller=", ".join(x for x in ((seller.name if seller else None), (f"id {seller.platform_seller_id}" if seller else None),
                                     (seller.url if seller else None)) if x),
        contacts=contacts, location=listing.location or "", posted=_fmt(listing.posted_at),
        first_seen=_fmt(listing.first_seen), last_seen=_fmt(listing.last_seen), removed=_fmt(listing.removed_at) or None,
        captures=[f"{_fmt(c.started_at)} — {operator_name(settings, capturers.get(c.id, '?'))}" for c in captures],
        country=country, capture_date=first_capture.date().isoformat(),
        law=law, law_error=law_error,
        classification={"score": verdict.score, "model_version": verdict.model_version, "intent": verdict.intent,
                        "matched_terms": verdict.matched_terms or [],
                        "matches": (verdict.explanation or {}).get("matches", [])} if verdict else None,
        reviews=[{"analyst": r.analyst, "decision": r.decision, "at": _fmt(r.created_at), "note": r.note}
                 for r in reviews],
        photos=photos, screenshot=shot if shot and shot.is_file() else None)
    return _Exported(key_dir, report)


def _write_zip(root: Path, target: Path) -> None:
    """Deterministic ZIP: sorted names, fixed member times, already-compressed files stored as they are."""
    with zipfile.ZipFile(target, "w", allowZip64=True) as zf:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            info = zipfile.ZipInfo(rel, ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if rel.lower().endswith(STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
            with open(path, "rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
