"""Train the classifier: fit the text model on train, the combiner and threshold on dev, then test once."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Callable

import numpy as np

from classifiers.analysis import FEATURES, Analyzer
from classifiers.classifier import Combiner, combiner_features, model_features
from classifiers.corpus.written import load_written
from classifiers.lexicon import load_lexicon
from classifiers.metrics import choose_threshold, evaluate_rows
from classifiers.textmodel import LABEL_OF_CATEGORY, LABELS, fit

PACKAGE_DIR = Path(__file__).resolve().parent
CORPUS_DIR = PACKAGE_DIR / "corpus"
TARGET_RECALL = 0.90
ITERATIONS = 200  # full-batch optimisation steps (`--epochs` overrides)
WRITTEN_WEIGHT = 3.0  # an independently written text counts three template texts
REVIEW_WEIGHT = 3.0  # so does an analyst's decision
FEATURE_CODE = ("normalize.py", "matcher.py", "analysis.py", "lexicon.py", "langdetect.py", "stance.py", "textmodel.py",
                "classifier.py", "wordcache.py", "bmp_patterns.py")


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def load_corpus(corpus_dir: Path = CORPUS_DIR) -> dict[str, list[dict]]:
    """Template splits (train/dev/test.jsonl) plus the independent writers' texts, split by text hash."""
    corpus = {split: read_jsonl(Path(corpus_dir) / f"{split}.jsonl") for split in ("train", "dev", "test")}
    written_dir = Path(corpus_dir) / "written"
    if written_dir.is_dir():
        for split, rows in load_written(written_dir).items():
            corpus[split].extend(rows)
    return corpus


