"""The chain of custody: an append-only, hash-chained log per listing (captured → reviewed → exported → handed
over), each entry signed with the organisation's key when it is written."""
from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.evidence import keys as keymod
from alerts.evidence.hashing import canonical_json, sha256_bytes
from store.models import CustodyEvent, CustodySigning, Listing, Review, utcnow

ACTIONS = ("captured", "reviewed", "exported", "handed_over", "registered", "note")
LEGACY = "recorded before signing was introduced (unsigned)"  # signature_status of such an entry in a bundle


def listing_key(listing: Listing) -> str:
    """A listing's identity that survives any database: '<platform>:<platform listing id>'."""
    return f"{listing.platform}:{listing.platform_listing_id}"


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def entry_hash(entry: dict[str, Any]) -> str:
    """The hash of one entry: canonical JSON of every field except entry_hash, signature and signature_status."""
    body = {k: v for k, v in entry.items() if k not in ("entry_hash", "signature", "signature_status")}
    return sha256_bytes(canonical_json(body))


def entry_of(event: CustodyEvent, key: str) -> dict[str, Any]:
    """The JSON line for an event, exactly as it was hashed, with its signature."""
    return {"listing": key, "at": _iso(event.at), "actor": event.actor, "action": event.action,
            "details": event.details or {}, "prev_hash": event.prev_hash, "entry_hash": event.entry_hash,
            "signature": event.signature}


def bundle_entry(event: CustodyEvent, key: str) -> dict[str, Any]:
    """The line written to a bundle's custody.jsonl: entry_of, and for an entry from before signing was introduced
    `signature_status` saying so in plain words (not hashed, like the signature)."""
    entry = entry_of(event, key)
    if not entry["signature"]:
        entry["signature_status"] = LEGACY
    return entry


def signing_introduced(session: Session) -> dt.datetime | None:
    """When this database began signing custody entries (None: unknown, so no entry may be unsigned)."""
    return session.scalar(select(CustodySigning.introduced_at).order_by(CustodySigning.id).limit(1))


_signer: keymod.PrivateKey | None = None


class UnsignedCustodyError(keymod.SigningKeyError):
    """A custody entry was about to be written with no signing key: entries are never stored unsigned."""


def use_signing_key(settings) -> keymod.PrivateKey | None:
    """Sign every entry this process writes from now on with the configured key (None when there is none yet)."""
    global _signer
    try:
        _signer = keymod.load_private_key(keymod.private_key_path(settings))
    except keymod.SigningKeyError:
        _signer = None
    return _signer


def signer_for(settings) -> keymod.PrivateKey:
    """The organisation's key from evidence.signing_key_path, for a process (web UI, CLI) that writes custody.

    Raises UnsignedCustodyError naming the path when there is no usable key: a chain of custody that accepts an
    unsigned link would let anyone with database access add one, so the write is refused instead."""
    try:
        return keymod.load_private_key(keymod.private_key_path(settings))
    except UnsignedCustodyError:
        raise
    except keymod.SigningKeyError as exc:
        raise UnsignedCustodyError(f"custody entries are signed when they are written, and the signing key cannot "
                                   f"be used: {exc}") from None


def sign_entry(private: keymod.PrivateKey, entry_hash_value: str) -> str:
    """'<key fingerprint> <base64 signature (keys.sign) over the entry_hash text>'."""
    return f"{keymod.key_id(private.public_key())} {keymod.b64(keymod.sign(private, entry_hash_value.encode('ascii')))}"


def check_entry_signature(entry: dict[str, Any], public: keymod.PublicKey) -> str | None:
    """None when the entry is signed by `public`; otherwise why not."""
    value = entry.get("signature")
    if not value:
        return "entry is not signed"
    kid, _, sig = str(value).partition(" ")
    if kid != keymod.key_id(public):
        return f"entry signed by key {kid}, not by the bundle's key"
    try:
        raw = base64.b64decode(sig, validate=True)
    except ValueError:
        return "signature is not base64"
    if not keymod.verify(public, str(entry.get("entry_hash", "")).encode("ascii"), raw):
        return "signature does not match the entry (forged or edited)"
    return None


