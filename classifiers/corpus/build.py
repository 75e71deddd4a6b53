"""Build the labelled corpus deterministically from templates: `python -m classifiers.corpus.build [--seed N]`."""
from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from pathlib import Path

from classifiers.corpus import templates_kk, templates_ru, templates_zh

CORPUS_DIR = Path(__file__).resolve().parent
SPLITS = ("train", "dev", "test")
TRADE = ("sell", "buy")
TEMPLATE_MODULES = {"ru": templates_ru, "kk": templates_kk, "zh": templates_zh}
COUNTS = {
    "ru": {"sell": 420, "buy": 240, "firearm": 240, "souvenir": 170, "news": 200, "other-horn": 150, "medicine": 40,
           "irrelevant": 250},
    "kk": {"sell": 200, "buy": 120, "firearm": 100, "souvenir": 80, "news": 100, "other-horn": 80, "medicine": 20,
           "irrelevant": 100},
    "zh": {"sell": 220, "buy": 130, "firearm": 40, "souvenir": 90, "news": 120, "other-horn": 90, "medicine": 80,
           "irrelevant": 60},
}
HOMOGLYPHS = {"а": "a", "с": "c", "о": "o", "р": "p", "е": "e", "х": "x", "у": "y", "к": "k", "м": "m", "т": "t"}
DIGITS = {"а": "@", "о": "0", "з": "3", "б": "6"}
TRANSLIT = {
    "рога сайги": ["roga saigi", "roga saygi", "saiga horns", "roga sajgi"], "рог сайгака": ["rog saigaka", "saigak rog"],
    "киік мүйізін": ["kiik muyizin", "kiik muiizin"], "киік мүйізі": ["kiik muyizi", "kiik muiizi"],
    "羚羊角": ["ling yang jiao", "lingyang"],
}
SPARKLE = ["🔥", "✅", "❗", "👍", "⚡", "💯", "‼️", "🙏"]
ZH_TRAD = str.maketrans({"赛": "賽", "丝": "絲", "鼻": "鼻", "片": "片", "粉": "粉", "尖": "尖", "对": "對", "价": "價",
                         "货": "貨", "卖": "賣", "购": "購", "收": "收", "邮": "郵", "联": "聯", "系": "係", "验": "驗",
                         "现": "現", "格": "格", "议": "議", "发": "發"})


class Filler:
    """Fills {slot} placeholders with random, language-specific values."""

    def __init__(self, mod, rng: random.Random) -> None:
        self.slots = mod.SLOTS
        self.rng = rng

    def number(self, name: str) -> str:
        r = self.rng
        return {
            "n": str(r.choice([150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000, 1200, 1500, 2500])),
            "n2": str(r.choice([5, 8, 12, 15, 20, 25, 30, 45, 50, 60, 80, 120, 150]) * 1000),
            "k": str(r.randint(2, 9)),
            "g": str(r.choice([50, 100, 150, 200, 250, 300, 500, 700, 1000])),
            "d2": f"{r.randint(0, 99):02d}", "d2b": f"{r.randint(0, 99):02d}", "d2c": f"{r.randint(0, 99):02d}",
            "d3": f"{r.randint(100, 999)}", "year": str(r.randint(1980, 2022)),
        }[name]

    def fill(self, template: str, fixed: dict[str, str] | None = None, depth: int = 0) -> str:
        fixed = fixed or {}

        def sub(m: re.Match) -> str:
            name = m.group(1)
            if name in fixed:
                return fixed[name]
            if name in self.slots:
                return self.fill(self.rng.choice(self.slots[name]), fixed, depth + 1) if depth < 3 else name
            return self.number(name)

        return re.sub(r"\{(\w+)\}", sub, template)


def obfuscate(phrase: str, kind: str, rng: random.Random, lang: str) -> str:
    """Disguise a key phrase the way sellers do."""
    if kind == "homoglyph":
        return "".join(HOMOGLYPHS[c] if c in HOMOGLYPHS and rng.random() < 0.5 else c for c in phrase)
    if kind == "digits":
        out = "".join(DIGITS[c] if c in DIGITS and rng.random() < 0.6 else c for c in phrase)
        return out
    if kind == "spaced":
        return "  ".join(" ".join(w) for w in phrase.split())
    if kind == "dotted":
        return " ".join(".".join(w) for w in phrase.split())
    if kind == "translit":
        for key, options in TRANSLIT.items():
            if key in phrase:
                return phrase.replace(key, rng.choice(options))
        return phrase
    if kind == "emoji":
        return f"{rng.choice(SPARKLE)}{phrase}{rng.choice(SPARKLE)}"
    if kind == "traditional":
        return phrase.translate(ZH_TRAD)
    if kind == "homophone":  # 玲羊角, 灵羊角: same sound, other character
        return phrase.replace("羚", rng.choice(["玲", "灵", "零", "伶"]), 1)
    if kind == "caps":
        return phrase.upper()
    return phrase


OBFUSCATIONS = {"ru": ["homoglyph", "digits", "spaced", "dotted", "translit", "emoji", "caps"],
                "kk": ["homoglyph", "digits", "spaced", "translit", "emoji", "caps"],
                "zh": ["traditional", "spaced", "translit", "emoji", "homophone"]}


