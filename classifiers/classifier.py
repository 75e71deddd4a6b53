"""The trade classifier: model + rules → one calibrated score, a decision, and its explanation."""
from __future__ import annotations

import gc
import json
import math
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

import spacy
from spacy.tokens import Doc

import classifiers.spacy_components  # noqa: F401  (registers the tokenizer before spacy.load)
from classifiers.analysis import FEATURES, Analysis, Analyzer
from classifiers.langdetect import LANGS
from classifiers.lexicon import load_lexicon
from classifiers.spacy_components import CATEGORY_OF, LABELS, TRADE_LABELS

SHIPPED_MODEL = Path(__file__).resolve().parent / "model"
CURRENT_FILE = "CURRENT"
_SURROGATES = re.compile("[\ud800-\udfff]")
_SAIGA_HINT = re.compile("羚羊|сайг|саиг|киік|киик|saiga|линъян|антилоп", re.I)


@contextmanager
def _no_gc():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class ModelNotFound(FileNotFoundError):
    """No trained model where one was expected."""


@dataclass
class Verdict:
    """The classifier's decision about one listing."""

    score: float
    flagged: bool
    lang: str
    intent: str  # sell | buy | unknown
    category: str  # trade | firearm | souvenir | news | other-horn | medicine | irrelevant
    matched_terms: list[str]
    explanation: dict
    model_version: str
    priority: str = "none"  # high (score over threshold) | low (flagged for a look only) | none

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Combiner:
    """Logistic combination of the model's trade logit and the rule features (fitted on the dev split)."""

    weights: dict[str, float]
    bias: float
    threshold: float
    features: list[str] = field(default_factory=lambda: list(FEATURES))

    def logit(self, x: dict[str, float]) -> float:
        return self.bias + sum(self.weights.get(k, 0.0) * x.get(k, 0.0) for k in self.features)

    def score(self, x: dict[str, float]) -> float:
        return _sigmoid(self.logit(x))

    def contributions(self, x: dict[str, float]) -> dict[str, float]:
        return {k: round(self.weights[k] * x[k], 3) for k in self.features if x.get(k) and self.weights.get(k)}

    @classmethod
    def load(cls, path: Path) -> "Combiner":
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["weights"], data["bias"], data["threshold"], data.get("features", list(FEATURES)))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"weights": self.weights, "bias": self.bias, "threshold": self.threshold,
                                    "features": self.features}, indent=2), encoding="utf-8")


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def model_logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def resolve_model_dir(model_dir: str | Path | None) -> Path:
    """A model directory (with meta.json), a versions directory (with CURRENT), or the shipped model."""
    if model_dir:
        path = Path(model_dir).expanduser()
        if (path / "meta.json").is_file():
            return path
        current = path / CURRENT_FILE
        if current.is_file():
            chosen = path / current.read_text(encoding="utf-8").strip()
            if (chosen / "meta.json").is_file():
                return chosen
            raise ModelNotFound(f"{current}: points to {chosen.name}, which is not a trained model")
    if (SHIPPED_MODEL / "meta.json").is_file():
        return SHIPPED_MODEL
    raise ModelNotFound(f"no trained model in {model_dir or SHIPPED_MODEL}; run `saigawatch train`")