def events_for(session: Session, listing_id: int) -> list[CustodyEvent]:
    return list(session.scalars(select(CustodyEvent).where(CustodyEvent.listing_id == listing_id)
                                .order_by(CustodyEvent.id)))


def append_event(session: Session, listing: Listing, action: str, actor: str,
                 details: dict[str, Any] | None = None, at: dt.datetime | None = None,
                 signer: keymod.PrivateKey | None = None, settings=None) -> CustodyEvent:
    """Add one link to the listing's chain (the previous link's hash is part of this one), signed as it is written
    with `signer`, else the key at `settings`' evidence.signing_key_path, else the key loaded by use_signing_key().

    With no key at all it raises UnsignedCustodyError and writes nothing: an unsigned link is never stored."""
    if action not in ACTIONS:
        raise ValueError(f"unknown custody action {action!r}; expected one of {', '.join(ACTIONS)}")
    if not actor:
        raise ValueError("a custody event needs an actor (who did it)")
    signer = signer or (signer_for(settings) if settings is not None else _signer)
    if signer is None:
        raise UnsignedCustodyError("custody entries are signed when they are written, and this process has no "
                                   "signing key: pass the settings (evidence.signing_key_path) or run "
                                   "'saigawatch keys generate'")
    at = (at or utcnow()).astimezone(dt.timezone.utc)
    last = session.scalars(select(CustodyEvent).where(CustodyEvent.listing_id == listing.id)
                           .order_by(CustodyEvent.id.desc()).limit(1)).first()
    prev = last.entry_hash if last else None
    event = CustodyEvent(listing_id=listing.id, at=at, actor=actor, action=action, details=details or {},
                         prev_hash=prev, entry_hash="")
    event.entry_hash = entry_hash(entry_of(event, listing_key(listing)))
    event.signature = sign_entry(signer, event.entry_hash)
    session.add(event)
    session.flush()
    return event


def sync_reviews(session: Session, listing: Listing, signer: keymod.PrivateKey | None = None) -> int:
    """Record each analyst decision not yet in the chain as a 'reviewed' link; returns how many were added."""
    done = {e.details.get("review_id") for e in events_for(session, listing.id) if e.action == "reviewed"}
    added = 0
    for review in session.scalars(select(Review).where(Review.listing_id == listing.id).order_by(Review.id)):
        if review.id in done:
            continue
        append_event(session, listing, "reviewed", review.analyst,
                     {"review_id": review.id, "decision": review.decision, "note": review.note or "",
                      "reviewed_at": _iso(review.created_at)}, signer=signer)
        added += 1
    return added


@dataclass
class ChainProblem:
    line: int  # 1-based line in custody.jsonl (0: the file as a whole)
    listing: str
    message: str

    def __str__(self) -> str:
        where = f"custody.jsonl line {self.line}" if self.line else "custody.jsonl"
        return f"{where} ({self.listing}): {self.message}"


@dataclass
class ChainCheck:
    problems: list[ChainProblem]
    counts: dict[str, int]  # entries per listing
    legacy: list[tuple[int, dict[str, Any]]]  # (line, entry) recorded before signing was introduced (unsigned)


def parse_utc(value: Any) -> dt.datetime | None:
    """A custody or manifest time ('2026-01-02T03:04:05Z') as an aware datetime; None when it is not one."""
    if not value:
        return None
    try:
        at = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo else None


def _unsigned_problem(entry: dict[str, Any], since: dt.datetime | None, signed_before: bool) -> str | None:
    """None when an unsigned entry is history from before signing was introduced; otherwise why it is refused."""
    if since is None:
        return "entry is not signed"
    at = parse_utc(entry.get("at"))
    if at is None:
        return f"entry is not signed and its time {entry.get('at')!r} is not a UTC ISO time"
    if at >= since:
        return (f"entry is not signed, and it is dated {entry['at']}, after signing was introduced "
                f"({_iso(since)}): only entries recorded before then may be unsigned (forged or appended)")
    if signed_before:
        return "entry is not signed, and it follows a signed entry: unsigned history can only come first"
    return None


