"""Russian and Kazakh glosses of Chinese terms from the lexicon's glossary (no online translation)."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

GLOSSARY_FILE = Path(__file__).resolve().parents[2] / "config" / "lexicons" / "glossary" / "zh.yaml"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class GlossaryError(ValueError):
    """The glossary file is invalid; the message names the file and the term."""


@functools.lru_cache(maxsize=4)
def glossary(path: Path = GLOSSARY_FILE) -> dict[str, dict[str, str]]:
    """term → {ru, kk}; longest terms first."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    terms = data.get("terms")
    if not isinstance(terms, dict):
        raise GlossaryError(f"{path}: expected a 'terms' mapping")
    for term, glosses in terms.items():
        if not isinstance(glosses, dict) or not all(isinstance(glosses.get(k), str) for k in ("ru", "kk")):
            raise GlossaryError(f"{path}: term {term!r} needs both 'ru' and 'kk' glosses")
    return dict(sorted(terms.items(), key=lambda kv: -len(kv[0])))


def gloss_of(term: str, lang: str) -> str | None:
    """The gloss of one Chinese term (the longest glossary entry it contains), else None."""
    lang = lang if lang in ("ru", "kk") else "ru"
    entries = glossary()
    if term in entries:
        return entries[term][lang]
    for known, glosses in entries.items():
        if len(known) > 1 and known in term:
            return glosses[lang]
    return None


def glosses_for(texts: list[str], matched: list[str], lang: str, limit: int = 20) -> list[tuple[str, str]]:
    """(Chinese term, gloss) for the matched terms and the glossary's key phrases in the texts, longest first,
    without terms already inside a longer one shown."""
    joined = "\n".join(t for t in texts if t)
    if not _CJK.search(joined) and not any(_CJK.search(m or "") for m in matched):
        return []
    lang = lang if lang in ("ru", "kk") else "ru"
    found: list[tuple[str, str]] = []
    covered = joined
    for term, glosses in glossary().items():
        if len(term) > 1 and term in covered:
            found.append((term, glosses[lang]))
            covered = covered.replace(term, "\u0000")
    for term in matched:
        if _CJK.search(term or "") and all(term != f for f, _ in found) and all(term not in f for f, _ in found):
            gloss = gloss_of(term, lang)
            if gloss:
                found.append((term, gloss))
    return found[:limit]
