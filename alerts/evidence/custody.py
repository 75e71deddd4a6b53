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
from store.models import CustodyEvent, Listing, Review, utcnow

ACTIONS = ("captured", "reviewed", "exported", "handed_over", "registered", "note")


def listing_key(listing: Listing) -> str:
    """A listing's identity that survives any database: '<platform>:<platform listing id>'."""
    return f"{listing.platform}:{listing.platform_listing_id}"


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def entry_hash(entry: dict[str, Any]) -> str:
    """The hash of one entry: canonical JSON of every field except entry_hash (prev_hash included)."""
    body = {k: v for k, v in entry.items() if k not in ("entry_hash", "signature")}
    return sha256_bytes(canonical_json(body))


def entry_of(event: CustodyEvent, key: str) -> dict[str, Any]:
    """The JSON line for an event, exactly as it was hashed, with its signature."""
    return {"listing": key, "at": _iso(event.at), "actor": event.actor, "action": event.action,
            "details": event.details or {}, "prev_hash": event.prev_hash, "entry_hash": event.entry_hash,
            "signature": event.signature}


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
    """'<key fingerprint> <base64 DER ECDSA-SHA256 over the entry_hash text>'."""
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


def check_chain(entries: Iterable[tuple[int, dict[str, Any]]],
                anchors: dict[str, dict[str, Any]] | None = None,
                public: keymod.PublicKey | None = None) -> tuple[list[ChainProblem], dict[str, int]]:
    """Check each listing's chain: every hash, every back-link, every signature (with `public`), and (with anchors
    from the signed manifest) that the first `count` links end at the anchored `head` — so an edited, reordered,
    deleted or forged entry is caught."""
    problems: list[ChainProblem] = []
    heads: dict[str, str | None] = {}
    counts: dict[str, int] = {}
    seen_heads: dict[str, list[str]] = {}
    for lineno, entry in entries:
        key = str(entry.get("listing", "?"))
        missing = [f for f in ("listing", "at", "actor", "action", "details", "prev_hash", "entry_hash") if f not in entry]
        if missing:
            problems.append(ChainProblem(lineno, key, f"missing field(s) {', '.join(missing)}"))
            continue
        if entry_hash(entry) != entry["entry_hash"]:
            problems.append(ChainProblem(lineno, key, f"entry was changed: its content does not hash to {entry['entry_hash']}"))
        elif public is not None and (why := check_entry_signature(entry, public)):
            problems.append(ChainProblem(lineno, key, why))
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
    return problems, counts


def check_listing_chain(session: Session, listing: Listing,
                        public: keymod.PublicKey | None = None) -> list[ChainProblem]:
    """Check the stored chain of one listing (e.g. after a database restore); with `public`, every signature too."""
    key = listing_key(listing)
    return check_chain(((i + 1, entry_of(e, key)) for i, e in enumerate(events_for(session, listing.id))),
                       public=public)[0]
