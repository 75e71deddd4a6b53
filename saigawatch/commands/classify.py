"""`saigawatch classify`, `train`, `evaluate` and `models`: run, retrain and measure the trade classifier."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import IO, Iterator

import click

from saigawatch.context import UserError, get_context

LANG_CODES = ("ru", "kk", "zh", "mn", "uk", "uz", "en", "other")
LABELS = ("trade", "not_trade")


def register(app: click.Group) -> None:
    app.add_command(classify)
    app.add_command(train)
    app.add_command(evaluate)
    app.add_command(models)


# -- helpers -----------------------------------------------------------------------------------

def _classifier(threshold: float | None = None):
    from classifiers import LexiconError, ModelNotFound, classifier_from_settings

    settings = get_context().settings
    cs = settings.classifier
    if threshold is not None:
        cs = cs.model_copy(update={"threshold": threshold})
    try:
        return classifier_from_settings(cs, settings.config_dir)
    except (ModelNotFound, LexiconError) as exc:
        raise UserError(str(exc)) from None


def _open_in(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise UserError(f"{path}: cannot read ({exc.strerror})") from None


def read_jsonl(path: str, *, labelled: bool = False) -> Iterator[tuple[int, dict | None, str | None]]:
    """Yield (line number, record, error) for every non-blank line; one bad line never stops the rest."""
    fh = _open_in(path)
    try:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield lineno, None, f"invalid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start})"
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                yield lineno, None, f"invalid JSON: {exc.msg} at column {exc.colno}"
                continue
            error = validate_record(rec, labelled=labelled)
            yield lineno, (None if error else rec), error
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def validate_record(rec, *, labelled: bool = False) -> str | None:
    """The reason a record breaks the input contract, or None."""
    if not isinstance(rec, dict):
        return f"expected a JSON object, got {type(rec).__name__}"
    rid = rec.get("id")
    if "id" not in rec:
        return "field 'id' is required and must be a non-empty string"
    if not isinstance(rid, str):
        return f"field 'id' must be a string, got {type(rid).__name__} {json.dumps(rid)[:40]} (quote it: \"{rid}\")"
    if not rid.strip():
        return "field 'id' must be a non-empty string"
    if "text" not in rec:
        return "field 'text' is required"
    if not isinstance(rec["text"], str):
        return f"field 'text' must be a string, got {type(rec['text']).__name__}"
    if rec.get("title") is not None and not isinstance(rec["title"], str):
        return f"field 'title' must be a string, got {type(rec['title']).__name__}"
    lang = rec.get("lang")
    if lang is not None and lang not in LANG_CODES:
        return f"field 'lang' must be one of {', '.join(LANG_CODES)}, got {lang!r}"
    if labelled and rec.get("label") not in LABELS:
        return f"field 'label' must be 'trade' or 'not_trade', got {rec.get('label')!r}"
    return None


def _progress_echo(done: int, started: float) -> None:
    click.echo(f"classified {done} lines ({done / max(time.perf_counter() - started, 1e-9):.0f}/s)", err=True)


# -- classify ----------------------------------------------------------------------------------

@click.command("classify")
@click.option("--input", "input_path", required=True, metavar="IN.jsonl",
              help='JSON lines {"id", "text"} with optional "title" and "lang"; "-" reads stdin.')
@click.option("--output", "output_path", required=True, metavar="OUT.jsonl",
              help='Where to write one result line per valid input line, in order; "-" writes stdout.')
@click.option("--threshold", type=click.FloatRange(0, 1), default=None,
              help="Decision threshold (default: classifier.threshold from config, else the model's dev-split threshold).")
@click.option("--no-explanation", is_flag=True, help="Leave out the 'explanation' field (smaller output).")
def classify(input_path: str, output_path: str, threshold: float | None, no_explanation: bool) -> None:
    """Score listings for Saiga-horn trade: score, flag, language, intent, category, matched terms and why."""
    clf = _classifier(threshold)
    batch_size = get_context().settings.classifier.batch_size
    out = sys.stdout if output_path == "-" else None
    if out is None:
        try:
            Path(output_path).parent.mkdir(parents=True, exist_ok=True)
            out = open(output_path, "w", encoding="utf-8")
        except OSError as exc:
            raise UserError(f"{output_path}: cannot write ({exc.strerror})") from None
    invalid = flagged = done = 0
    started = time.perf_counter()
    batch: list[dict] = []

    def flush() -> None:
        nonlocal flagged, done
        if not batch:
            return
        for rec, v in zip(batch, clf.classify_many(batch, batch_size=batch_size)):
            row = {"id": rec["id"], "score": v.score, "flagged": v.flagged, "lang": v.lang,
                   "matched_terms": v.matched_terms, "intent": v.intent, "category": v.category,
                   "priority": v.priority, "model_version": v.model_version}
            if not no_explanation:
                row["explanation"] = v.explanation
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            flagged += v.flagged
        done += len(batch)
        batch.clear()
        if progress is not None:
            progress.update(task, completed=done)
        elif done % (batch_size * 40) == 0:
            _progress_echo(done, started)

    progress = task = None
    if sys.stderr.isatty():  # a live counter on a terminal, plain log lines otherwise
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn

        progress = Progress(SpinnerColumn(), TextColumn("classified {task.completed} line(s)"), transient=True,
                            console=Console(stderr=True))
        task = progress.add_task("classify", total=None)
        progress.start()
    try:
        for lineno, rec, error in read_jsonl(input_path):
            if error:
                invalid += 1
                click.echo(f"{input_path}:{lineno}: {error}", err=True)
                continue
            batch.append(rec)
            if len(batch) >= batch_size:
                flush()
        flush()
    finally:
        if progress is not None:
            progress.stop()
        if out is not sys.stdout:
            out.close()
    click.echo(f"classified {done} line(s), {flagged} flagged, {invalid} invalid; model {clf.version}", err=True)
    if invalid:
        raise click.exceptions.Exit(1)


# -- evaluate ----------------------------------------------------------------------------------

def format_report(report: dict) -> str:
    """A plain-text table of the evaluation report."""
    lines = [f"threshold {report['threshold']}, model {report.get('model_version', '?')}"
             + (f", labelled set: {report['set']}" if report.get("set") else ""),
             f"{'':8} {'n':>6} {'pos':>5} {'prec':>7} {'recall':>7} {'F1':>7} {'MCC':>7} {'PR-AUC':>7}"]

    def row(name: str, m: dict) -> str:
        def f(v):
            return "   -   " if v is None else f"{v:7.4f}"
        return f"{name:8} {m['n']:6d} {m['positives']:5d} {f(m['precision'])} {f(m['recall'])} {f(m['f1'])} " \
               f"{f(m['mcc'])} {f(m['pr_auc'])}"

    for lang, m in report["by_lang"].items():
        lines.append(row(lang, m))
    lines.append(row("overall", report["overall"]))
    c = report["overall"]["confusion"]
    lines += ["", "confusion matrix (rows: true, columns: predicted)",
              f"{'':12} {'trade':>9} {'not_trade':>9}",
              f"{'trade':12} {c['tp']:9d} {c['fn']:9d}",
              f"{'not_trade':12} {c['fp']:9d} {c['tn']:9d}"]
    if report.get("false_positive_rate_by_category"):
        counts = report.get("not_trade_by_category") or {}
        lines += ["", "false-positive rate by not_trade category (flagged / texts):"]
        for k, v in report["false_positive_rate_by_category"].items():
            n = counts.get(k)
            lines.append(f"  {k:14} {v:6.1%}" + (f"  ({round(v * n)}/{n})" if n else ""))
    return "\n".join(lines)


@click.command("evaluate")
@click.option("--input", "input_path", default=None, metavar="LABELLED.jsonl",
              help='JSON lines {"id", "text", "label": "trade"|"not_trade"} with optional "title", "lang", "category".')
@click.option("--corpus", "corpus_name", type=click.Choice(["challenge", "test", "dev"]), default=None,
              help="Evaluate on a shipped labelled set instead: the frozen challenge set, or the corpus test/dev split.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of a table.")
@click.option("--threshold", type=click.FloatRange(0, 1), default=None, help="Evaluate at this threshold instead.")
def evaluate(input_path: str | None, corpus_name: str | None, as_json: bool, threshold: float | None) -> None:
    """Precision, recall, F1, MCC and PR-AUC per language and overall, the confusion matrix, and the
    false-positive rate per not_trade category."""
    from classifiers.evaluation import evaluate_classifier, load_named_set

    if (input_path is None) == (corpus_name is None):
        raise UserError("give either --input LABELLED.jsonl or --corpus challenge|test|dev")
    clf = _classifier(threshold)
    records, invalid = [], 0
    if corpus_name:
        records = load_named_set(corpus_name)
    else:
        for lineno, rec, error in read_jsonl(input_path, labelled=True):
            if error:
                invalid += 1
                click.echo(f"{input_path}:{lineno}: {error}", err=True)
            else:
                records.append(rec)
        if not records:
            raise UserError(f"{input_path}: no valid labelled lines to evaluate")
    report = evaluate_classifier(clf, records)
    report["set"] = corpus_name or input_path
    report["invalid_lines"] = invalid
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else format_report(report))
    if invalid:
        raise click.exceptions.Exit(1)


# -- train -------------------------------------------------------------------------------------

@click.command("train")
@click.option("--seed", type=int, default=13, show_default=True, help="Random seed; the same seed and data give the same model.")
@click.option("--with-reviews", is_flag=True, help="Add analysts' decisions (Review rows) to the training data.")
@click.option("--epochs", type=click.IntRange(1, 2000), default=None,
              help="Override the number of optimisation steps (default 200).")
@click.option("--output", type=click.Path(path_type=Path), default=None,
              help="Write the model to this directory only (no comparison, CURRENT untouched).")
@click.option("--force", is_flag=True, help="Make the new model current even if it is worse on the challenge set.")
def train(seed: int, with_reviews: bool, epochs: int | None, output: Path | None, force: bool) -> None:
    """Train a new model version; it replaces the current one only if no worse on the frozen challenge set."""
    from classifiers.training import train_model
    from classifiers.versions import train_candidate

    ctx = get_context()
    settings = ctx.settings
    lexicon_dir = Path(settings.classifier.lexicon_dir).expanduser()
    if not lexicon_dir.is_absolute():
        lexicon_dir = settings.config_dir / lexicon_dir
    extra: list[dict] = []
    if with_reviews:
        from alerts.review.flagging import review_examples

        with ctx.store().session() as session:
            extra = review_examples(session)
        click.echo(f"{len(extra)} reviewed listing(s) added to the training data")

    def log(msg: str) -> None:
        click.echo(msg, err=True)

    if output is not None:
        meta = train_model(output, seed=seed, lexicon_dir=lexicon_dir, extra_examples=extra, max_epochs=epochs, log=log)
        click.echo(f"model {meta['version']} written to {output}")
        return
    models_dir = Path(settings.classifier.model_dir).expanduser()
    cand = train_candidate(models_dir, lexicon_dir=lexicon_dir, seed=seed, extra_examples=extra, max_epochs=epochs,
                           force=force, log=log)
    if cand.current is not None:
        click.echo(f"current model: {cand.old_report['model_version']} ({cand.current})")
    click.echo(f"new model:     {cand.version} ({cand.path}), trained in {cand.meta['train_seconds']}s")
    click.echo(cand.table())
    if cand.identical:
        click.echo("the new model is identical to the current one (same data, lexicon and seed)")
    elif cand.promoted:
        click.echo(f"{cand.version} is now current" + (" (forced)" if cand.forced else "")
                   + (f"; previous model kept for rollback: {cand.current}" if cand.current else ""))
    else:
        click.echo(f"new model is worse on the challenge set ({'; '.join(cand.problems)}): kept "
                   f"{cand.current.name if cand.current else 'the current model'} as current; switch with "
                   f"`saigawatch models --use {cand.version}` if you still want it")


@click.command("models")
@click.option("--use", "use_version", default=None, metavar="VERSION",
              help="Make this trained version current (rollback or roll forward).")
def models(use_version: str | None) -> None:
    """List trained model versions with their test figures, or switch the current one."""
    from classifiers import ModelNotFound
    from classifiers.versions import list_versions, use_version as make_current

    models_dir = Path(get_context().settings.classifier.model_dir).expanduser()
    if use_version:
        try:
            make_current(models_dir, use_version)
        except ModelNotFound as exc:
            raise UserError(str(exc)) from None
        click.echo(f"{use_version} is now current")
        return
    for v in list_versions(models_dir):
        meta = v["meta"]
        test = meta["metrics"]["test"]["overall"]
        mark = "*" if v["current"] else " "
        where = "shipped" if v["shipped"] else str(v["path"])
        click.echo(f"{mark} {meta['version']:18} {meta['created_at']}  test P {test['precision']:.3f} "
                   f"R {test['recall']:.3f} F1 {test['f1']:.3f}  {where}")
