"""The shipped corpus: size, composition, held-out templates, and that the build script reproduces it."""
import json
from collections import Counter

from classifiers.corpus.build import CORPUS_DIR, build


def _load():
    return {s: [json.loads(line) for line in open(CORPUS_DIR / f"{s}.jsonl", encoding="utf-8")]
            for s in ("train", "dev", "test")}


def test_size_and_composition():
    rows = [r for split in _load().values() for r in split]
    assert len(rows) >= 3000
    langs = Counter(r["lang"] for r in rows)
    assert langs["ru"] > langs["kk"] and langs["ru"] > langs["zh"] and langs["kk"] > 300 and langs["zh"] > 300
    hard = [r for r in rows if r["category"] in ("firearm", "souvenir", "news", "other-horn", "medicine")]
    assert len(hard) / len(rows) >= 0.30
    trade = [r for r in rows if r["label"] == "trade"]
    assert sum(1 for r in trade if r["obfuscation"]) > 100
    assert sum(1 for r in trade if r["intent"] == "buy") > 300
    assert sum(1 for r in trade if r["title_only"]) > 50


def test_splits_hold_out_whole_templates():
    corpus = _load()
    train_templates = {r["template"] for r in corpus["train"]}
    for split in ("dev", "test"):
        assert not {r["template"] for r in corpus[split]} & train_templates


def test_build_is_deterministic_and_matches_shipped_files():
    shipped = _load()
    rebuilt = build(13)
    for split in shipped:
        assert [r["text"] for r in rebuilt[split]] == [r["text"] for r in shipped[split]]


def test_written_texts_are_split_and_validated(tmp_path):
    import pytest

    from classifiers.corpus.written import CorpusError, load_written

    written = load_written()
    rows = [r for split in written.values() for r in split]
    assert len(rows) >= 1200 and {r["lang"] for r in rows} == {"ru", "kk", "zh", "mn", "uk", "en"}
    assert len(written["train"]) > len(written["dev"]) > 0 and len(written["test"]) > 0
    (tmp_path / "w.jsonl").write_text('{"lang": "ru", "text": "x", "label": "trade", "category": "trade"}\n'
                                      '{"lang": "fr", "text": "x", "label": "trade", "category": "trade"}\n',
                                      encoding="utf-8")
    with pytest.raises(CorpusError, match=r"w.jsonl:2: field 'lang' must be one of"):
        load_written(tmp_path)


def test_model_input_does_not_depend_on_the_hash_seed():
    """Training is reproducible across processes: features must not follow set order (PYTHONHASHSEED varies)."""
    import os
    import subprocess
    import sys

    code = ("import hashlib; from classifiers.analysis import Analyzer; from classifiers.lexicon import load_lexicon;"
            "from classifiers.classifier import model_features; from classifiers.training import load_corpus;"
            "an = Analyzer(load_lexicon('config/lexicons')); rows = load_corpus()['train'];"
            "print(hashlib.sha256(repr([sorted(model_features(an.analyse(r['text'], r.get('title'), r.get('lang'))))"
            " for r in rows]).encode()).hexdigest())")
    root = CORPUS_DIR.parents[1]
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONHASHSEED=seed)) for seed in ("1", "2")]
    out = [p.communicate()[0] for p in procs]
    assert all(p.returncode == 0 for p in procs) and out[0] == out[1]
