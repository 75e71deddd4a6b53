"""Word-level differences between two versions of a listing, for the version history."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class DiffPart:
    op: str  # equal | insert | delete
    text: str


def word_diff(old: str, new: str) -> list[DiffPart]:
    """The changes from `old` to `new`, word by word (whitespace kept)."""
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    parts: list[DiffPart] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(DiffPart("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            parts.append(DiffPart("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            parts.append(DiffPart("insert", "".join(b[j1:j2])))
    return parts


def changed(old: str | None, new: str | None) -> bool:
    return (old or "") != (new or "")
