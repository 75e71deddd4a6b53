"""The trade classifier: statistical model + rules → one calibrated score, a decision, and its explanation."""
from __future__ import annotations

import gc
import json
import math
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path
from typing import Iterable


from classifiers.analysis import FEATURES, Analysis, Analyzer
from classifiers.langdetect import LANGS
from classifiers.lexicon import parse_lexicon, read_lexicon_sources, sources_digest
from classifiers.textmodel import CATEGORY_OF, TRADE_LABELS, TextModel, feature_strings

SHIPPED_MODEL = Path(__file__).resolve().parent / "model"
CURRENT_FILE = "CURRENT"
_SURROGATES = re.compile("[\ud800-\udfff]")
_SAIGA_HINT = re.compile("羚羊|сайг|саиг|киік|киик|saiga|линъян|антилоп", re.I)


def _analyser_input(item: dict) -> tuple[str, str | None, str | None]:
    """(text, title, lang) of an item for the analyser: lone surrogates replaced, an unknown language dropped."""
    text = _SURROGATES.sub("\ufffd", item.get("text") or "")
    title = item.get("title") or None
    if title:
        title = _SURROGATES.sub("\ufffd", title)
    lang = item.get("lang")
    return text, title, lang if lang in LANGS else None


PROMOTE_AT = 256  # listings: a call with this many moves what it made straight to the oldest GC generation


@contextmanager
def _batch_gc(promote: bool):
    """The cyclic GC paused while a batch runs: the batch allocates many acyclic objects, and the verdicts pile up in
    the result, so every collection would walk all verdicts made so far (about a tenth of the time), and none of it is
    garbage. Switched back on, the GC's first pass would still walk them all once (3–4% of the time). With `promote`,
    then, the young generations are collected first (the caller's objects get their usual pass), and at the end all
    that the batch made moves to the oldest generation in one step (gc.freeze, then gc.unfreeze, each moves whole
    generations): what a young pass of verdicts that live on would have done, without walking them. Not when the
    caller has frozen objects of its own, which gc.unfreeze would release."""
    enabled = gc.isenabled()
    promote = promote and enabled and not gc.get_freeze_count()
    if promote:
        gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        if promote:
            gc.freeze()
            gc.unfreeze()
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
    category: str  # trade | firearm | souvenir | news | conservation | other-horn | other-species | medicine | irrelevant
    matched_terms: list[str]
    explanation: dict
    model_version: str
    priority: str = "none"  # high (flagged: score over threshold) | low (not flagged, worth a look) | none

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

    def terms(self, x: dict[str, float]) -> dict[str, float]:
        """weight × value of every feature that is set and weighted (unrounded; the logit is bias + their sum)."""
        return {k: self.weights[k] * x[k] for k in self.features if x.get(k) and self.weights.get(k)}

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
        if not (self.model_path / "text").is_dir():
            raise ModelNotFound(f"{self.model_path}: made by an older SaigaWatch (a spaCy model); train a new one with "
                                f"`saigawatch train` or switch with `saigawatch models --use VERSION`")
        self.text_model = TextModel.load(self.model_path / "text")
        self.label_index = {lbl: i for i, lbl in enumerate(self.text_model.labels)}
        self.trade_ids = [self.label_index[lbl] for lbl in TRADE_LABELS]
        self.combiner = Combiner.load(self.model_path / "combiner.json")
        self.threshold = self.combiner.threshold if threshold is None else float(threshold)
        self.low_priority = set(low_priority_categories)
        self.version = str(self.meta["version"])
        sources = read_lexicon_sources(self.model_path / "lexicon")
        if lexicon_dir is not None:
            configured = read_lexicon_sources(lexicon_dir)
            digest = sources_digest(configured)
            if digest != sources_digest(sources):
                # the configured lexicon differs from the one the model was trained with: say so in the version
                sources = configured
                self.version = f"{self.version}+lex.{digest[7:15]}"
        lexicon = parse_lexicon(sources)
        self.analyzer = Analyzer(lexicon)
        if max_chars:
            self.analyzer.max_chars = int(max_chars)

    # -- public API ------------------------------------------------------------------------
    def classify(self, text: str, title: str | None = None, lang: str | None = None) -> Verdict:
        return self.classify_many([{"text": text, "title": title, "lang": lang}])[0]

    def classify_many(self, items: list[dict], batch_size: int = 256) -> list[Verdict]:
        """Classify dicts with "text" and optional "title", "lang"; order is kept. Works in chunks to bound memory."""
        out: list[Verdict] = []
        with _batch_gc(promote=len(items) >= PROMOTE_AT):
            for start in range(0, len(items), batch_size):
                analyses = self.analyzer.analyse_many(map(_analyser_input, items[start:start + batch_size]))
                tm = self.text_model
                probs = tm.predict(tm.text_index_arrays([(a.words, [fa.norm.text for fa in a.fields], a.cue_tokens())
                                                         for a in analyses]))
                labels = self.text_model.labels
                out.extend(self._verdict(a, dict(zip(labels, p.tolist()))) for a, p in zip(analyses, probs))
        return out

    def scores(self, items: list[dict]) -> list[float]:
        """Only the scores (for evaluation)."""
        return [v.score for v in self.classify_many(items)]

    # -- internals -------------------------------------------------------------------------
    def features(self, a: Analysis, cats: dict[str, float]) -> dict[str, float]:
        return combiner_features(a, cats)

    def _verdict(self, a: Analysis, cats: dict[str, float]) -> Verdict:
        x = self.features(a, cats)
        parts = self.combiner.terms(x)  # computed once: the score and the explanation's contributions
        score = _sigmoid(self.combiner.bias + sum(parts.values()))
        flagged = score >= self.threshold
        matches, by_role, terms, saiga_named = explain_matches(a)
        f = a.features
        # intent: explicit words first, the model breaks ties
        if f["buy"] and not f["sell"]:
            intent = "buy"
        elif f["sell"] and not f["buy"]:
            intent = "sell"
        else:
            intent = "sell" if cats.get("SELL", 0) >= cats.get("BUY", 0) else "buy"
        category_scores = {cat: cats.get(lbl, 0.0) + 0.25 * f.get(cat, 0.0) for lbl, cat in CATEGORY_OF.items()}
        category_scores["other-species"] += 0.25 * f["protected"]
        not_trade_category = max(category_scores, key=category_scores.get)
        category = "trade" if flagged else not_trade_category
        priority = "high" if flagged else "none"
        note = None
        if not flagged and category in self.low_priority and saiga_named:
            priority = "low"
            note = {"code": "low_priority_category", "params": {"category": category},
                    "text": f"{category}: worth a look at low priority, never a confirmed sale"}
        elif not flagged and f["protected"] and (f["sell"] or f["buy"] or f["price"]):
            category, priority = "other-species", "low"
            note = {"code": "other_protected_species", "params": {},
                    "text": "another protected species (e.g. Tibetan antelope, rhino): searchable, not saiga-horn trade"}
        if not flagged:
            intent = "unknown"
        top = sorted(cats.items(), key=lambda kv: -kv[1])[:3]
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
            "cues": {k: v for k, v in a.cues.items() if v},
            "contributions": {k: round(v, 3) for k, v in parts.items()},
        }
        explanation["reasons"] = reasons(explanation["contributions"], by_role, explanation["model"]["p_trade"],
                                         explanation["cues"])
        if note:
            explanation["note"] = note["text"]
            explanation["note_code"] = {"code": note["code"], "params": note["params"]}
        if a.truncated:
            explanation["truncated"] = True
        return Verdict(round(score, 4), flagged, a.lang, intent, category, terms, explanation, self.version, priority)


