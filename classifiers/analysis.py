"""Analyse a listing (title + text): normalise, detect language, match the lexicon, derive model words and rule features."""
from __future__ import annotations

import re
from itertools import chain
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable

from classifiers.langdetect import detect_language
from classifiers.lexicon import CATEGORIES, Lexicon, Term
from classifiers.matcher import LexiconMatcher, Match, Token, tokenize
from classifiers.normalize import CJK_CHAR, Normalized, Normalizer
from classifiers.stance import letter_words, offer_report, stance_cues

FIELDS = ("title", "text")
FEATURES = ("model", "species", "product", "near", "sell", "buy", "price", "protected",
            "firearm", "souvenir", "news", "conservation", "other-horn", "medicine", "irrelevant", "title_species",
            "offer", "report", "offer_species", "protected_only")
NEAR_CHARS = 40
@dataclass
class FieldAnalysis:
    name: str
    norm: Normalized
    tokens: list[Token]
    matches: list[Match]
    forms: list[str]  # each token's form (its first field), in order


@dataclass
class Analysis:
    """Everything the rules know about one listing."""

    fields: list[FieldAnalysis]
    lang: str
    truncated: bool = False
    words: list[str] = field(default_factory=list)

    @cached_property
    def features(self) -> dict[str, float]:
        return rule_features(self)

    @cached_property
    def cues(self) -> dict[str, int]:
        """Offer-versus-report cue counts over title and text (see classifiers/stance.py)."""
        words = list(chain.from_iterable(letter_words(fa.norm.text, fa.forms, fa.norm.has_cjk, fa.norm.bmp)
                                         for fa in self.fields))
        return stance_cues(" ".join(fa.norm.text for fa in self.fields),
                           " ".join(fa.norm.original for fa in self.fields), words)

    def cue_tokens(self) -> list[str]:
        """The cues as model features: «phone», «official2» (two or more), and the language."""
        out = [f"lang:{self.lang}"]
        for kind, n in self.cues.items():
            if n:
                out.append(kind)
                if n > 1:
                    out.append(kind + "2")
        return out


def rule_features(a: Analysis) -> dict[str, float]:
    """Numeric rule evidence for the combiner (all but 'model', which the classifier adds)."""
    f = dict.fromkeys(FEATURES, 0.0)
    for fa in a.fields:
        species: list[Match] = []
        products: list[Match] = []
        for m in fa.matches:
            term = m.term
            r, w = term.role, term.weight
            if r in ("species", "disguise"):
                species.append(m)
                if w > f["species"]:
                    f["species"] = w
                if fa.name == "title":
                    f["title_species"] = 1.0
            elif r == "product":
                products.append(m)
                f["product"] = 1.0
            elif r == "intent_sell":
                f["sell"] = 1.0
            elif r == "intent_buy":
                f["buy"] = 1.0
            elif r == "price" or r == "quantity":
                if w > f["price"]:
                    f["price"] = w
            elif r == "protected_other":
                f["protected"] = 1.0
            elif r == "confounder" and term.category in CATEGORIES:
                f[term.category] = min(3.0, f[term.category] + abs(w))
        for s in species:
            if s.term.cjk and ("角" in s.term.cjk or s.term.weight >= 1.0):
                # Chinese product names (羚羊角, 羚羊角片, 玲羊角) already name the horn
                f["near"] = max(f["near"], min(1.0, s.term.weight))
            elif len(s.term.tokens) > 1:  # «киік мүйізі», «рога антилопы» name the horn themselves
                f["near"] = max(f["near"], 1.0 if s.term.role == "species" else 0.7)
            if f["near"] == 1.0:
                continue  # the most it can be
            for p in products:
                if abs(p.start - s.end) <= NEAR_CHARS or abs(s.start - p.end) <= NEAR_CHARS:
                    f["near"] = 1.0
                    break
    f["offer"], f["report"] = offer_report(a.cues)
    f["offer_species"] = f["offer"] * min(1.0, f["species"])
    f["protected_only"] = 1.0 if f["protected"] and not f["species"] else 0.0
    return f


