"""Cases: group listings into offers through index look-ups, and keep each case's queue summary up to date."""
from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, delete, event, func, select, update
from sqlalchemy.orm import Session

from store.fingerprints import MAX_PHASH_DISTANCE, Fingerprint, fingerprint, phash_distance, similarity, word_similarity
from store.models import Case, Classification, GroupingKey, Listing, ListingFingerprint, Review, utcnow
from store.queries import newest_classification_id_for, newest_review_id_for

log = logging.getLogger("saigawatch.cases")

TEXT_THRESHOLD = 0.7  # estimated Jaccard of the shingle sets: reposts and light edits sit well above
WORDS_THRESHOLD = 0.9  # estimated Jaccard of the bags of words (same numbers too): a reordered repost, not a look-alike
MAX_KEY_FANOUT = 40  # a photo or contact already on this many listings is too common to say "same offer"
BATCH = 500
KIND_RANK = {"text": 4, "words": 3, "photo": 2, "phone": 1, "handle": 1}
CONTENT_KINDS = ("text", "words", "photo")  # joined by what the copies show, not by who posted them
LINK_KINDS = (*CONTENT_KINDS, "phone", "handle")  # every reason grouping gives (not "first", "split", "merge")
MAX_ERROR_MESSAGES = 20
L = Listing.__table__.c  # column access that works at any migration (the grouping also runs inside 0002)


@dataclass
class GroupingStats:
    grouped: int = 0
    joined: int = 0
    new_cases: int = 0
    errors: int = 0
    error_messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"grouped": self.grouped, "joined": self.joined, "new_cases": self.new_cases, "errors": self.errors,
                "error_messages": self.error_messages}

    def error(self, listing_id: int, message: str) -> None:
        self.errors += 1
        if len(self.error_messages) < MAX_ERROR_MESSAGES:
            self.error_messages.append(f"listing {listing_id}: {message}")
        log.warning("grouping listing %s: %s", listing_id, message)