def model_features(a: Analysis) -> set[str]:
    """The statistical model's input for one analysed listing."""
    return feature_strings(a.words, [fa.norm.text for fa in a.fields], a.cue_tokens())


def combiner_features(a: Analysis, cats: dict[str, float]) -> dict[str, float]:
    """Rule features plus the model's trade logit: the combiner's input."""
    x = dict(a.features)
    x["model"] = model_logit(sum(cats.get(lbl, 0.0) for lbl in TRADE_LABELS))
    return x


FEATURE_LABELS = {
    "model": "statistical model", "species": "names the saiga", "product": "horn or horn product",
    "near": "saiga named next to a horn word", "sell": "sell wording", "buy": "buy wording",
    "price": "price or quantity", "protected": "another protected species", "title_species": "saiga named in the title",
    "firearm": "firearm wording", "souvenir": "souvenir / artwork wording", "news": "news or seizure wording",
    "other-horn": "other animals' horns", "medicine": "patent medicine wording", "irrelevant": "unrelated goods",
    "offer": "reads like an offer (contact, price, terms)", "report": "reads like a report or notice (officials, "
    "courts, bans, reported speech)", "offer_species": "an offer that names the saiga",
    "conservation": "conservation or legal-notice wording",
    "protected_only": "another protected species and no saiga named",
}
FEATURE_ROLES = {"species": ("species", "disguise"), "title_species": ("species", "disguise"), "product": ("product",),
                 "near": ("species", "disguise", "product"), "sell": ("intent_sell",), "buy": ("intent_buy",),
                 "price": ("price", "quantity"), "protected": ("protected_other",),
                 "offer_species": ("species", "disguise"), "protected_only": ("protected_other",)}
FEATURE_CUES = {"offer": ("contact", "phone", "deal", "money"), "report": ("official", "reported", "rule", "past",
                                                                             "year", "quote")}


