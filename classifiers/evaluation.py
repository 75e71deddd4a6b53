"""Judge a classifier on a labelled set: the frozen challenge set, a corpus split, or any labelled JSON lines."""
from __future__ import annotations

import json
from pathlib import Path

from classifiers.metrics import evaluate_rows

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
CHALLENGE_PATH = CORPUS_DIR / "challenge" / "challenge.jsonl"
NAMED_SETS = ("challenge", "test", "dev")


def load_named_set(name: str) -> list[dict]:
    """The frozen challenge set, or the test/dev split of the training corpus (templates + written texts)."""
    if name == "challenge":
        with open(CHALLENGE_PATH, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    if name in ("test", "dev"):
        from classifiers.training import load_corpus

        return load_corpus()[name]
    raise ValueError(f"unknown labelled set {name!r}: use one of {', '.join(NAMED_SETS)}")


def evaluate_classifier(clf, records: list[dict]) -> dict:
    """Per-language and overall figures, false-positive rate per not_trade category, and the flagged count."""
    verdicts = clf.classify_many(records)
    rows = [{"lang": rec.get("lang") or v.lang, "label": 1 if rec["label"] == "trade" else 0, "score": v.score,
             "category": rec.get("category")} for rec, v in zip(records, verdicts)]
    report = evaluate_rows(rows, clf.threshold)
    report["model_version"] = clf.version
    return report


def not_worse(old: dict | None, new: dict, tolerance: float = 0.005) -> tuple[bool, list[str]]:
    """Whether `new` is no worse than `old` on one set: overall F1 and recall, and F1 in every language."""
    if old is None:
        return True, []
    problems = []
    for key in ("f1", "recall"):
        o, n = old["overall"][key] or 0.0, new["overall"][key] or 0.0
        if n < o - tolerance:
            problems.append(f"overall {key} {o:.4f} → {n:.4f}")
    for lang, m in old["by_lang"].items():
        if m["positives"] and lang in new["by_lang"] and new["by_lang"][lang]["f1"] < m["f1"] - 2 * tolerance - 0.01:
            problems.append(f"{lang} F1 {m['f1']:.4f} → {new['by_lang'][lang]['f1']:.4f}")
    return not problems, problems
