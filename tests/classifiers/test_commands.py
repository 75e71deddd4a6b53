"""`saigawatch classify`, `evaluate`, `train` and `models` through the real CLI entry point."""
import json
import shutil
from pathlib import Path

import pytest

from saigawatch.cli import main


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def cfg(tmp_path):
    """A config whose model directory is empty (so the shipped model is used) inside the test's temp dir."""
    shipped = Path(__file__).resolve().parents[2] / "config" / "saigawatch.yaml"
    path = tmp_path / "sw.yaml"
    path.write_text(f"extends: {shipped}\nstorage:\n  database_path: {tmp_path / 'sw.db'}\n  data_dir: {tmp_path / 'var'}\n"
                    f"classifier:\n  lexicon_dir: {shipped.parent / 'lexicons'}\n  model_dir: {tmp_path / 'models'}\n",
                    encoding="utf-8")
    return path


def test_classify_contract_with_bad_lines(tmp_path, cfg, capsys):
    inp = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": "a", "title": "Рога сайги", "text": "Продам, 500 тг за грамм"}, ensure_ascii=False).encode(),
        b"{not json",
        json.dumps({"id": "b", "text": "Продам Сайга-12, магазин, разрешение"}, ensure_ascii=False).encode(),
        json.dumps({"id": "c"}).encode(),
        b"\xff\xfe\xfa binary",
        json.dumps({"id": "d", "text": ""}).encode(),
        json.dumps({"id": "e", "text": "x", "lang": "fr"}).encode(),
        json.dumps(["not", "an", "object"]).encode(),
        json.dumps({"id": "f", "text": "出售羚羊角 " * 200_000}, ensure_ascii=False).encode(),  # ~1 MB line
        b"",
    ]
    inp.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "--config", str(cfg), "classify", "--input", str(inp), "--output", str(out))
    assert code == 1
    for lineno, reason in ((2, "invalid JSON"), (4, "field 'text' is required"), (5, "invalid UTF-8"),
                           (7, "field 'lang' must be one of"), (8, "expected a JSON object")):
        assert f"in.jsonl:{lineno}: {reason}" in err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "d", "f"]
    for r in rows:
        assert {"id", "score", "flagged", "lang", "matched_terms", "intent", "category", "explanation"} <= set(r)
        assert 0 <= r["score"] <= 1
    a, b, d, f = rows
    assert a["flagged"] and a["intent"] == "sell" and a["category"] == "trade"
    assert any(m["field"] == "title" for m in a["explanation"]["matches"])
    assert not b["flagged"] and b["category"] == "firearm"
    assert not d["flagged"]
    assert f["flagged"] and f["lang"] == "zh" and f["explanation"]["truncated"]


def test_classify_all_valid_exits_zero(tmp_path, cfg, capsys):
    inp = tmp_path / "in.jsonl"
    inp.write_text(json.dumps({"id": "1", "text": "Киік мүйізін сатамын"}, ensure_ascii=False) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "--config", str(cfg), "classify", "--input", str(inp), "--output", str(tmp_path / "o.jsonl"))
    assert code == 0 and "1 flagged" in err


def test_classify_missing_input_is_one_line_error(tmp_path, cfg, capsys):
    code, _, err = run(capsys, "--config", str(cfg), "classify", "--input", str(tmp_path / "nope.jsonl"),
                       "--output", str(tmp_path / "o.jsonl"))
    assert code == 1 and "nope.jsonl: cannot read" in err


def test_evaluate_table_and_json(tmp_path, cfg, capsys):
    inp = tmp_path / "labelled.jsonl"
    rows = [
        {"id": "1", "text": "Продам рога сайги, 300 тг/гр", "label": "trade", "lang": "ru"},
        {"id": "2", "text": "Куплю рога сайгака дорого", "label": "trade"},
        {"id": "3", "text": "Продам Сайга-12, ружьё", "label": "not_trade", "lang": "ru"},
        {"id": "4", "text": "出售羚羊角片，每克200元", "label": "trade", "lang": "zh"},
        {"id": "5", "text": "羚羊感冒片 药店", "label": "not_trade", "lang": "zh"},
        {"id": "6", "text": "Киік мүйізін сатамын", "label": "trade", "lang": "kk"},
        {"id": "7", "text": "Полиция киік мүйіздерін тәркіледі", "label": "not_trade", "lang": "kk"},
    ]
    inp.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "--config", str(cfg), "evaluate", "--input", str(inp))
    assert code == 0
    for word in ("prec", "recall", "F1", "MCC", "PR-AUC", "overall", "kk", "ru", "zh", "confusion matrix"):
        assert word in out
    code, out, _ = run(capsys, "--config", str(cfg), "evaluate", "--input", str(inp), "--json")
    report = json.loads(out)
    assert report["overall"]["confusion"] == {"tp": 4, "fp": 0, "fn": 0, "tn": 3}
    assert set(report["by_lang"]) == {"ru", "kk", "zh"}
    assert report["overall"]["mcc"] == 1.0 and report["overall"]["pr_auc"] == 1.0
    with open(inp, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "8", "text": "x", "label": "maybe"}) + "\n")
    code, _, err = run(capsys, "--config", str(cfg), "evaluate", "--input", str(inp))
    assert code == 1 and "labelled.jsonl:8: field 'label' must be 'trade' or 'not_trade'" in err