def explain_matches(a: Analysis) -> tuple[list[dict], dict[str, dict[str, None]], list[str], bool]:
    """The matches with offsets into the ORIGINAL title/text and the exact original substring; in the same pass, each
    role's (and confounder category's, and «title_species») matched words in order, once; the distinct matched terms
    as written; and whether the saiga is named at all."""
    out: list[dict] = []
    by_role: dict[str, dict[str, None]] = {}
    seen: set[str] = set()
    terms: list[str] = []
    saiga_named = False
    for fa in a.fields:
        norm, name = fa.norm, fa.name
        original = norm.original
        starts, ends = (None, None) if norm.identity else (norm.starts, norm.ends)
        title = name == "title"
        for m_start, _, distance, _, how, _, term, m_end in fa.matches:  # a Match's fields, at tuple speed
            if m_end <= m_start:
                start, end = norm.original_span(m_start, m_end)
            elif starts is None:
                start, end = m_start, m_end  # every character stayed where it was
            else:
                start, end = starts[m_start], ends[m_end - 1]  # Normalized.original_span, inlined
            role = term.role
            text = original[start:end]
            item = {"term": term.label, "role": role, "field": name, "start": start, "end": end, "text": text,
                    "match": how, "weight": term.weight}
            if term.category:
                item["category"] = term.category
            if distance:
                item["distance"] = distance
            out.append(item)
            if role:
                words = by_role.get(role)
                if words is None:
                    words = by_role[role] = {}
                words[text] = None
            if role == "confounder" and term.category:
                by_role.setdefault(term.category, {})[text] = None
            elif role == "species" or role == "disguise":
                saiga_named = True
                if title:
                    by_role.setdefault("title_species", {})[text] = None
            stripped = text.strip()
            key = stripped.lower()
            if key and key not in seen:
                seen.add(key)
                terms.append(stripped)
    if not saiga_named:
        saiga_named = any(_SAIGA_HINT.search(m["text"]) for m in out)
    return out, by_role, terms, saiga_named


def reasons(contributions: dict[str, float], by_role: dict[str, dict[str, None]], p_trade: float,
            cues: dict[str, int] | None = None) -> list[dict]:
    """Reasons, strongest first: a stable `code` (the feature), its `params`, an English `text` and the `weight`;
    `by_role` as `explain_matches` gives it."""
    out = []
    for feature, weight in sorted(contributions.items(), key=_by_strength):
        label = FEATURE_LABELS.get(feature, feature)
        if feature == "model":
            params: dict = {"p_trade": p_trade}
            text = f"{label}: trade probability {p_trade:.2f}"
        elif feature in FEATURE_CUES:
            kinds = FEATURE_CUES[feature]
            found_cues = {k: v for k, v in (cues or {}).items() if k in kinds}
            params = {"cues": found_cues}
            text = label + (": " + ", ".join(f"{k} ×{v}" for k, v in found_cues.items()) if found_cues else "")
        else:
            roles = _REASON_ROLES.get(feature) or (feature,)
            if len(roles) == 1:
                words = list(islice(by_role.get(roles[0], ()), 6))
            else:
                found: dict[str, None] = {}
                for role in roles:
                    found.update(by_role.get(role, ()))
                words = list(islice(found, 6))
            params = {"words": words}
            text = label + ": «" + "», «".join(words) + "»" if words else label
        out.append({"code": feature, "params": params, "text": text, "weight": weight})
    return out


def _by_strength(item: tuple[str, float]) -> float:
    return -abs(item[1])


# the roles whose matched words name each feature's reason («title_species»: the species words of the title)
_REASON_ROLES = {**FEATURE_ROLES, "title_species": ("title_species",)}


def load_classifier(model_dir: str | Path | None = None, lexicon_dir: str | Path | None = None,
                    threshold: float | None = None, low_priority_categories: Iterable[str] = ("medicine",),
                    max_chars: int | None = None) -> Classifier:
    """Load the current model from `model_dir` (or the shipped one); optionally override lexicon and threshold."""
    return Classifier(resolve_model_dir(model_dir), lexicon_dir, threshold, low_priority_categories, max_chars)


def classifier_from_settings(cs, config_dir: str | Path | None = None) -> Classifier:
    """Build from a ClassifierSettings section; no lexicon_dir means the lexicon saved with the model."""
    lexicon_dir = Path(cs.lexicon_dir).expanduser() if cs.lexicon_dir else None
    if lexicon_dir is not None and not lexicon_dir.is_absolute() and config_dir is not None:
        lexicon_dir = Path(config_dir) / lexicon_dir
    return load_classifier(cs.model_dir, lexicon_dir, cs.threshold, cs.low_priority_categories,
                           getattr(cs, "max_text_chars", None))