class Classifier:
    """Load once, then call `classify` (or `classify_many` for batches)."""

    def __init__(self, model_path: Path, lexicon_dir: str | Path | None = None, threshold: float | None = None,
                 low_priority_categories: Iterable[str] = ("medicine",), max_chars: int | None = None) -> None:
        self.model_path = Path(model_path)
        self.meta = json.loads((self.model_path / "meta.json").read_text(encoding="utf-8"))
        self.nlp = spacy.load(self.model_path / "nlp")
        self.textcat = self.nlp.get_pipe("textcat")
        self.combiner = Combiner.load(self.model_path / "combiner.json")
        self.threshold = self.combiner.threshold if threshold is None else float(threshold)
        self.low_priority = set(low_priority_categories)
        self.version = str(self.meta["version"])
        analyzer = self.nlp.tokenizer.analyzer
        if lexicon_dir is not None:
            lexicon = load_lexicon(lexicon_dir)
            if lexicon.digest != analyzer.lexicon.digest:
                # the configured lexicon differs from the one the model was trained with: say so in the version
                analyzer = Analyzer(lexicon)
                self.version = f"{self.version}+lex.{lexicon.digest[7:15]}"
        if max_chars:
            analyzer.max_chars = int(max_chars)
        self.analyzer = analyzer
        gc.freeze()  # the loaded model lives as long as the process: keep it out of every GC pass

    # -- public API ------------------------------------------------------------------------
    def classify(self, text: str, title: str | None = None, lang: str | None = None) -> Verdict:
        return self.classify_many([{"text": text, "title": title, "lang": lang}])[0]

    def classify_many(self, items: list[dict], batch_size: int = 256) -> list[Verdict]:
        """Classify dicts with "text" and optional "title", "lang"; order is kept. Works in chunks to bound memory."""
        out: list[Verdict] = []
        for start in range(0, len(items), batch_size):
            with _no_gc():  # a batch allocates many short-lived, acyclic objects: the cyclic GC only costs time
                analyses = [self._analyse(it) for it in items[start:start + batch_size]]
                docs = self.textcat.pipe((Doc(self.nlp.vocab, words=a.words) for a in analyses), batch_size=batch_size)
                out.extend(self._verdict(a, d.cats) for a, d in zip(analyses, docs))
        return out

    # -- internals -------------------------------------------------------------------------
    def _analyse(self, item: dict) -> Analysis:
        text = item.get("text") or ""
        title = item.get("title") or None
        text = _SURROGATES.sub("\ufffd", text)
        if title:
            title = _SURROGATES.sub("\ufffd", title)
        lang = item.get("lang")
        return self.analyzer.analyse(text, title, lang if lang in LANGS else None)

    def features(self, a: Analysis, cats: dict[str, float]) -> dict[str, float]:
        x = dict(a.features)
        x["model"] = model_logit(sum(cats.get(lbl, 0.0) for lbl in TRADE_LABELS))
        return x

    def _verdict(self, a: Analysis, cats: dict[str, float]) -> Verdict:
        x = self.features(a, cats)
        score = self.combiner.score(x)
        over = score >= self.threshold
        matches = a.explained_matches()
        f = a.features
        # intent: explicit words first, the model breaks ties
        if f["buy"] and not f["sell"]:
            intent = "buy"
        elif f["sell"] and not f["buy"]:
            intent = "sell"
        else:
            intent = "sell" if cats.get("SELL", 0) >= cats.get("BUY", 0) else "buy"
        category_scores = {CATEGORY_OF[lbl]: cats.get(lbl, 0.0) + 0.25 * f[CATEGORY_OF[lbl]] for lbl in CATEGORY_OF}
        not_trade_category = max(category_scores, key=category_scores.get)
        category = "trade" if over else not_trade_category
        priority = "high" if over else "none"
        note = None
        saiga_named = any(m["role"] in ("species", "disguise") or _SAIGA_HINT.search(m["text"]) for m in matches)
        if not over and category in self.low_priority and saiga_named:
            priority, note = "low", f"{category}: review at low priority, never a confirmed sale"
        elif not over and f["protected"] and (f["sell"] or f["buy"] or f["price"]):
            category, priority = "other-horn", "low"
            note = "another protected species (e.g. Tibetan antelope, rhino): review, labelled differently"
        flagged = priority != "none"
        if not flagged:
            intent = "unknown"
        top = sorted(cats.items(), key=lambda kv: -kv[1])[:3]
        seen: set[str] = set()
        terms: list[str] = []
        for m in matches:
            key = m["text"].strip().lower()
            if key and key not in seen:
                seen.add(key)
                terms.append(m["text"].strip())
        explanation = {
            "score": round(score, 4),
            "threshold": round(self.threshold, 4),
            "decision": "flagged" if flagged else "not flagged",
            "priority": priority,
            "lang": a.lang,
            "intent": intent,
            "category": category,
            "matches": matches,
            "model": {"version": self.version, "p_trade": round(_sigmoid(x["model"]), 4),
                      "top_classes": [{"label": lbl, "p": round(p, 4)} for lbl, p in top]},
            "rules": {k: v for k, v in a.features.items() if v},
            "contributions": self.combiner.contributions(x),
        }
        explanation["reasons"] = reasons(explanation["contributions"], matches, explanation["model"]["p_trade"])
        if note:
            explanation["note"] = note
        if a.truncated:
            explanation["truncated"] = True
        return Verdict(round(score, 4), flagged, a.lang, intent, category, terms, explanation, self.version, priority)