def check_chain(entries: Iterable[tuple[int, dict[str, Any]]],
                anchors: dict[str, dict[str, Any]] | None = None,
                public: keymod.PublicKey | None = None,
                signing_since: dt.datetime | None = None) -> ChainCheck:
    """Check each listing's chain: every hash, every back-link, every signature (with `public`), and (with anchors
    from the signed manifest) that the first `count` links end at the anchored `head` — so an edited, reordered,
    deleted or forged entry is caught.

    An unsigned entry is accepted only as history: dated before `signing_since` (when signing was introduced) and
    before every signed entry of its listing, so the first signed entry's back-link seals it. Such entries are
    returned in `legacy`; any other unsigned entry is a problem."""
    problems: list[ChainProblem] = []
    heads: dict[str, str | None] = {}
    counts: dict[str, int] = {}
    seen_heads: dict[str, list[str]] = {}
    signed_seen: set[str] = set()
    legacy: list[tuple[int, dict[str, Any]]] = []
    for lineno, entry in entries:
        key = str(entry.get("listing", "?"))
        missing = [f for f in ("listing", "at", "actor", "action", "details", "prev_hash", "entry_hash") if f not in entry]
        if missing:
            problems.append(ChainProblem(lineno, key, f"missing field(s) {', '.join(missing)}"))
            continue
        status = entry.get("signature_status")
        if entry_hash(entry) != entry["entry_hash"]:
            problems.append(ChainProblem(lineno, key, f"entry was changed: its content does not hash to {entry['entry_hash']}"))
        elif status is not None and (entry.get("signature") or status != LEGACY):
            problems.append(ChainProblem(lineno, key, f"signature_status {status!r} does not describe this entry"))
        elif public is not None and not entry.get("signature"):
            why = _unsigned_problem(entry, signing_since, key in signed_seen)
            if why:
                problems.append(ChainProblem(lineno, key, why))
            else:
                legacy.append((lineno, entry))
        elif public is not None and (why := check_entry_signature(entry, public)):
            problems.append(ChainProblem(lineno, key, why))
        if entry.get("signature"):
            signed_seen.add(key)
        expected_prev = heads.get(key)
        if entry["prev_hash"] != expected_prev:
            problems.append(ChainProblem(lineno, key, "chain broken: prev_hash does not match the previous entry "
                                                      "(an entry was deleted, inserted or moved)"))
        heads[key] = entry["entry_hash"]
        counts[key] = counts.get(key, 0) + 1
        seen_heads.setdefault(key, []).append(entry["entry_hash"])
    for key, anchor in (anchors or {}).items():
        chain = seen_heads.get(key, [])
        n = int(anchor.get("count", 0))
        if len(chain) < n:
            problems.append(ChainProblem(0, key, f"{n - len(chain)} entr{'y' if n - len(chain) == 1 else 'ies'} "
                                                 f"missing: the signed manifest anchors {n}, the log has {len(chain)}"))
        elif n and chain[n - 1] != anchor.get("head"):
            problems.append(ChainProblem(0, key, f"entry {n} is not the one anchored in the signed manifest"))
    for key in seen_heads:
        if anchors is not None and key not in anchors:
            problems.append(ChainProblem(0, key, "entries for a listing that is not in this bundle"))
    return ChainCheck(problems, counts, legacy)


def check_listing_chain(session: Session, listing: Listing,
                        public: keymod.PublicKey | None = None) -> list[ChainProblem]:
    """Check the stored chain of one listing (e.g. after a database restore); with `public`, every signature too
    (entries from before signing was introduced in this database may be unsigned, as check_chain says)."""
    key = listing_key(listing)
    return check_chain(((i + 1, entry_of(e, key)) for i, e in enumerate(events_for(session, listing.id))),
                       public=public, signing_since=signing_introduced(session)).problems
