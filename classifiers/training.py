"""Train the classifier from classifiers/config.cfg and the corpus; fit the combiner and threshold on dev; test once."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import spacy
from spacy.tokens import Doc, DocBin
from spacy.training.initialize import init_nlp
from spacy.training.loop import train as train_nlp
from spacy.util import fix_random_seed, load_config

import classifiers.spacy_components  # noqa: F401
from classifiers.analysis import FEATURES, Analyzer
from classifiers.classifier import Combiner, model_logit
from classifiers.lexicon import load_lexicon
from classifiers.metrics import choose_threshold, evaluate_rows
from classifiers.spacy_components import LABEL_OF_CATEGORY, LABELS, TRADE_LABELS

PACKAGE_DIR = Path(__file__).resolve().parent
CONFIG_PATH = PACKAGE_DIR / "config.cfg"
CORPUS_DIR = PACKAGE_DIR / "corpus"
TARGET_RECALL = 0.95
CORE_LANGS = ("ru", "kk", "zh")
FEATURE_CODE = ("normalize.py", "matcher.py", "analysis.py", "lexicon.py", "langdetect.py", "spacy_components.py")


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def load_corpus(corpus_dir: Path = CORPUS_DIR) -> dict[str, list[dict]]:
    return {split: read_jsonl(Path(corpus_dir) / f"{split}.jsonl") for split in ("train", "dev", "test")}


def gold_cats(ex: dict) -> dict[str, float]:
    """One-hot textcat labels from a corpus row (trade rows use their intent; unknown intent counts as SELL)."""
    if ex["label"] == "trade":
        label = "BUY" if ex.get("intent") == "buy" else "SELL"
    else:
        label = LABEL_OF_CATEGORY.get(ex.get("category") or "irrelevant", "IRRELEVANT")
    return {lbl: 1.0 if lbl == label else 0.0 for lbl in LABELS}


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
        h.update(b"\0")
    return h.hexdigest()


def fit_logistic(X: np.ndarray, y: np.ndarray, l2: float = 0.05, iters: int = 3000, lr: float = 0.3) -> tuple[np.ndarray, float]:
    """Plain L2-regularised logistic regression by gradient descent (deterministic, no extra dependency)."""
    w = np.zeros(X.shape[1])
    b = 0.0
    n = len(y)
    for _ in range(iters):
        z = X @ w + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        g = p - y
        w -= lr * (X.T @ g / n + l2 * w)
        b -= lr * g.mean()
    return w, float(b)


def _score_rows(analyzer: Analyzer, nlp, rows: list[dict]):
    analyses = [analyzer.analyse(r.get("text") or "", r.get("title") or None, r.get("lang")) for r in rows]
    docs = list(nlp.get_pipe("textcat").pipe([Doc(nlp.vocab, words=a.words) for a in analyses], batch_size=256))
    feats = []
    for a, d in zip(analyses, docs):
        x = dict(a.features)
        x["model"] = model_logit(sum(d.cats[lbl] for lbl in TRADE_LABELS))
        feats.append(x)
    return feats


def train_model(out_dir: Path, *, seed: int = 13, lexicon_dir: Path, corpus_dir: Path = CORPUS_DIR,
                extra_examples: list[dict] | None = None, max_epochs: int | None = None, limit: int | None = None,
                log: Callable[[str], None] = print) -> dict:
    """Train, calibrate and test a model; write it to out_dir; return its meta (with metrics)."""
    started = time.perf_counter()
    fix_random_seed(seed)
    corpus = load_corpus(corpus_dir)
    train_rows = list(corpus["train"]) + list(extra_examples or [])
    if limit:
        train_rows = train_rows[:limit]
        corpus = {k: v[: max(limit // 3, 50)] for k, v in corpus.items()}
    lexicon = load_lexicon(lexicon_dir)
    analyzer = Analyzer(lexicon)
    config_text = CONFIG_PATH.read_text(encoding="utf-8")
    corpus_bytes = b"".join(json.dumps(r, ensure_ascii=False, sort_keys=True).encode() for r in train_rows + corpus["dev"])
    code = b"".join((PACKAGE_DIR / f).read_bytes() for f in FEATURE_CODE)  # how text becomes model input
    version = "sw-" + _digest(config_text.encode(), corpus_bytes, lexicon.digest.encode(), str(seed).encode(),
                              str(max_epochs).encode(), str(limit).encode(), code)[:12]
    log(f"training {version}: {len(train_rows)} train, {len(corpus['dev'])} dev, {len(corpus['test'])} test examples")
    with tempfile.TemporaryDirectory(prefix="sw-train-") as tmp:
        tmp_path = Path(tmp)
        vocab = spacy.blank("xx").vocab
        for split, rows in (("train", train_rows), ("dev", corpus["dev"])):
            db = DocBin(store_user_data=False)
            for r in rows:
                doc = Doc(vocab, words=analyzer.analyse(r.get("text") or "", r.get("title") or None, r.get("lang")).words)
                doc.cats = gold_cats(r)
                db.add(doc)
            db.to_disk(tmp_path / f"{split}.spacy")
        overrides = {"paths.train": str(tmp_path / "train.spacy"), "paths.dev": str(tmp_path / "dev.spacy"),
                     "paths.lexicon_dir": str(lexicon_dir), "system.seed": seed}
        if max_epochs:
            overrides["training.max_epochs"] = max_epochs
        config = load_config(CONFIG_PATH, overrides=overrides, interpolate=False)
        nlp = init_nlp(config)
        nlp.tokenizer.set_lexicon(lexicon)
        out = io.StringIO()
        nlp, _ = train_nlp(nlp, None, stdout=out, stderr=out)
    train_seconds = time.perf_counter() - started
    # combiner on dev: the model never saw these templates
    dev_x = _score_rows(analyzer, nlp, corpus["dev"])
    y_dev = np.array([1.0 if r["label"] == "trade" else 0.0 for r in corpus["dev"]])
    X = np.array([[x[k] for k in FEATURES] for x in dev_x])
    # feature dropout: a copy of dev without the model's opinion, so the rules keep real weight for texts
    # unlike anything in the corpus (where the model knows little)
    X_rules = X.copy()
    X_rules[:, FEATURES.index("model")] = 0.0
    w, b = fit_logistic(np.vstack([X, X_rules]), np.concatenate([y_dev, y_dev]))
    combiner = Combiner({k: round(float(v), 4) for k, v in zip(FEATURES, w)}, round(b, 4), 0.5)
    dev_scores = [combiner.score(x) for x in dev_x]
    core = [i for i, r in enumerate(corpus["dev"]) if r["lang"] in CORE_LANGS] or list(range(len(dev_x)))
    combiner.threshold = round(choose_threshold([int(y_dev[i]) for i in core], [dev_scores[i] for i in core],
                                                TARGET_RECALL, [corpus["dev"][i]["lang"] for i in core]), 4)
    dev_metrics = evaluate_rows(_rows(corpus["dev"], dev_scores), combiner.threshold)
    test_x = _score_rows(analyzer, nlp, corpus["test"])
    test_scores = [combiner.score(x) for x in test_x]
    test_metrics = evaluate_rows(_rows(corpus["test"], test_scores), combiner.threshold)
    meta = {
        "version": version,
        "seed": seed,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "labels": list(LABELS),
        "features": list(FEATURES),
        "lexicon_digest": lexicon.digest,
        "train_examples": len(train_rows),
        "extra_examples": len(extra_examples or []),
        "train_seconds": round(train_seconds, 1),
        "threshold": combiner.threshold,
        "target_recall": TARGET_RECALL,
        "metrics": {"dev": dev_metrics, "test": test_metrics},
        "spacy_log": out.getvalue()[-4000:],
    }
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    nlp.to_disk(out_dir / "nlp")
    combiner.save(out_dir / "combiner.json")
    (out_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    shutil.copy(CONFIG_PATH, out_dir / "config.cfg")
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
    args = parser.parse_args(argv)
    meta = train_model(args.output, seed=args.seed, lexicon_dir=args.lexicon_dir)
    for lang, m in meta["metrics"]["test"]["by_lang"].items():
        print(f"test {lang}: precision {m['precision']} recall {m['recall']} f1 {m['f1']}")


if __name__ == "__main__":
    main()
