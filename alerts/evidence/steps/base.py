"""What a capture step is given (CaptureJob) and what it must be (Step): a name, options, and run(job) -> dict."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from alerts.evidence.hashing import sha256_bytes

from store.models import Classification, Listing


class StepError(Exception):
    """A step could not do its job; `partial` keeps what it did write (files, notes)."""

    def __init__(self, message: str, partial: dict[str, Any] | None = None):
        super().__init__(message)
        self.partial = partial or {}


@dataclass
class CaptureJob:
    """One listing's capture: where files go, who runs it, and what earlier steps found (`facts`)."""

    settings: Any
    session: Session
    listing: Listing
    classification: Classification | None
    directory: Path  # absolute
    rel_directory: str  # relative to data_dir
    operator: str
    now: dt.datetime
    reason: str
    browser: Any = None  # BrowserSession, shared by the run
    facts: dict[str, Any] = field(default_factory=dict)
    step_results: dict[str, dict[str, Any]] = field(default_factory=dict)
    hashes: dict[str, tuple[str, int]] = field(default_factory=dict)  # rel path -> (sha256, size) as written

    @property
    def data_dir(self) -> Path:
        return self.settings.storage.data_path

    def write(self, rel: str, data: bytes) -> str:
        """Write a file into the capture directory, noting its hash for the seal; returns its relative path."""
        path = self.directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.hashes[rel] = (sha256_bytes(data), len(data))
        return rel


class Step:
    """A capture step. Subclasses set `name` and `options_key` and implement run()."""

    name: ClassVar[str]
    options_key: ClassVar[str | None] = None

    def __init__(self, settings):
        self.settings = settings
        self.options = getattr(settings.evidence, self.options_key) if self.options_key else None

    def run(self, job: CaptureJob) -> dict[str, Any]:  # pragma: no cover - interface
        raise NotImplementedError
