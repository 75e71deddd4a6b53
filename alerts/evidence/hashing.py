"""sha256 in the project's `sha256:<hex>` notation for bytes, files and canonical JSON."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, BinaryIO

PREFIX = "sha256:"
CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return PREFIX + hashlib.sha256(data).hexdigest()


def sha256_stream(fh: BinaryIO, limit: int | None = None) -> tuple[str, int]:
    """Hash a stream; stop with ValueError when it is longer than `limit` bytes."""
    h = hashlib.sha256()
    size = 0
    while chunk := fh.read(CHUNK):
        size += len(chunk)
        if limit is not None and size > limit:
            raise ValueError(f"larger than the {limit}-byte limit")
        h.update(chunk)
    return PREFIX + h.hexdigest(), size


def sha256_file(path: str | Path) -> tuple[str, int]:
    with open(path, "rb") as fh:
        return sha256_stream(fh)


def canonical_json(obj: Any) -> bytes:
    """The one byte form hashed and signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def pretty_json(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, sort_keys=False, indent=2, default=str) + "\n").encode("utf-8")
