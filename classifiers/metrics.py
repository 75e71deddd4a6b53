"""Binary evaluation metrics: precision, recall, F1, MCC, PR-AUC and the confusion matrix."""
from __future__ import annotations

import math
from collections import defaultdict


def confusion(y_true: list[int], y_pred: list[int]) -> dict[str, int]:
    tp = sum(1 for t, p in zip(y_true, y_pred) if t and p)
    fp = sum(1 for t, p in zip(y_true, y_pred) if not t and p)
    fn = sum(1 for t, p in zip(y_true, y_pred) if t and not p)
    tn = sum(1 for t, p in zip(y_true, y_pred) if not t and not p)
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn}


def pr_auc(y_true: list[int], scores: list[float]) -> float | None:
    """Area under the precision-recall curve (average precision); None without positives."""
    positives = sum(y_true)
    if positives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    tp = fp = 0
    ap = 0.0
    prev_recall = 0.0
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and scores[order[j]] == scores[order[i]]:  # ties count together
            if y_true[order[j]]:
                tp += 1
            else:
                fp += 1
            j += 1
        recall = tp / positives
        precision = tp / (tp + fp)
        ap += (recall - prev_recall) * precision
        prev_recall = recall
        i = j
    return ap


def binary_metrics(y_true: list[int], scores: list[float], threshold: float) -> dict:
    y_pred = [1 if s >= threshold else 0 for s in scores]
    c = confusion(y_true, y_pred)
    tp, fp, fn, tn = c["tp"], c["fp"], c["fn"], c["tn"]
    precision = tp / (tp + fp) if tp + fp else (1.0 if not tp + fn else 0.0)
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * precision * recall / (precision + recall) if recall and precision + recall else 0.0
    denom = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = (tp * tn - fp * fn) / denom if denom else 0.0
    auc = pr_auc(y_true, scores)
    return {"n": len(y_true), "positives": sum(y_true), "precision": round(precision, 4),
            "recall": None if recall is None else round(recall, 4), "f1": round(f1, 4), "mcc": round(mcc, 4),
            "pr_auc": None if auc is None else round(auc, 4), "confusion": c}


def evaluate_rows(rows: list[dict], threshold: float) -> dict:
    """rows: {"lang", "label" (1/0), "score", optional "category"} → overall, per-language and per-category figures."""
    out = {"threshold": threshold, "overall": binary_metrics([r["label"] for r in rows], [r["score"] for r in rows],
                                                             threshold), "by_lang": {}}
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r["lang"]].append(r)
    for lang in sorted(groups):
        g = groups[lang]
        out["by_lang"][lang] = binary_metrics([r["label"] for r in g], [r["score"] for r in g], threshold)
    cats: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r.get("category") and not r["label"]:
            cats[r["category"]].append(r)
    if cats:
        out["false_positive_rate_by_category"] = {
            c: round(sum(1 for r in g if r["score"] >= threshold) / len(g), 4) for c, g in sorted(cats.items())}
        out["not_trade_by_category"] = {c: len(g) for c, g in sorted(cats.items())}
    return out


def choose_threshold(y_true: list[int], scores: list[float], min_recall: float = 0.95,
                     groups: list[str] | None = None) -> float:
    """The dev-split threshold: best F1 among thresholds keeping recall ≥ min_recall overall and in every group.

    Candidates are midpoints between neighbouring distinct scores. When several thresholds share the best F1 (a gap
    between positives and negatives), the middle one is taken, so the threshold keeps a margin on both sides for
    unseen texts instead of sitting on the edge of either.
    """
    if not any(y_true):
        return 0.5
    distinct = sorted(set(scores))
    candidates = [(a + b) / 2 for a, b in zip(distinct, distinct[1:])] or [distinct[0]]
    candidates = [distinct[0] - 1e-6] + candidates
    group_ids = sorted(set(groups)) if groups else []
    members = {g: [i for i, gg in enumerate(groups) if gg == g] for g in group_ids} if groups else {}
    best_f1, tied = -1.0, []
    for t in candidates:
        pred = [1 if s >= t else 0 for s in scores]
        c = confusion(y_true, pred)
        recall = c["tp"] / (c["tp"] + c["fn"])
        if recall < min_recall:
            break  # recall only falls as t grows
        ok = True
        for idx in members.values():
            pos = sum(y_true[i] for i in idx)
            if pos and sum(1 for i in idx if y_true[i] and pred[i]) / pos < min_recall:
                ok = False
                break
        if not ok:
            break
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if f1 > best_f1 + 1e-12:
            best_f1, tied = f1, [t]
        elif abs(f1 - best_f1) <= 1e-12:
            tied.append(t)
    if not tied:
        return float(candidates[0])
    lo, hi = tied[0], tied[-1]
    return float((lo + hi) / 2)
