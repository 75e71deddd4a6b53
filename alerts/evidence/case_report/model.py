"""The facts a report is made from, gathered by the export (the PDF code never touches the database)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ReportListing:
    key: str
    platform: str
    platform_id: str
    url: str
    title: str
    text: str
    price: str
    seller: str
    contacts: list[str]
    location: str
    posted: str
    first_seen: str
    last_seen: str
    removed: str | None
    captures: list[str]
    country: str
    capture_date: str
    law: Any | None  # LawEntry
    law_error: str | None
    classification: dict[str, Any] | None
    reviews: list[dict[str, Any]]
    photos: int
    screenshot: Path | None
    attachments: list[dict[str, Any]] = field(default_factory=list)  # {path, sha256, size}


@dataclass
class ReportCase:
    case_name: str
    organisation: str
    organisation_address: str
    organisation_contact: str
    signatory: str
    operator: str
    generated: str
    listings: list[ReportListing]
    files: list[dict[str, Any]]  # every file of the bundle except the reports and the seal
    key_id: str = ""  # fingerprint of the key that signs the bundle, printed in the appeal letter
    key_algorithm: str = "ECDSA P-384"  # or "Ed25519"