def test_evaluate_challenge_set_per_language_and_category(cfg, capsys):
    code, out, _ = run(capsys, "--config", str(cfg), "evaluate", "--corpus", "challenge", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["overall"]["n"] >= 700 and {"ru", "kk", "zh", "mn", "uk", "en"} <= set(report["by_lang"])
    assert {"news", "conservation", "medicine", "firearm", "souvenir", "other-horn", "other-species"} <= set(
        report["false_positive_rate_by_category"])
    code, out, _ = run(capsys, "--config", str(cfg), "evaluate", "--corpus", "challenge")
    assert code == 0 and "labelled set: challenge" in out and "other-horn" in out
    code, _, err = run(capsys, "--config", str(cfg), "evaluate")
    assert code == 1 and "--input" in err and "--corpus" in err


def test_train_is_reproducible_judged_on_challenge_and_keeps_rollback(tmp_path, cfg, capsys):
    code, out, err = run(capsys, "--config", str(cfg), "train", "--seed", "5", "--epochs", "3")
    assert code == 0, err
    models = tmp_path / "models"
    # three optimisation steps make a poor model: the shipped one stays current
    assert "worse on the challenge set" in out and not (models / "CURRENT").exists()
    assert "challenge set" in out and "FPR medicine" in out
    code, out, err = run(capsys, "--config", str(cfg), "train", "--seed", "5", "--epochs", "3", "--force")
    assert code == 0, err
    first = (models / "CURRENT").read_text().strip()
    assert (models / first / "meta.json").is_file() and "is now current (forced)" in out
    meta = json.loads((models / first / "meta.json").read_text())
    assert meta["seed"] == 5 and meta["metrics"]["test"]["by_lang"]["ru"]["recall"] is not None
    files = {p.relative_to(models / first): p.read_bytes() for p in (models / first).rglob("*")
             if p.is_file() and p.name != "meta.json"}
    shutil.rmtree(models / first)
    (models / "CURRENT").unlink()
    code, out, err = run(capsys, "--config", str(cfg), "train", "--seed", "5", "--epochs", "3", "--force")
    assert code == 0, err
    assert (models / "CURRENT").read_text().strip() == first  # same seed and data → same version
    for rel, data in files.items():  # and the same bytes: weights, vocabulary, combiner, lexicon
        assert (models / first / rel).read_bytes() == data, rel
    code, out, _ = run(capsys, "--config", str(cfg), "models")
    assert code == 0 and first in out and "shipped" in out
    code, out, _ = run(capsys, "--config", str(cfg), "models", "--use", "sw-nope")
    assert code == 1


def test_train_with_reviews_uses_analyst_decisions(tmp_path, cfg, capsys):
    from config import load_config
    from store import Store
    from store.listings import upsert_listing
    from store.models import Review

    settings = load_config(cfg)
    store = Store.from_settings(settings)
    store.init()
    with store.session() as s:
        for pid, text, decision in (("r1", "Отдам сайгачьи рожки, 4 штуки", "sale"),
                                    ("r2", "Сайга 12 в сейфе, продаю", "not_trade"),
                                    ("r3", "непонятно что", "unsure")):
            lst = upsert_listing(s, {"platform": "olx", "platform_listing_id": pid, "url": f"https://x/{pid}",
                                     "title": "", "text": text}).listing
            s.add(Review(listing_id=lst.id, analyst="ana", decision=decision))
    store.dispose()
    out_dir = tmp_path / "with-reviews"
    code, out, err = run(capsys, "--config", str(cfg), "train", "--with-reviews", "--epochs", "2", "--output", str(out_dir))
    assert code == 0, err
    assert "2 reviewed listing(s) added" in out
    meta = json.loads((out_dir / "meta.json").read_text())
    assert meta["extra_examples"] == 2


def test_classify_refuses_non_string_ids_with_file_and_line(tmp_path, cfg, capsys):
    inp = tmp_path / "ids.jsonl"
    rows = [{"id": "ok", "text": "Продам рога сайги"}, {"id": 42, "text": "Продам рога сайги"},
            {"id": 4.5, "text": "x"}, {"id": True, "text": "x"}, {"id": None, "text": "x"}, {"text": "x"}]
    inp.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "--config", str(cfg), "classify", "--input", str(inp), "--output", str(out))
    assert code == 1
    assert "ids.jsonl:2: field 'id' must be a string, got int 42" in err
    assert "ids.jsonl:3: field 'id' must be a string, got float" in err
    assert "ids.jsonl:4: field 'id' must be a string, got bool" in err
    assert "ids.jsonl:5: field 'id' must be a string, got NoneType" in err
    assert "ids.jsonl:6: field 'id' is required" in err
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["ok"]
