"""Texts by independent writers (corpus/written/*.jsonl), validated and split 70/15/15 by a hash of their text."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

WRITTEN_DIR = Path(__file__).resolve().parent / "written"
LANGS = ("ru", "kk", "zh", "mn", "uk", "en")
CATEGORIES = ("trade", "news", "conservation", "medicine", "firearm", "souvenir", "other-horn", "other-species",
              "irrelevant")
SPLIT_OF_BUCKET = (("train", 70), ("dev", 85), ("test", 100))  # cumulative percentages


class CorpusError(ValueError):
    """A corpus file is invalid; the message names the file, line and field."""


def text_key(row: dict) -> str:
    """The identity of a text, for splitting and overlap checks: title and text with whitespace and case folded."""
    return " ".join(f"{row.get('title') or ''} {row.get('text') or ''}".lower().split())


def split_of(row: dict) -> str:
    bucket = int(hashlib.sha256(text_key(row).encode("utf-8")).hexdigest()[:8], 16) % 100
    return next(name for name, upto in SPLIT_OF_BUCKET if bucket < upto)


def _check(row, where: str) -> dict:
    if not isinstance(row, dict):
        raise CorpusError(f"{where}: expected a JSON object")
    for key in ("lang", "text", "label", "category"):
        if not isinstance(row.get(key), str):
            raise CorpusError(f"{where}: field {key!r} is required and must be a string")
    if row["lang"] not in LANGS:
        raise CorpusError(f"{where}: field 'lang' must be one of {', '.join(LANGS)}, got {row['lang']!r}")
    if row["label"] not in ("trade", "not_trade"):
        raise CorpusError(f"{where}: field 'label' must be 'trade' or 'not_trade', got {row['label']!r}")
    if row["category"] not in CATEGORIES or (row["label"] == "trade") != (row["category"] == "trade"):
        raise CorpusError(f"{where}: field 'category' {row['category']!r} does not fit label {row['label']!r}")
    return row


def load_written(directory: Path = WRITTEN_DIR) -> dict[str, list[dict]]:
    """All written texts by split; exact duplicates (same text key) are kept once, the first file winning."""
    out: dict[str, list[dict]] = {"train": [], "dev": [], "test": []}
    seen: set[str] = set()
    for path in sorted(Path(directory).glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                where = f"{path.name}:{lineno}"
                try:
                    row = _check(json.loads(line), where)
                except json.JSONDecodeError as exc:
                    raise CorpusError(f"{where}: invalid JSON: {exc.msg}") from None
                key = text_key(row)
                if key in seen:
                    continue
                seen.add(key)
                row = dict(row, id=f"{path.stem}-{lineno}", source="written",
                           intent=row.get("intent") if row["label"] == "trade" else "unknown")
                out[split_of(row)].append(row)
    return out