def gold_label(ex: dict) -> int:
    """The text model's label index for a corpus row (trade rows use their intent; unknown intent counts as SELL)."""
    if ex["label"] == "trade":
        label = "BUY" if ex.get("intent") == "buy" else "SELL"
    else:
        label = LABEL_OF_CATEGORY.get(ex.get("category") or "irrelevant", "IRRELEVANT")
    return LABELS.index(label)


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
        h.update(b"\0")
    return h.hexdigest()


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 0.01, iters: int = 3000, lr: float = 0.3,
                 weights: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Plain L2-regularised logistic regression by gradient descent (deterministic, no extra dependency)."""
    w = np.zeros(X.shape[1])
    b = 0.0
    sw = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    sw = sw / sw.sum()
    for _ in range(iters):
        z = X @ w + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        g = (p - y) * sw
        w -= lr * (X.T @ g + l2 * w)
        b -= lr * g.sum()
    return w, float(b)


def _analyse(analyzer: Analyzer, rows: list[dict]):
    return analyzer.analyse_many([(r.get("text") or "", r.get("title") or None, r.get("lang")) for r in rows])


def _combiner_rows(model, analyses) -> list[dict[str, float]]:
    probs = model.predict([model.indices(model_features(a)) for a in analyses])
    return [combiner_features(a, dict(zip(model.labels, p.tolist()))) for a, p in zip(analyses, probs)]


def train_model(out_dir: Path, *, seed: int = 13, lexicon_dir: Path, corpus_dir: Path = CORPUS_DIR,
                extra_examples: list[dict] | None = None, max_epochs: int | None = None, limit: int | None = None,
                log: Callable[[str], None] = print) -> dict:
    """Train, calibrate and test a model; write it to out_dir; return its meta (with metrics)."""
    started = time.perf_counter()
    corpus = load_corpus(corpus_dir)
    extra = list(extra_examples or [])
    train_rows = list(corpus["train"]) + extra
    if limit:
        train_rows = train_rows[:limit]
        corpus = {k: v[: max(limit // 3, 50)] for k, v in corpus.items()}
    iterations = max_epochs or ITERATIONS
    lexicon = load_lexicon(lexicon_dir)
    analyzer = Analyzer(lexicon)
    corpus_bytes = b"".join(json.dumps(r, ensure_ascii=False, sort_keys=True).encode() for r in train_rows + corpus["dev"])
    code = b"".join((PACKAGE_DIR / f).read_bytes() for f in FEATURE_CODE)  # how text becomes model input
    settings = json.dumps({"iterations": iterations, "written_weight": WRITTEN_WEIGHT, "review_weight": REVIEW_WEIGHT,
                           "target_recall": TARGET_RECALL, "limit": limit}, sort_keys=True)
    version = "sw-" + _digest(settings.encode(), corpus_bytes, lexicon.digest.encode(), str(seed).encode(), code)[:12]
    log(f"training {version}: {len(train_rows)} train, {len(corpus['dev'])} dev, {len(corpus['test'])} test examples")
    train_analyses = _analyse(analyzer, train_rows)
    weights = [REVIEW_WEIGHT if i >= len(train_rows) - len(extra) and extra else
               WRITTEN_WEIGHT if r.get("source") == "written" else 1.0 for i, r in enumerate(train_rows)]
    model = fit([model_features(a) for a in train_analyses], [gold_label(r) for r in train_rows],
                iterations=iterations, sample_weight=weights)
    train_seconds = time.perf_counter() - started
    # combiner on dev: texts the text model never saw
    dev_x = _combiner_rows(model, _analyse(analyzer, corpus["dev"]))
    y_dev = np.array([1.0 if r["label"] == "trade" else 0.0 for r in corpus["dev"]])
    w_dev = np.array([WRITTEN_WEIGHT if r.get("source") == "written" else 1.0 for r in corpus["dev"]])
    X = np.array([[x[k] for k in FEATURES] for x in dev_x])
    # feature dropout (seeded): a copy of dev where half the rows lose the model's opinion, so the rules keep real
    # weight for texts unlike anything in the corpus (where the model knows little)
    rng = np.random.default_rng(seed)
    X_rules = X.copy()
    X_rules[rng.random(len(X)) < 0.5, FEATURES.index("model")] = 0.0
    w, b = fit_logistic(np.vstack([X, X_rules]), np.concatenate([y_dev, y_dev]), weights=np.concatenate([w_dev, w_dev]))
    combiner = Combiner({k: round(float(v), 4) for k, v in zip(FEATURES, w)}, round(b, 4), 0.5)
    dev_scores = [combiner.score(x) for x in dev_x]
    combiner.threshold = round(choose_threshold([int(v) for v in y_dev], dev_scores, TARGET_RECALL,
                                                [r["lang"] for r in corpus["dev"]]), 4)
    dev_metrics = evaluate_rows(_rows(corpus["dev"], dev_scores), combiner.threshold)
    test_scores = [combiner.score(x) for x in _combiner_rows(model, _analyse(analyzer, corpus["test"]))]
    test_metrics = evaluate_rows(_rows(corpus["test"], test_scores), combiner.threshold)
    written = [i for i, r in enumerate(corpus["test"]) if r.get("source") == "written"]
    test_written = evaluate_rows(_rows([corpus["test"][i] for i in written], [test_scores[i] for i in written]),
                                 combiner.threshold) if written else None
    meta = {
        "version": version,
        "seed": seed,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "labels": list(LABELS),
        "features": list(FEATURES),
        "text_features": len(model.vocab),
        "lexicon_digest": lexicon.digest,
        "train_examples": len(train_rows),
        "extra_examples": len(extra),
        "iterations": iterations,
        "train_seconds": round(train_seconds, 1),
        "threshold": combiner.threshold,
        "target_recall": TARGET_RECALL,
        "metrics": {"dev": dev_metrics, "test": test_metrics, "test_written": test_written},
    }
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    model.save(out_dir / "text")
    (out_dir / "lexicon").mkdir()
    for name, text in sorted(lexicon.sources.items()):
        (out_dir / "lexicon" / name).write_text(text, encoding="utf-8")
    combiner.save(out_dir / "combiner.json")
    (out_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    log(f"trained {version} in {train_seconds:.0f}s; threshold {combiner.threshold}")
    return meta


def _rows(examples: list[dict], scores: list[float]) -> list[dict]:
    return [{"lang": r.get("lang") or "other", "label": 1 if r["label"] == "trade" else 0, "score": s,
             "category": r.get("category")} for r, s in zip(examples, scores)]


def main(argv: list[str] | None = None) -> None:
    """`python -m classifiers.training --output classifiers/model`: (re)build the model shipped in the repo."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--output", type=Path, default=PACKAGE_DIR / "model", help="model directory to write")
    parser.add_argument("--seed", type=int, default=13, help="random seed")
    parser.add_argument("--lexicon-dir", type=Path, default=PACKAGE_DIR.parent / "config" / "lexicons",
                        help="lexicon YAML directory")
    parser.add_argument("--epochs", type=int, default=None, help=f"optimisation steps (default {ITERATIONS})")
    args = parser.parse_args(argv)
    meta = train_model(args.output, seed=args.seed, lexicon_dir=args.lexicon_dir, max_epochs=args.epochs)
    for lang, m in meta["metrics"]["test"]["by_lang"].items():
        print(f"test {lang}: precision {m['precision']} recall {m['recall']} f1 {m['f1']}")


if __name__ == "__main__":
    main()