FEATURE_LABELS = {
    "model": "statistical model", "species": "names the saiga", "product": "horn or horn product",
    "near": "saiga named next to a horn word", "sell": "sell wording", "buy": "buy wording",
    "price": "price or quantity", "protected": "another protected species", "title_species": "saiga named in the title",
    "firearm": "firearm wording", "souvenir": "souvenir / artwork wording", "news": "news or seizure wording",
    "other-horn": "other animals' horns", "medicine": "patent medicine wording", "irrelevant": "unrelated goods",
}
FEATURE_ROLES = {"species": ("species", "disguise"), "title_species": ("species", "disguise"), "product": ("product",),
                 "near": ("species", "disguise", "product"), "sell": ("intent_sell",), "buy": ("intent_buy",),
                 "price": ("price", "quantity"), "protected": ("protected_other",)}


def reasons(contributions: dict[str, float], matches: list[dict], p_trade: float) -> list[dict]:
    """Human-readable reasons, strongest first: what pushed the score up or down, with the words found."""
    out = []
    for feature, weight in sorted(contributions.items(), key=lambda kv: -abs(kv[1])):
        label = FEATURE_LABELS.get(feature, feature)
        if feature == "model":
            text = f"{label}: trade probability {p_trade:.2f}"
        else:
            roles = FEATURE_ROLES.get(feature, ("confounder",))
            words = []
            for m in matches:
                if m["role"] in roles and (feature != "title_species" or m["field"] == "title") and (
                        m["role"] != "confounder" or m.get("category") == feature):
                    if m["text"] not in words:
                        words.append(m["text"])
            text = label + (": " + ", ".join(f"«{w}»" for w in words[:6]) if words else "")
        out.append({"text": text, "weight": weight})
    return out


def load_classifier(model_dir: str | Path | None = None, lexicon_dir: str | Path | None = None,
                    threshold: float | None = None, low_priority_categories: Iterable[str] = ("medicine",),
                    max_chars: int | None = None) -> Classifier:
    """Load the current model from `model_dir` (or the shipped one); optionally override lexicon and threshold."""
    return Classifier(resolve_model_dir(model_dir), lexicon_dir, threshold, low_priority_categories, max_chars)


def _from_settings(cs, config_dir: str | Path | None = None) -> Classifier:
    """Build from a ClassifierSettings section; no lexicon_dir means the lexicon saved with the model."""
    lexicon_dir = Path(cs.lexicon_dir).expanduser() if cs.lexicon_dir else None
    if lexicon_dir is not None and not lexicon_dir.is_absolute() and config_dir is not None:
        lexicon_dir = Path(config_dir) / lexicon_dir
    return load_classifier(cs.model_dir, lexicon_dir, cs.threshold, cs.low_priority_categories,
                           getattr(cs, "max_text_chars", None))


load_classifier.from_settings = _from_settings  # type: ignore[attr-defined]
