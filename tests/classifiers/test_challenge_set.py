"""The frozen challenge set: unchanged, composed as its datasheet says, and never part of a training split."""
import hashlib
import json
from collections import Counter

from classifiers.corpus.written import text_key
from classifiers.evaluation import CHALLENGE_PATH, load_named_set
from classifiers.training import load_corpus

CHALLENGE_SHA256 = "2cffc4e83647d9840a3ba72adaab9ee36b13203365190c6dc723b84b8da581c4"


def _grams(text: str) -> set[str]:
    return {text[i:i + 5] for i in range(len(text) - 4)}


def test_challenge_file_is_frozen():
    assert hashlib.sha256(CHALLENGE_PATH.read_bytes()).hexdigest() == CHALLENGE_SHA256


def test_composition_matches_the_issue():
    rows = load_named_set("challenge")
    langs = Counter(r["lang"] for r in rows)
    assert len(rows) >= 700 and langs["ru"] >= 250 and langs["kk"] >= 120 and langs["zh"] >= 150
    assert langs["mn"] >= 50 and langs["uk"] >= 50 and langs["en"] >= 30
    assert 0.4 <= sum(r["label"] == "trade" for r in rows) / len(rows) <= 0.6


def test_no_challenge_text_in_any_training_split():
    challenge = load_named_set("challenge")
    keys = {text_key(r) for r in challenge}
    texts = {" ".join(r["text"].lower().split()) for r in challenge}
    grams = [_grams(text_key(r)) for r in challenge]
    for split, rows in load_corpus().items():
        for r in rows:
            assert text_key(r) not in keys, (split, r)
            assert " ".join((r.get("text") or "").lower().split()) not in texts, (split, r)
            if r.get("source") == "written":  # near copies too (the templates cannot be: they are generated)
                g = _grams(text_key(r))
                assert all(len(g & c) / len(g | c) < 0.8 for c in grams if g and c), (split, r)