class Analyzer:
    """Normaliser + lexicon matcher + language detector, shared by training and classification."""

    def __init__(self, lexicon: Lexicon, max_chars: int = 20_000) -> None:
        self.lexicon = lexicon
        self.normalizer = Normalizer(lexicon.emoji)
        self.matcher = LexiconMatcher(lexicon)
        self.max_chars = max_chars
        self._word_cache: dict[bool, dict[str, tuple[str, ...]]] = {False: {}, True: {}}
        terms = [*lexicon.terms, *(t for _, t in self.matcher.pattern_terms)]
        self._markers = {id(t): _markers(t) for t in terms}  # the terms live as long as the analyser

    def analyse(self, text: str, title: str | None = None, lang: str | None = None) -> Analysis:
        return self.analyse_many([(text, title, lang)])[0]

    def analyse_many(self, items: Iterable[tuple[str, str | None, str | None]]) -> list[Analysis]:
        """`analyse(text, title, lang)` of each item, done stage by stage over all items (normalise all, tokenise all,
        match all, …): each stage's tables and caches stay in the CPU's cache while it runs, which makes a batch
        about a tenth faster than item by item."""
        truncated: list[bool] = []
        values: list[tuple[str, str]] = []  # (field name, value) of every non-empty field, item after item
        counts: list[int] = []  # how many of them each item has
        langs: list[str | None] = []
        for text, title, lang in items:
            text = text or ""
            title = title or ""
            cut = False
            if len(text) > self.max_chars:
                text, cut = text[: self.max_chars], True
            if len(title) > 2000:
                title, cut = title[:2000], True
            fields = [(name, value) for name, value in (("title", title), ("text", text)) if value]
            values.extend(fields)
            counts.append(len(fields))
            truncated.append(cut)
            langs.append(lang)
        norms = list(map(self.normalizer, [value for _, value in values]))
        tokens = [tokenize(norm.text, norm.has_cjk, norm.bmp) for norm in norms]
        matches = list(map(self.matcher.match, norms, tokens))
        field_analyses = [FieldAnalysis(name, norm, toks, found, [t[0] for t in toks])
                          for (name, _), norm, toks, found in zip(values, norms, tokens, matches)]
        out = []
        pos = 0
        for n, lang, cut in zip(counts, langs, truncated):
            fields = field_analyses[pos:pos + n]
            pos += n
            a = Analysis(fields, lang or detect_language(" ".join(fa.norm.display for fa in fields)), cut)
            out.append(a)
        for a in out:
            a.words = self.model_words(a)
        return out

    def model_words(self, a: Analysis) -> list[str]:
        """The token sequence the statistical model sees: normalised words, Chinese characters (the model pairs
        neighbours, so Chinese gets character bigrams without a segmenter), and rule markers."""
        words: list[str] = []
        use_alt = a.lang != "en"
        cache = self._word_cache[use_alt]
        if len(cache) > 200_000:
            cache.clear()
        markers = self._markers
        for fa in a.fields:
            words.append("<title>" if fa.name == "title" else "<text>")
            forms = fa.forms
            if not cache.keys() >= set(forms):  # a word not seen before (the tokens' other fields follow the form)
                for tok in fa.tokens:
                    if tok[0] not in cache:
                        cache[tok[0]] = _model_tokens(tok, use_alt)
            words.extend(chain.from_iterable(map(cache.__getitem__, forms)))
            if fa.name == "title":
                for m in fa.matches:
                    words.extend(markers.get(id(m.term)) or _markers(m.term))
            else:
                words.extend([(markers.get(id(m.term)) or _markers(m.term))[0] for m in fa.matches])
        if not words:
            words.append("<empty>")
        return words


def _model_tokens(token: Token, use_alt: bool) -> tuple[str, ...]:
    """What one token becomes in the model's word sequence (it depends on the token's form only)."""
    form, _, _, alt = token
    if alt is not None and use_alt:
        return (alt,)
    if CJK_CHAR.match(form):  # a Chinese run is in a text that has Chinese: one word per character
        return tuple(form)
    if len(form) > 3 and form.isdigit():
        return (f"<num{min(len(form), 7)}>",)
    return (form,)


def _markers(term: Term) -> tuple[str, str]:
    """The model words a match of this term adds: <role> (or <category> for confounders) and its title form."""
    marker = term.category if term.role == "confounder" else term.role
    return f"<{marker}>", f"<title:{marker}>"