def _chunks(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _mark(connection) -> str:
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def _rows_in(connection, sql: str, values: list) -> list:
    """Run `sql` (its "IN ({})" filled with placeholders) chunk by chunk through the driver: grouping looks up
    thousands of keys per batch, and SQLAlchemy's per-value IN expansion cost more than the queries."""
    out: list = []
    mark = _mark(connection)
    for chunk in _chunks(list(values)):
        out += connection.exec_driver_sql(sql.format(", ".join([mark] * len(chunk))), tuple(chunk)).fetchall()
    return out


def pending_listing_ids(session: Session) -> list[int]:
    """Listings never grouped, or whose content changed since they were."""
    fp = ListingFingerprint.__table__.c
    rows = session.execute(select(L.id).select_from(Listing.__table__).outerjoin(
        ListingFingerprint.__table__, fp.listing_id == L.id)
        .where((fp.listing_id.is_(None)) | (fp.content_hash != L.content_hash)).order_by(L.id))
    return [r[0] for r in rows]


def group_pending(session: Session, now: dt.datetime | None = None, batch: int = BATCH) -> GroupingStats:
    """Group every listing not grouped yet (or changed), batch by batch; one bad listing never stops the rest."""
    stats = GroupingStats()
    for ids in _chunks(pending_listing_ids(session), batch):
        group_listings(session, ids, now=now, stats=stats)
    return stats


def _phashes(session: Session, ids: Iterable[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    for lid, phash in _rows_in(session.connection(), "SELECT listing_id, phash FROM images "
                               "WHERE phash IS NOT NULL AND listing_id IN ({})", sorted(ids)):
        out[lid].append(phash)
    return out


def _describe(kind: str, detail: str, other: int, sim: float | None) -> str:
    if kind == "text":
        return f"{round((sim or 0) * 100)}% same text as #{other}"
    if kind == "words":
        return f"same words reordered as #{other}"
    if kind == "photo":
        return f"same photo as #{other}"
    return f"same {kind} {detail}"


def group_listings(session: Session, ids: list[int], now: dt.datetime | None = None,
                   stats: GroupingStats | None = None) -> GroupingStats:
    """Group these listings: each joins the case of its closest earlier copy (found by index keys) or starts one."""
    stats = stats or GroupingStats()
    now = now or utcnow()
    if not ids:
        return stats
    connection = session.connection()
    rows = [SimpleNamespace(id=r[0], title=r[1], text=r[2], phones=_json_list(r[3]), handles=_json_list(r[4]),
                            case_id=r[5], content_hash=r[6], fingerprinted=r[7]) for r in _rows_in(
        connection, "SELECT l.id, l.title, l.text, l.phones, l.handles, l.case_id, l.content_hash, f.listing_id "
        "FROM listings l LEFT OUTER JOIN listing_fingerprints f ON f.listing_id = l.id WHERE l.id IN ({}) "
        "ORDER BY l.id", sorted(set(ids)))]
    rows.sort(key=lambda r: r.id)
    photos = _phashes(session, ids)
    prints: dict[int, Fingerprint] = {}
    for row in rows:
        try:
            prints[row.id] = fingerprint(row.id, row.title, row.text, photos.get(row.id), row.phones, row.handles)
        except Exception as exc:  # noqa: BLE001 - the listing still gets a case, alone
            prints[row.id] = Fingerprint(row.id, None, error=f"{type(exc).__name__}: {exc}")
        if prints[row.id].error:
            stats.error(row.id, prints[row.id].error)
    # listings grouped before (their content changed): re-index, keep them where they are unless alone
    regrouped = [r.id for r in rows if r.fingerprinted is not None]
    if regrouped:
        session.execute(delete(GroupingKey).where(GroupingKey.listing_id.in_(regrouped)))
        session.execute(delete(ListingFingerprint).where(ListingFingerprint.listing_id.in_(regrouped)))

    keys = sorted({k for f in prints.values() for k in f.keys()})
    indexed: dict[str, list[int]] = defaultdict(list)
    for key, lid in _rows_in(connection, "SELECT key, listing_id FROM grouping_keys WHERE key IN ({})", keys):
        indexed[key].append(lid)
    candidates = {lid for lids in indexed.values() for lid in lids}
    by_text = {lid for key, lids in indexed.items() if key[0] in "tw" and key[1].isdigit() for lid in lids}
    by_photo = {lid for key, lids in indexed.items() if key[0] == "p" and key[1].isdigit() for lid in lids}
    case_of: dict[int, int | None] = {}
    signatures: dict[int, bytes] = {}
    cand_photos = _phashes(session, by_photo) if by_photo else {}
    for lid, case_id, minhash in _rows_in(
            connection, "SELECT l.id, l.case_id, f.minhash FROM listings l LEFT OUTER JOIN listing_fingerprints f "
            "ON f.listing_id = l.id WHERE l.id IN ({})", sorted(candidates)):
        case_of[lid] = case_id
        if minhash is not None and lid in by_text:
            signatures[lid] = bytes(minhash)
    alone = _solo_cases(session, [r.case_id for r in rows if r.case_id])

    new_token = -1
    members: dict[int, list[int]] = defaultdict(list)  # case id or new-case token -> listing ids
    updates: list[dict[str, Any]] = []
    for row in rows:
        fp = prints[row.id]
        best = _best_match(fp, indexed, signatures, cand_photos, case_of)
        current = row.case_id
        if best is not None:
            kind, detail, other, sim, target = best
            reason = {"kind": kind, "detail": _describe(kind, detail, other, sim), "value": detail, "listing_id": other,
                      "similarity": round(sim, 3) if sim is not None else None}
            if current is None or (current in alone and current != target):
                updates.append({"id": row.id, "case_id": target, "case_reason": reason})
                members[target].append(row.id)
                case_of[row.id] = target
                stats.joined += 1
            else:
                case_of[row.id] = current
        elif current is None:
            updates.append({"id": row.id, "case_id": new_token, "case_reason": {
                "kind": "first", "detail": "first copy seen", "listing_id": None, "similarity": None}})
            members[new_token].append(row.id)
            case_of[row.id] = new_token
            new_token -= 1
        else:
            case_of[row.id] = current
        for key in fp.keys():  # later listings of this batch find this one too
            indexed[key].append(row.id)
        if fp.signature is not None:
            signatures[row.id] = fp.signature
        cand_photos[row.id] = fp.photos
        stats.grouped += 1

    tokens = sorted((t for t in members if t < 0), reverse=True)
    if tokens:
        created = session.connection().execute(Case.__table__.insert().returning(
            Case.__table__.c.id, sort_by_parameter_order=True), [
            {"created_at": now, "copies": 0, "platforms": "", "sellers": 0, "best_score": -1.0, "flagged": False,
             "status": "unreviewed", "manual": False} for _ in tokens]).scalars().all()
        real = dict(zip(tokens, created))
        stats.new_cases += len(tokens)
        for u in updates:
            if u["case_id"] < 0:
                u["case_id"] = real[u["case_id"]]
        case_of.update({lid: real.get(c, c) for lid, c in case_of.items() if c is not None and c < 0})
    if updates:
        connection = session.connection()
        mark = _mark(connection)
        as_json = mark if connection.dialect.name == "sqlite" else f"CAST({mark} AS JSON)"
        connection.exec_driver_sql(  # through the driver: SQLAlchemy's per-row parameter work cost more
            f"UPDATE listings SET case_id = {mark}, case_reason = {as_json} WHERE id = {mark}",
            [(u["case_id"], json.dumps(u["case_reason"]), u["id"]) for u in updates])
        _expire(session, Listing, [u["id"] for u in updates])
    connection = session.connection()
    _insert_keys(connection, [(k, f.listing_id) for f in prints.values() for k in f.keys()])
    mark = _mark(connection)
    at = _bound(connection, ListingFingerprint.__table__.c.grouped_at, now)
    connection.exec_driver_sql(
        f"INSERT INTO listing_fingerprints (listing_id, content_hash, minhash, grouped_at, error) "
        f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
        [(f.listing_id, r.content_hash, f.signature, at, f.error) for r in rows for f in [prints[r.id]]])
    moved_from = {r.case_id for r in rows if r.case_id} & alone
    refresh_cases(session, {c for c in case_of.values() if c is not None} | moved_from)
    if moved_from:  # a lone copy that found its case leaves an empty case behind
        session.execute(delete(Case).where(Case.id.in_(moved_from), Case.copies == 0))
    return stats


def _json_list(value) -> list:
    """A JSON list column read through the driver (SQLite gives text, PostgreSQL a list)."""
    if isinstance(value, str):
        value = json.loads(value) if value not in ("", "[]") else []
    return value if isinstance(value, list) else []


def _processor(connection, column):
    """How the column's type turns a value into what the driver gets (e.g. a UTC timestamp into SQLite's text
    form), or None when it passes as it is."""
    return column.type.dialect_impl(connection.dialect).bind_processor(connection.dialect)


def _bound(connection, column, value):
    """A value as the column's type sends it to the driver."""
    process = _processor(connection, column)
    return process(value) if process is not None else value


def _insert_keys(connection, rows: list[tuple[str, int]]) -> None:
    """Insert index keys with the driver's own executemany (the bulk of grouping's writes)."""
    mark = _mark(connection)
    sql = f"INSERT INTO grouping_keys (key, listing_id) VALUES ({mark}, {mark})"
    rows = sorted(rows)  # in the key index's order: each of its pages is visited once, not at random
    for start in range(0, len(rows), 5000):
        connection.exec_driver_sql(sql, rows[start:start + 5000])


def _solo_cases(session: Session, case_ids: list[int]) -> set[int]:
    """Of these cases, those an analyst never touched that hold one listing (it may move to a better case)."""
    out: set[int] = set()
    for chunk in _chunks(sorted(set(case_ids))):
        counts = dict(session.execute(select(L.case_id, func.count()).where(L.case_id.in_(chunk)).group_by(L.case_id)).all())
        manual = set(session.scalars(select(Case.id).where(Case.id.in_(chunk), Case.manual.is_(True))))
        reviewed = set(session.scalars(select(L.case_id).select_from(Listing.__table__.join(
            Review.__table__, Review.__table__.c.listing_id == L.id)).where(L.case_id.in_(chunk))))
        out |= {c for c in chunk if counts.get(c, 0) <= 1 and c not in manual and c not in reviewed}
    return out


def _best_match(fp: Fingerprint, indexed, signatures, cand_photos, case_of):
    """(kind, detail, listing id, similarity, case id) of the strongest link to an already grouped listing."""
    best = None
    best_rank: tuple = ()
    own_sig = fp.signature
    compared: set[tuple[str, int]] = set()
    for key in fp.keys():
        lids = [lid for lid in indexed.get(key, ()) if lid != fp.listing_id and case_of.get(lid) is not None]
        if not lids:
            continue
        kind = _key_kind(key)
        if kind not in ("text", "words") and len(indexed.get(key, ())) > MAX_KEY_FANOUT:
            continue  # too common to mean anything (a shop's hotline, a stock photo)
        for lid in lids:
            sim = None
            detail = ""
            if key.startswith("x:"):
                sim = 1.0  # the whole normalised text is the same
            elif kind in ("text", "words"):
                if (kind, lid) in compared or own_sig is None or lid not in signatures:
                    continue
                compared.add((kind, lid))
                measure, threshold = (similarity, TEXT_THRESHOLD) if kind == "text" else (word_similarity, WORDS_THRESHOLD)
                sim = measure(own_sig, signatures[lid])
                if sim < threshold:
                    continue
            elif kind == "photo":
                if not any(phash_distance(a, b) <= MAX_PHASH_DISTANCE for a in fp.photos for b in cand_photos.get(lid, ())):
                    continue
            else:
                detail = key.split(":", 1)[1]
            rank = (KIND_RANK[kind], sim or 0.0, -lid)
            if rank > best_rank:
                best_rank, best = rank, (kind, detail, lid, sim, case_of[lid])
    return best


def _key_kind(key: str) -> str:
    """What an index key stands for: text (LSH band or whole text), words (word-bag band), photo, phone, handle."""
    if key.startswith("x:"):
        return "text"
    if key[1:2].isdigit():
        return {"t": "text", "w": "words", "p": "photo"}[key[0]]
    return key.split(":", 1)[0]


# --- summaries -------------------------------------------------------------------------------------------------

@functools.cache
def _case_members_query():
    """The members of some cases with their latest classification and review (built once: constructing it cost
    more than running it when one new listing is grouped)."""
    C, R = Classification.__table__.c, Review.__table__.c
    joined = Listing.__table__.outerjoin(Classification.__table__, C.id == newest_classification_id_for(L.id)) \
        .outerjoin(Review.__table__, R.id == newest_review_id_for(L.id))
    return select(
        L.id, L.case_id, L.platform, L.seller_id, L.first_seen, L.last_seen, L.language.label("listing_language"),
        C.id.label("cls_id"), C.score, C.flagged, C.created_at.label("cls_at"), C.language, C.intent,
        R.id.label("rev_id"), R.decision, R.analyst, R.created_at.label("rev_at"))\
        .select_from(joined).where(L.case_id.in_(bindparam("case_ids", expanding=True)))


def refresh_cases(session: Session, case_ids: Iterable[int]) -> None:
    """Recompute the queue summary of these cases from their listings' latest classification and review."""
    ids = sorted({c for c in case_ids if c is not None and c > 0})
    for chunk in _chunks(ids):
        rows = session.execute(_case_members_query(), {"case_ids": chunk}).all()
        cls = {r.id: SimpleNamespace(score=r.score, flagged=r.flagged, created_at=r.cls_at, language=r.language,
                                     intent=r.intent) for r in rows if r.cls_id is not None}
        revs = {r.id: SimpleNamespace(id=r.rev_id, decision=r.decision, analyst=r.analyst, created_at=r.rev_at)
                for r in rows if r.rev_id is not None}
        by_case: dict[int, list] = defaultdict(list)
        for m in rows:
            by_case[m.case_id].append(m)
        _update_by_id(session.connection(), Case.__table__,
                      [{"id": case_id, **summarise(by_case.get(case_id, []), cls, revs)} for case_id in chunk])
    _expire(session, Case, ids)


def _update_by_id(connection, table, rows: list[dict[str, Any]]) -> None:
    """UPDATE table SET <the rows' columns> WHERE id = row["id"], through the driver's executemany, each value
    bound by its column's type (timestamps, booleans): the per-row work SQLAlchemy does cost more than the update."""
    if not rows:
        return
    names = [n for n in rows[0] if n != "id"]
    mark = _mark(connection)
    processors = [_processor(connection, table.c[n]) for n in names]
    sql = f"UPDATE {table.name} SET {', '.join(f'{n} = {mark}' for n in names)} WHERE id = {mark}"
    connection.exec_driver_sql(sql, [(*(p(r[n]) if p else r[n] for n, p in zip(names, processors)), r["id"])
                                     for r in rows])


def summarise(members: list, cls: dict, revs: dict) -> dict[str, Any]:
    """The summary columns of one case from its members' rows, latest classifications and reviews."""
    if not members:
        return {"copies": 0, "platforms": "", "sellers": 0, "best_listing_id": None, "best_score": -1.0,
                "flagged": False, "flagged_at": None, "status": "unreviewed", "decided_by": None, "decided_at": None,
                "language": None, "intent": None, "first_seen": None, "last_seen": None}
    scored = [(cls[m.id].flagged, cls[m.id].score, -m.id, m.id) for m in members if m.id in cls]
    best_id = max(scored)[3] if scored else min(m.id for m in members)
    best_cls = cls.get(best_id)
    flagged_times = [cls[m.id].created_at for m in members if m.id in cls and cls[m.id].flagged]
    newest = max((revs[m.id] for m in members if m.id in revs), key=lambda r: r.id, default=None)
    return {
        "copies": len(members),
        "platforms": ",".join(sorted({m.platform for m in members})),
        "sellers": len({m.seller_id for m in members if m.seller_id}),
        "best_listing_id": best_id,
        "best_score": float(best_cls.score) if best_cls is not None else -1.0,
        "flagged": bool(flagged_times),
        "flagged_at": max(flagged_times) if flagged_times else None,
        "status": newest.decision if newest is not None else "unreviewed",
        "decided_by": newest.analyst if newest is not None else None,
        "decided_at": newest.created_at if newest is not None else None,
        # language_of(): the classifier's language, else the listing's own (one rule for queue, stats and API)
        "language": (best_cls.language if best_cls is not None else None)
        or next((m.listing_language for m in members if m.id == best_id), None),
        "intent": best_cls.intent if best_cls is not None else None,
        "first_seen": min(m.first_seen for m in members),
        "last_seen": max(m.last_seen for m in members),
    }


def ensure_cases(session: Session, listing_ids: Iterable[int], now: dt.datetime | None = None) -> set[int]:
    """Give every listing without a case one of its own (not grouped yet); returns the cases of all these listings."""
    ids = sorted(set(listing_ids))
    out: set[int] = set()
    for chunk in _chunks(ids):
        rows = session.execute(select(L.id, L.case_id).where(L.id.in_(chunk))).all()
        out |= {r.case_id for r in rows if r.case_id}
        lonely = [r.id for r in rows if r.case_id is None]
        if not lonely:
            continue
        created = session.connection().execute(Case.__table__.insert().returning(
            Case.__table__.c.id, sort_by_parameter_order=True), [
            {"created_at": now or utcnow(), "copies": 0, "platforms": "", "sellers": 0, "best_score": -1.0,
             "flagged": False, "status": "unreviewed", "manual": False} for _ in lonely]).scalars().all()
        session.execute(update(Listing.__table__).where(L.id == bindparam("b_id")), [
            {"b_id": lid, "case_id": cid, "case_reason": {"kind": "first", "detail": "not grouped yet",
                                                          "listing_id": None, "similarity": None}}
            for lid, cid in zip(lonely, created)])
        out |= set(created)
        _expire(session, Listing, lonely)
    return out


def _expire(session: Session, model, ids: Iterable[int]) -> None:
    """Objects already loaded in the session must not show the values the core statements just replaced."""
    wanted = set(ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model) and obj.id in wanted:
            session.expire(obj)


def refresh_for_listings(session: Session, listing_ids: Iterable[int]) -> None:
    """After new classifications or reviews: make sure these listings have cases and refresh those cases."""
    ids = [i for i in set(listing_ids) if i]
    if ids:
        refresh_cases(session, ensure_cases(session, ids))


# --- the session hook: any Classification or Review written anywhere keeps its case's summary true ---------------

@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context) -> None:
    pending = session.info.setdefault("case_listings", set())
    for obj in [*session.new, *session.deleted]:
        if isinstance(obj, (Classification, Review)) and obj.listing_id:
            pending.add(obj.listing_id)
    for obj in session.dirty:
        if isinstance(obj, Review) and obj.listing_id:
            pending.add(obj.listing_id)


@event.listens_for(Session, "after_flush_postexec")
def _refresh_after_flush(session: Session, _context) -> None:
    pending = session.info.get("case_listings")
    if not pending or session.info.get("case_refreshing"):
        return
    session.info["case_listings"] = set()
    session.info["case_refreshing"] = True
    try:
        refresh_for_listings(session, pending)
    finally:
        session.info["case_refreshing"] = False


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop("case_listings", None)


# --- analysts' corrections -------------------------------------------------------------------------------------

class CaseError(ValueError):
    """A split or merge that cannot be done (unknown case or listing, last copy, same case)."""


def split_listing(session: Session, listing_id: int, now: dt.datetime | None = None) -> Case:
    """Take one listing out of its case into a case of its own; both cases become "manual" (never regrouped)."""
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise CaseError(f"no listing with id {listing_id}")
    old = listing.case_id
    if old is None or session.scalar(select(func.count()).where(L.case_id == old)) < 2:
        raise CaseError(f"listing {listing_id} is the only copy in its case: nothing to split")
    case = Case(created_at=now or utcnow(), manual=True)
    session.add(case)
    session.flush()
    listing.case_id = case.id
    listing.case_reason = {"kind": "split", "detail": f"split out of case #{old} by an analyst", "listing_id": None,
                           "similarity": None, "from_case": old}
    session.execute(update(Case).where(Case.id == old).values(manual=True))
    session.flush()
    refresh_cases(session, [old, case.id])
    return session.get(Case, case.id)


def merge_cases(session: Session, target_id: int, other_id: int) -> Case:
    """Move every listing of `other` into `target`; `other` stays as a pointer (merged_into) for old links."""
    if target_id == other_id:
        raise CaseError("a case cannot be merged with itself")
    target, other = session.get(Case, target_id), session.get(Case, other_id)
    for cid, case in ((target_id, target), (other_id, other)):
        if case is None or case.merged_into_id is not None:
            raise CaseError(f"no open case with id {cid}")
    session.execute(update(Listing.__table__).where(L.case_id == other_id).values(
        case_id=target_id, case_reason={"kind": "merge", "detail": f"case #{other_id} merged by an analyst",
                                        "listing_id": None, "similarity": None, "from_case": other_id}))
    other.merged_into_id = target_id
    target.manual = other.manual = True
    session.flush()
    _expire(session, Listing, session.scalars(select(L.id).where(L.case_id == target_id)))
    refresh_cases(session, [target_id, other_id])
    return session.get(Case, target_id)


def resolve_case(session: Session, case_id: int) -> Case | None:
    """The case with this id, following merges to the case that holds its listings now."""
    case = session.get(Case, case_id)
    hops = 0
    while case is not None and case.merged_into_id is not None and hops < 20:
        case, hops = session.get(Case, case.merged_into_id), hops + 1
    return case


# --- the pipeline step -----------------------------------------------------------------------------------------

def group_step(ctx) -> dict[str, Any]:
    """Pipeline step: group new and changed listings into cases, batch by batch.

    A batch that fails is retried one listing at a time; a listing that still fails gets a case of its own
    and the error is recorded on the run, so no listing is lost and the queue is never blocked.
    """
    from store.models import CrawlRun

    stats = GroupingStats()
    with ctx.store.session() as session:
        todo = pending_listing_ids(session)
    for ids in _chunks(todo):
        try:
            with ctx.store.session() as session:
                group_listings(session, ids, now=ctx.now, stats=stats)
        except Exception as exc:  # noqa: BLE001 - isolate the listing that breaks the batch
            log.warning("grouping a batch failed (%s); retrying one listing at a time", exc)
            for lid in ids:
                try:
                    with ctx.store.session() as session:
                        group_listings(session, [lid], now=ctx.now, stats=stats)
                except Exception as one:  # noqa: BLE001
                    stats.error(lid, f"{type(one).__name__}: {one}")
                    with ctx.store.session() as session:
                        refresh_for_listings(session, [lid])
    with ctx.store.session() as session:  # copies seen again today move their case's "last seen"
        seen = session.scalars(select(L.case_id).where(L.last_seen >= ctx.now, L.case_id.is_not(None)).distinct()).all()
        refresh_cases(session, seen)
        if stats.errors:
            run = session.get(CrawlRun, ctx.crawl_run_id)
            if run is not None:
                run.errors = [*(run.errors or []), *({"step": "group", "error": m} for m in stats.error_messages)]
    result = stats.as_dict()
    result["pending"] = len(todo)
    log.info("grouped %d listing(s): %d joined a case, %d new case(s), %d error(s)", stats.grouped, stats.joined,
             stats.new_cases, stats.errors)
    return result
