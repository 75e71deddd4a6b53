"""Record a hand-over to police: a custody link per listing, also appended to the bundle's own custody.jsonl."""
from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

from alerts.evidence.bundlefile import check_member_name
from alerts.evidence import keys as keymod
from alerts.evidence.custody import append_event, check_listing_chain, entry_of, events_for, listing_key
from store.models import Listing

CUSTODY = "custody.jsonl"


class HandoverError(Exception):
    """The hand-over cannot be recorded (unknown listing, not a bundle, listing not in the bundle)."""


def record_handover(session, listing_ids: list[int], *, actor: str, recipient: str, number: str | None = None,
                    bundle: Path | None = None, signer: keymod.PrivateKey | None = None) -> list[dict[str, Any]]:
    """Add a signed 'handed_over' link for each listing; with `bundle`, append the same entries to its custody.jsonl.

    The appended entries continue each listing's chain and are signed with the key that signed the bundle, so
    `evidence verify` still passes and reports them as added after the export; a forged entry fails.
    """
    if signer is None:
        raise HandoverError("custody entries are signed when they are written, and no signing key is configured "
                            "(set evidence.signing_key_path or run 'saigawatch keys generate')")
    listings = []
    for lid in listing_ids:
        listing = session.get(Listing, lid)
        if listing is None:
            raise HandoverError(f"no listing with id {lid}")
        listings.append(listing)
    lines = _bundle_custody(bundle, signer) if bundle else None
    if lines is not None:
        in_bundle = {json.loads(x)["listing"] for x in lines if x.strip()}
        outside = [listing_key(x) for x in listings if listing_key(x) not in in_bundle]
        if outside:
            raise HandoverError(f"{bundle.name} does not hold {', '.join(outside)}")
    for listing in listings:
        problems = check_listing_chain(session, listing, signer.public_key())
        if problems:
            raise HandoverError(f"listing {listing.id}: the stored chain of custody does not verify: "
                                + "; ".join(str(p) for p in problems))
    entries = []
    for listing in listings:
        event = append_event(session, listing, "handed_over", actor,
                             {"to": recipient, "registration_number": number,
                              "bundle": bundle.name if bundle else None}, signer=signer)
        entries.append(entry_of(event, listing_key(listing)))
    if bundle is not None:
        missing = _missing_from_bundle(session, lines, listings, bundle)
        _rewrite_custody(bundle, lines + [json.dumps(e, ensure_ascii=False, sort_keys=True) for e in missing])
    return entries


def _bundle_custody(bundle: Path, signer: keymod.PrivateKey) -> list[str]:
    try:
        with zipfile.ZipFile(bundle) as zf:
            for info in zf.infolist():
                check_member_name(info.filename)
            bundle_key = keymod.load_public_key(zf.read("public_key.pem"), f"{bundle.name}: public_key.pem")
            if keymod.key_id(bundle_key) != keymod.key_id(signer.public_key()):
                raise HandoverError(f"{bundle.name} was signed with key {keymod.key_id(bundle_key)}, not with the "
                                    f"configured key {keymod.key_id(signer.public_key())}: entries appended now "
                                    "would not verify")
            return zf.read(CUSTODY).decode("utf-8").splitlines()
    except keymod.SigningKeyError as exc:
        raise HandoverError(str(exc)) from None
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise HandoverError(f"{bundle}: not an evidence bundle ({exc})") from None


def _missing_from_bundle(session, lines: list[str], listings: list[Listing], bundle: Path) -> list[dict[str, Any]]:
    """Every stored link that follows the bundle's last entry for each listing (e.g. an appeal's hand-over and
    this one), so the bundle's chain stays continuous."""
    heads: dict[str, str] = {}
    for line in lines:
        if line.strip():
            entry = json.loads(line)
            heads[entry["listing"]] = entry["entry_hash"]
    out = []
    for listing in listings:
        key = listing_key(listing)
        chain = [entry_of(e, key) for e in events_for(session, listing.id)]
        hashes = [e["entry_hash"] for e in chain]
        if heads.get(key) not in hashes:
            raise HandoverError(f"{bundle.name}: its custody log for {key} does not match this database")
        out += chain[hashes.index(heads[key]) + 1:]
    return out


def _rewrite_custody(bundle: Path, lines: list[str]) -> None:
    part = bundle.with_name(bundle.name + ".part")
    with zipfile.ZipFile(bundle) as zin, zipfile.ZipFile(part, "w", allowZip64=True) as zout:
        for info in zin.infolist():
            if info.filename == CUSTODY:
                zout.writestr(info, ("\n".join(lines) + "\n").encode("utf-8"))
            else:
                with zin.open(info) as src, zout.open(info, "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(part, bundle)