def typo(text: str, rng: random.Random) -> str:
    """Swap two neighbouring letters in one random word (a real writer's slip)."""
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def make_example(lang: str, cls: str, template: str, rng: random.Random, title_only: bool) -> dict:
    mod = TEMPLATE_MODULES[lang]
    filler = Filler(mod, rng)
    fixed: dict[str, str] = {}
    obf = None
    if cls in TRADE and rng.random() < 0.35:
        obf = rng.choice(OBFUSCATIONS[lang])
        for slot in ("sp", "sp_nom", "sp_gen", "sp_part"):
            if slot in mod.SLOTS:
                fixed[slot] = obfuscate(rng.choice(mod.SLOTS[slot]), obf, rng, lang)
    if title_only:
        text = filler.fill(rng.choice(mod.TITLE_ONLY_TEXT), fixed)
        keyed = [t for t in mod.TITLES[cls] if any(k in t.lower() for k in ("сайг", "киік", "ақбөкен", "羚羊", "антилоп"))]
        title = filler.fill(rng.choice(keyed or mod.TITLES[cls]), fixed)
        if obf:
            title = obfuscate(title, obf, rng, lang)
    else:
        text = filler.fill(template, fixed)
        title = filler.fill(rng.choice(mod.TITLES[cls]), fixed) if rng.random() < 0.8 else ""
        if cls not in TRADE and rng.random() < 0.12:  # negatives get obfuscated-looking text too
            kind = rng.choice(["homoglyph", "caps", "emoji"] if lang != "zh" else ["traditional", "emoji"])
            text = obfuscate(text, kind, rng, lang)
    sep = "" if lang == "zh" else " "
    pool = mod.NEWS_NOISE if cls == "news" else mod.NOISE  # posts and articles do not end like ads
    noise = [filler.fill(rng.choice(pool)) for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))]
    for sentence in noise:
        text = (text + sep + sentence) if rng.random() < 0.75 else (sentence + sep + text)
    if lang != "zh" and rng.random() < 0.1:
        text = typo(text, rng)
    if rng.random() < 0.15:
        text = f"{rng.choice(SPARKLE)} {text}"
    if rng.random() < 0.1:
        text = text.upper() if lang != "zh" else text
    if rng.random() < 0.1 and title:
        title = title.upper()
    return {
        "lang": lang,
        "title": title,
        "text": text,
        "label": "trade" if cls in TRADE else "not_trade",
        "intent": cls if cls in TRADE else "unknown",
        "category": "trade" if cls in TRADE else cls,
        "obfuscation": obf,
        "title_only": title_only,
    }


def split_templates(n: int, rng: random.Random) -> dict[str, list[int]]:
    """Hold out whole templates for dev and test, so evaluation measures generalisation, not recall of templates."""
    order = list(range(n))
    rng.shuffle(order)
    n_test = max(1, round(n * 0.2)) if n >= 3 else 0
    n_dev = max(1, round(n * 0.15)) if n >= 3 else 0
    return {"test": order[:n_test], "dev": order[n_test:n_test + n_dev], "train": order[n_test + n_dev:] or order}


def build(seed: int = 13) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    out: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for lang, counts in COUNTS.items():
        mod = TEMPLATE_MODULES[lang]
        for cls, total in counts.items():
            templates = mod.TEMPLATES[cls]
            groups = split_templates(len(templates), rng)
            shares = {"train": 0.65, "dev": 0.15, "test": 0.20}
            for split in SPLITS:
                if not groups[split]:
                    continue
                n = round(total * shares[split])
                for i in range(n):
                    t_index = groups[split][i % len(groups[split])]
                    title_only = cls in TRADE and rng.random() < 0.1
                    ex = make_example(lang, cls, templates[t_index], rng, title_only)
                    ex["template"] = f"{lang}/{cls}/{t_index}"
                    ex["split"] = split
                    out[split].append(ex)
    for split in SPLITS:
        rng.shuffle(out[split])
        for i, ex in enumerate(out[split]):
            ex["id"] = f"{split}-{i:05d}"
    return out


def write(corpus: dict[str, list[dict]], directory: Path = CORPUS_DIR) -> None:
    for split, rows in corpus.items():
        with open(directory / f"{split}.jsonl", "w", encoding="utf-8") as fh:
            for ex in rows:
                keys = ("id", "lang", "title", "text", "label", "intent", "category", "obfuscation", "title_only",
                        "template")
                fh.write(json.dumps({k: ex[k] for k in keys}, ensure_ascii=False) + "\n")


def counts_table(corpus: dict[str, list[dict]]) -> str:
    """Markdown table of counts per split, language and category (for the datasheet)."""
    c = Counter((ex["split"], ex["lang"], ex["category"]) for rows in corpus.values() for ex in rows)
    cats = ["trade", "firearm", "souvenir", "news", "other-horn", "medicine", "irrelevant"]
    lines = ["| split | lang | " + " | ".join(cats) + " | total |", "|" + "---|" * (len(cats) + 3)]
    for split in SPLITS:
        for lang in COUNTS:
            row = [c[(split, lang, k)] for k in cats]
            lines.append(f"| {split} | {lang} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=13, help="random seed (the shipped corpus uses 13)")
    parser.add_argument("--out", type=Path, default=CORPUS_DIR, help="directory for train/dev/test.jsonl")
    args = parser.parse_args(argv)
    corpus = build(args.seed)
    write(corpus, args.out)
    rows = [ex for r in corpus.values() for ex in r]
    print(f"{len(rows)} examples written to {args.out}")
    print(counts_table(corpus))


if __name__ == "__main__":
    main()
