"""Classifier benchmark: listings/s on one core for 500-character texts, load time, peak memory, challenge and test
figures, training time; with BENCH_CLASSIFIER_BASELINE=<another checkout> also the speed ratio against that code."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
N_TEXTS = 5000
ROUNDS = 3  # timed rounds of N_TEXTS new listings each; the median round is the figure
WARM_UP = 200
TEXT_CHARS = 500
TARGET_PER_S = 1500


def make_texts(n: int = N_TEXTS, chars: int = TEXT_CHARS) -> list[dict]:
    """500-character listings, each a test-split text (title included) followed by other test-split texts of its
    language drawn at random (fixed seed): mixed languages, and listings do not repeat (but for the few test texts of
    500 characters or more), so neither the classifier's per-word caches nor the CPU's caches see a listing twice."""
    import random

    from classifiers.training import load_corpus

    rows = load_corpus()["test"]
    by_lang: dict[str, list[dict]] = {}
    for row in rows:
        by_lang.setdefault(row["lang"], []).append(row)
    draw = random.Random(20261207)
    out = []
    for i in range(n):
        base = rows[i % len(rows)]
        text = base["text"]
        while len(text) < chars:
            text += " " + draw.choice(by_lang[base["lang"]])["text"]
        out.append({"title": base.get("title") or None, "text": text[:chars]})
    return out


def _child(code_root: str | None = None, texts_path: str | None = None) -> None:
    """Runs in a fresh process pinned to one CPU: load, classify, report speed and peak memory as JSON. With
    `code_root`, the classifier code, model and lexicon of that checkout classify the texts in `texts_path`."""
    import resource

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    root = Path(code_root) if code_root else ROOT
    if code_root:
        sys.path.insert(0, code_root)
    from classifiers import load_classifier

    t0 = time.perf_counter()
    clf = load_classifier(lexicon_dir=root / "config" / "lexicons")
    load_s = time.perf_counter() - t0
    texts = (json.loads(Path(texts_path).read_text(encoding="utf-8")) if texts_path
             else make_texts(WARM_UP + ROUNDS * N_TEXTS))
    clf.classify_many(texts[:WARM_UP])  # warm-up (caches)
    rounds = []
    for k in range(ROUNDS):  # each round classifies listings not seen before
        batch = texts[WARM_UP + k * N_TEXTS: WARM_UP + (k + 1) * N_TEXTS]
        # CPU seconds of this single-threaded process = time on one core, even when other work shares the machine
        w0, c0 = time.perf_counter(), time.process_time()
        verdicts = clf.classify_many(batch)
        rounds.append((len(batch) / (time.process_time() - c0), len(batch) / (time.perf_counter() - w0)))
        explained = sum(1 for v in verdicts if v.explanation["matches"] is not None)
        del verdicts
    w0, c0 = time.perf_counter(), time.process_time()
    for t in texts[WARM_UP:WARM_UP + 1000]:
        clf.classify(t["text"], t["title"])
    single_cpu = time.process_time() - c0
    per_cpu_s = sorted(r[0] for r in rounds)
    print(json.dumps({"load_s": load_s, "batch_per_cpu_s": per_cpu_s[len(rounds) // 2], "rounds_per_cpu_s": per_cpu_s,
                      "batch_per_wall_s": sorted(r[1] for r in rounds)[len(rounds) // 2],
                      "single_per_cpu_s": 1000 / single_cpu, "explained": explained, "n": N_TEXTS,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _run_child(env: dict, code_root: str | None = None, texts_path: str | None = None) -> dict:
    proc = subprocess.run([sys.executable, "-c", "from tests.bench.bench_classifier import _child; "
                           f"_child({code_root!r}, {texts_path!r})"], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _compare(env: dict, baseline: str, rounds: int = 3) -> None:
    """This code against the code in `baseline` on the same texts, alternating runs so both see the same load."""
    with tempfile.TemporaryDirectory() as tmp:
        texts_path = str(Path(tmp) / "texts.json")
        Path(texts_path).write_text(json.dumps(make_texts(WARM_UP + ROUNDS * N_TEXTS), ensure_ascii=False),
                                    encoding="utf-8")
        runs: dict[str, list[float]] = {"baseline": [], "this": []}
        for _ in range(rounds):
            runs["baseline"].append(_run_child(env, str(Path(baseline).resolve()), texts_path)["batch_per_cpu_s"])
            runs["this"].append(_run_child(env, None, texts_path)["batch_per_cpu_s"])
    base, this = sorted(runs["baseline"])[rounds // 2], sorted(runs["this"])[rounds // 2]
    print(f"against {baseline} (same texts, {rounds} alternating runs each, median): baseline {base:.0f}, "
          f"this code {this:.0f} listings per CPU-second: ratio {this / base:.2f} "
          f"(baseline runs {', '.join(f'{v:.0f}' for v in runs['baseline'])}; "
          f"this code {', '.join(f'{v:.0f}' for v in runs['this'])})")


def main() -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    r = _run_child(env)
    print(f"throughput (one core, {TEXT_CHARS}-char texts, normalisation + matching + model + explanation): "
          f"{r['batch_per_cpu_s']:.0f} listings per CPU-second batched (median of {ROUNDS} rounds of {r['n']} new "
          f"listings: {', '.join(f'{v:.0f}' for v in r['rounds_per_cpu_s'])}), {r['single_per_cpu_s']:.0f} one at a "
          f"time (model load {r['load_s']:.1f}s; wall clock {r['batch_per_wall_s']:.0f}/s "
          f"at load average {os.getloadavg()[0]:.1f})")
    print(f"peak memory (RSS of the benchmark process): {r['peak_rss_mb']:.0f} MB")

    print(f"targets: >= {TARGET_PER_S} listings/s (measured {r['batch_per_cpu_s'] / TARGET_PER_S:.2f}x target), "
          f"load <= 1 s (measured {r['load_s']:.2f}s), peak memory <= 300 MB (measured {r['peak_rss_mb']:.0f} MB)")
    if os.environ.get("BENCH_CLASSIFIER_BASELINE"):
        _compare(env, os.environ["BENCH_CLASSIFIER_BASELINE"])

    from classifiers import load_classifier
    from classifiers.evaluation import evaluate_classifier, load_named_set
    from classifiers.training import train_model

    clf = load_classifier(lexicon_dir=ROOT / "config" / "lexicons")
    for name in ("challenge", "test"):
        report = evaluate_classifier(clf, load_named_set(name))
        print(f"{name} set (model {clf.version}, threshold {clf.threshold}):")
        for lang, m in report["by_lang"].items():
            print(f"  {lang}: precision {m['precision']:.4f} recall {m['recall']:.4f} F1 {m['f1']:.4f} "
                  f"MCC {m['mcc']:.4f} PR-AUC {m['pr_auc']:.4f} (n={m['n']})")
        o = report["overall"]
        print(f"  overall: precision {o['precision']:.4f} recall {o['recall']:.4f} F1 {o['f1']:.4f}")
        fpr = report["false_positive_rate_by_category"]
        print("  false-positive rate: " + ", ".join(f"{k} {v:.2%}" for k, v in fpr.items()))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        train_model(Path(tmp) / "m", seed=13, lexicon_dir=ROOT / "config" / "lexicons", log=lambda m: None)
        print(f"training time (full corpus, seed 13): {time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    main()
