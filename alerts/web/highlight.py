"""Split a title or text into plain and highlighted segments at the classifier's character offsets."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Segment:
    text: str
    match: dict[str, Any] | None = None  # {term, role, start, end, field} for a highlighted part


def match_segments(text: str, matches: list[dict[str, Any]] | None, field: str) -> tuple[list[Segment], int]:
    """Segments of `text` with the matches of `field` highlighted; also how many matches did not fit.

    A match is used only when its offsets lie inside the text; overlapping matches keep the earlier
    (or, at the same start, the longer) one. Rendering escapes every segment, so offsets never mix
    markup into hostile text.
    """
    text = text or ""
    usable, skipped = [], 0
    for m in matches or []:
        if not isinstance(m, dict) or m.get("field", "text") != field:
            continue
        start, end = m.get("start"), m.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
            skipped += 1
            continue
        usable.append(m)
    usable.sort(key=lambda m: (m["start"], -(m["end"] - m["start"])))
    segments: list[Segment] = []
    pos = 0
    for m in usable:
        if m["start"] < pos:
            skipped += 1
            continue
        if m["start"] > pos:
            segments.append(Segment(text[pos:m["start"]]))
        segments.append(Segment(text[m["start"]:m["end"]], m))
        pos = m["end"]
    if pos < len(text) or not segments:
        segments.append(Segment(text[pos:]))
    return segments, skipped
