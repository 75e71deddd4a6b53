"""Load the per-language lexicon YAML files into validated term and pattern lists."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# libyaml's parser when PyYAML was built with it (about ten times faster: most of the model's load time)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

from classifiers.normalize import CJK, CJK_CHAR, Normalizer

ROLES = ("species", "disguise", "product", "intent_sell", "intent_buy", "price", "quantity", "confounder",
         "protected_other")
CATEGORIES = ("firearm", "souvenir", "news", "conservation", "other-horn", "medicine", "irrelevant")
POSITIVE_ROLES = ("species", "disguise", "product", "intent_sell", "intent_buy", "price", "quantity", "protected_other")
_TOKEN_RE = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+")


class LexiconError(ValueError):
    """A lexicon file is invalid; the message names the file and the entry."""


@dataclass(frozen=True)
class Term:
    """One lexicon entry, with its matching key (normalised tokens)."""

    label: str  # the term as written in the lexicon
    role: str
    weight: float
    lang: str
    category: str | None = None
    tokens: tuple[str, ...] = ()  # folded tokens; empty for Chinese substring terms
    prefix: bool = False  # the last token is a stem (written with a trailing *)
    cjk: str | None = None  # normalised Chinese string for substring terms


@dataclass(frozen=True)
class Pattern:
    name: str
    role: str
    weight: float
    regex: re.Pattern
    category: str | None = None
    lang: str = "common"


@dataclass
class Lexicon:
    """All terms and patterns of all languages, plus the emoji map and the no-fuzzy list."""

    terms: list[Term] = field(default_factory=list)
    patterns: list[Pattern] = field(default_factory=list)
    emoji: dict[str, str] = field(default_factory=dict)
    no_fuzzy: set[str] = field(default_factory=set)
    sources: dict[str, str] = field(default_factory=dict)  # file name → raw YAML text (travels with the model)

    @property
    def digest(self) -> str:
        return sources_digest(self.sources)


def sources_digest(sources: dict[str, str]) -> str:
    """Content hash of a lexicon's files (names and texts), the same before and after parsing."""
    h = hashlib.sha256()
    for name in sorted(sources):
        h.update(name.encode() + b"\0" + sources[name].encode("utf-8") + b"\0")
    return "sha256:" + h.hexdigest()


def _check(cond: bool, where: str, msg: str) -> None:
    if not cond:
        raise LexiconError(f"{where}: {msg}")


def parse_lexicon(sources: dict[str, str]) -> Lexicon:
    """Build a Lexicon from {file name: YAML text}; errors name the file and the group."""
    lex = Lexicon(sources=dict(sources))
    docs: dict[str, dict] = {}
    for name, text in sorted(sources.items()):
        try:
            data = yaml.load(text, Loader=_YAML_LOADER) or {}
        except yaml.YAMLError as exc:
            raise LexiconError(f"{name}: invalid YAML: {exc}") from None
        _check(isinstance(data, dict), name, "expected a mapping at the top level")
        unknown = set(data) - {"language", "groups", "patterns", "emoji", "no_fuzzy"}
        _check(not unknown, name, f"unknown keys {sorted(unknown)}")
        docs[name] = data
    for name, data in docs.items():
        for k, v in (data.get("emoji") or {}).items():
            lex.emoji[str(k)] = str(v)
    normalizer = Normalizer(lex.emoji)
    for name, data in docs.items():
        lang = str(data.get("language") or Path(name).stem)
        lex.no_fuzzy.update(normalizer(str(w)).text for w in data.get("no_fuzzy") or [])
        for gi, group in enumerate(data.get("groups") or []):
            where = f"{name}: groups[{gi}]"
            _check(isinstance(group, dict), where, "expected a mapping with role, weight, terms")
            unknown = set(group) - {"role", "weight", "terms", "category"}
            _check(not unknown, where, f"unknown keys {sorted(unknown)}")
            role = group.get("role")
            _check(role in ROLES, where, f"role must be one of {', '.join(ROLES)}, got {role!r}")
            category = group.get("category")
            if role == "confounder":
                _check(category in CATEGORIES, where, f"a confounder needs category in {', '.join(CATEGORIES)}")
            weight = group.get("weight", 1.0)
            _check(isinstance(weight, (int, float)), where, f"weight must be a number, got {weight!r}")
            terms = group.get("terms") or []
            _check(isinstance(terms, list) and terms, where, "terms must be a non-empty list")
            for raw in terms:
                lex.terms.append(_make_term(str(raw), role, float(weight), lang, category, normalizer, where))
        for pi, pat in enumerate(data.get("patterns") or []):
            where = f"{name}: patterns[{pi}]"
            _check(isinstance(pat, dict) and "regex" in pat and "role" in pat, where, "needs regex and role")
            _check(pat["role"] in ROLES, where, f"role must be one of {', '.join(ROLES)}")
            try:
                rx = re.compile(pat["regex"])
            except re.error as exc:
                raise LexiconError(f"{where}: invalid regex: {exc}") from None
            lex.patterns.append(Pattern(str(pat.get("name", f"pattern{pi}")), pat["role"], float(pat.get("weight", 1.0)),
                                        rx, pat.get("category"), lang))
    return lex


def _make_term(raw: str, role: str, weight: float, lang: str, category, normalizer: Normalizer, where: str) -> Term:
    prefix = raw.endswith("*")
    body = raw[:-1] if prefix else raw
    folded = normalizer(body).text.strip()
    _check(bool(folded), where, f"empty term {raw!r}")
    if CJK_CHAR.search(folded):
        return Term(raw, role, weight, lang, category, cjk=folded.replace(" ", ""))
    tokens = tuple(_TOKEN_RE.findall(folded))
    _check(bool(tokens), where, f"term {raw!r} has no letters")
    if prefix:
        _check(len(tokens[-1]) >= 3, where, f"stem {raw!r} is too short (at least 3 letters before *)")
    return Term(raw, role, weight, lang, category, tokens=tokens, prefix=prefix)


def load_lexicon(directory: str | Path) -> Lexicon:
    """Read every *.yaml file in a directory."""
    return parse_lexicon(read_lexicon_sources(directory))


def read_lexicon_sources(directory: str | Path) -> dict[str, str]:
    """{file name: YAML text} of every *.yaml file in a lexicon directory."""
    directory = Path(directory)
    if not directory.is_dir():
        raise LexiconError(f"{directory}: lexicon directory not found")
    sources = {p.name: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.yaml"))}
    if not sources:
        raise LexiconError(f"{directory}: no *.yaml lexicon files")
    return sources
