"""Split a title or text into plain and highlighted segments at the classifier's character offsets."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Segment:
    text: str
    match: dict[str, Any] | None = None  # {term, role, start, end, field} for a highlighted part


def match_segments(text: str, matches: list[dict[str, Any]] | None, field: str) -> tuple[list[Segment], int]:
    """Segments of `text` with the matches of `field` highlighted; also how many matched terms are not visible.

    A match is used at its offsets when they lie inside the text and hold the matched words, else at
    the first place its words occur; overlapping matches keep the earlier (or, at the same start, the
    longer) one, and a term inside another highlight counts as shown. Rendering escapes every segment, so offsets never mix
    markup into hostile text.
    """
    text = text or ""
    usable, skipped = [], 0
    for m in matches or []:
        if not isinstance(m, dict) or m.get("field", "text") != field:
            continue
        start, end = m.get("start"), m.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
            placed = _find(text, m)
            if placed is None:
                skipped += 1
                continue
            m = {**m, "start": placed[0], "end": placed[1]}
        usable.append(m)
    usable.sort(key=lambda m: (m["start"], -(m["end"] - m["start"])))
    segments: list[Segment] = []
    pos = 0
    for m in usable:
        if m["start"] < pos:
            if m["end"] > pos and m["end"] - pos > (m["end"] - m["start"]) // 2:
                skipped += 1  # mostly outside the highlight before it: a term the reader does not see
            continue
        if m["start"] > pos:
            segments.append(Segment(text[pos:m["start"]]))
        segments.append(Segment(text[m["start"]:m["end"]], m))
        pos = m["end"]
    if pos < len(text) or not segments:
        segments.append(Segment(text[pos:]))
    return segments, skipped


def _find(text: str, match: dict[str, Any]) -> tuple[int, int] | None:
    """Where a match's words occur in the text (case-insensitive), for matches with unusable offsets."""
    words = str(match.get("text") or match.get("term") or "").strip()
    if not words:
        return None
    at = text.casefold().find(words.casefold())
    return (at, at + len(words)) if at >= 0 and len(text.casefold()) == len(text) else None
