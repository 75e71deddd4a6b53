"""Trained model versions: train into staging, judge against the current model on the challenge set, promote."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from classifiers.classifier import CURRENT_FILE, SHIPPED_MODEL, ModelNotFound, load_classifier, resolve_model_dir
from classifiers.evaluation import evaluate_classifier, load_named_set, not_worse

STAGING = ".staging"


@dataclass
class Candidate:
    """The outcome of one training run: where the new model is, how both models did, and whether it became current."""

    version: str
    path: Path
    meta: dict
    current: Path | None = None
    old_report: dict | None = None
    new_report: dict | None = None
    problems: list[str] = field(default_factory=list)
    identical: bool = False
    promoted: bool = False
    forced: bool = False

    def table(self) -> str:
        """Side-by-side challenge-set figures of the current and the new model."""
        rows = [f"{'challenge set':16} {'current':>10} {'new':>10}"]
        old, new = self.old_report, self.new_report or {"overall": {}, "by_lang": {}}

        def fmt(v):
            return "-" if v is None else f"{v:.4f}"

        for k in ("precision", "recall", "f1", "pr_auc"):
            rows.append(f"{'overall ' + k:16} {fmt(old['overall'][k] if old else None):>10} {fmt(new['overall'][k]):>10}")
        for lang in sorted(new["by_lang"]):
            o = old["by_lang"].get(lang, {}).get("f1") if old else None
            rows.append(f"{lang + ' f1':16} {fmt(o):>10} {fmt(new['by_lang'][lang]['f1']):>10}")
        for cat, rate in (new.get("false_positive_rate_by_category") or {}).items():
            o = (old.get("false_positive_rate_by_category") or {}).get(cat) if old else None
            rows.append(f"{'FPR ' + cat:16} {fmt(o):>10} {fmt(rate):>10}")
        return "\n".join(rows)


def list_versions(models_dir: Path) -> list[dict]:
    """The shipped model and every trained version, with their meta and whether each is current."""
    models_dir = Path(models_dir)
    try:
        current = resolve_model_dir(models_dir).resolve()
    except ModelNotFound:
        current = None
    paths = [SHIPPED_MODEL] + (sorted(p.parent for p in models_dir.glob("*/meta.json") if not p.parent.name.startswith("."))
                               if models_dir.is_dir() else [])
    out = []
    for path in paths:
        if (path / "meta.json").is_file():
            meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
            out.append({"path": path, "meta": meta, "current": path.resolve() == current, "shipped": path == SHIPPED_MODEL})
    return out


def use_version(models_dir: Path, version: str) -> None:
    """Make a trained version current (rollback or roll forward)."""
    if not (Path(models_dir) / version / "meta.json").is_file():
        raise ModelNotFound(f"{Path(models_dir) / version}: no such trained model")
    (Path(models_dir) / CURRENT_FILE).write_text(version + "\n", encoding="utf-8")


def train_candidate(models_dir: Path, *, lexicon_dir: Path, seed: int = 13, extra_examples: list[dict] | None = None,
                    max_epochs: int | None = None, force: bool = False,
                    log: Callable[[str], None] = print) -> Candidate:
    """Train into <models_dir>/.staging, keep it as <models_dir>/<version>, and make it current only if it is no
    worse than the current model on the challenge set (or `force`)."""
    from classifiers.training import train_model

    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = models_dir / STAGING
    meta = train_model(staging, seed=seed, lexicon_dir=lexicon_dir, extra_examples=extra_examples,
                       max_epochs=max_epochs, log=log)
    final = models_dir / meta["version"]
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    cand = Candidate(meta["version"], final, meta)
    try:
        cand.current = resolve_model_dir(models_dir)
    except ModelNotFound:
        cand.current = None
    challenge = load_named_set("challenge")
    cand.new_report = evaluate_classifier(load_classifier(final, lexicon_dir), challenge)
    if cand.current is not None:
        cand.old_report = evaluate_classifier(load_classifier(cand.current, lexicon_dir), challenge)
    ok, cand.problems = not_worse(cand.old_report, cand.new_report)
    cand.identical = cand.current is not None and cand.current.resolve() == final.resolve()
    if not cand.identical and (ok or force):
        use_version(models_dir, meta["version"])
        cand.promoted, cand.forced = True, not ok
    return cand
