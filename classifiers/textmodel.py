"""The statistical model: a multinomial logistic regression over words, word pairs, character n-grams and cues."""
from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path
from typing import Iterable

import numpy as np

LABELS = ("SELL", "BUY", "FIREARM", "SOUVENIR", "NEWS", "CONSERVATION", "OTHER_HORN", "OTHER_SPECIES", "MEDICINE",
          "IRRELEVANT")
TRADE_LABELS = ("SELL", "BUY")
CATEGORY_OF = {"FIREARM": "firearm", "SOUVENIR": "souvenir", "NEWS": "news", "CONSERVATION": "conservation",
               "OTHER_HORN": "other-horn", "OTHER_SPECIES": "other-species", "MEDICINE": "medicine",
               "IRRELEVANT": "irrelevant"}
LABEL_OF_CATEGORY = {v: k for k, v in CATEGORY_OF.items()}
CHAR_NGRAMS = (4,)
MAX_CHARS = 3000  # character n-grams come from the first 3,000 characters of each field
WEIGHTS_FILE = "weights.f32"
VOCAB_FILE = "vocab.txt"
PARAMS_FILE = "textmodel.json"


def _padded(text: str) -> str:
    """The text character n-grams are taken from: whitespace runs as one space, a space at each end."""
    return " " + " ".join(text[:MAX_CHARS].split()) + " "


def _char_grams(field_texts: Iterable[str]) -> list[str]:
    out: list[str] = []
    for text in field_texts:
        t = _padded(text)
        for n in CHAR_NGRAMS:
            out.extend([t[i:i + n] for i in range(len(t) - n + 1)])
    return out


def _word_feats(words: list[str], cues: Iterable[str]) -> list[str]:
    out = ["w:" + w for w in words]
    out.extend(["b:" + a + "|" + b for a, b in zip(words, words[1:])])
    out.extend(["s:" + c for c in cues])
    return out


def feature_strings(words: list[str], field_texts: Iterable[str], cues: Iterable[str]) -> set[str]:
    """Every feature of one listing: w:word, b:word|next, s:cue, and bare character n-grams (obfuscation-proof:
    they come from the normalised text, so «с@йг0» and «сайго» share them)."""
    feats = set(_word_feats(words, cues))
    feats.update(_char_grams(field_texts))
    return feats


class KeyTable:
    """Exact look-up of non-negative integer keys in an open-addressing hash table, a whole array of queries at once
    (a few vectorised probes instead of a binary search per query); a key is compared in full, so a hash collision
    never gives a wrong answer."""

    _MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the top bits of key × 2⁶⁴/φ

    def __init__(self, keys: np.ndarray, ids: np.ndarray) -> None:
        keys = np.asarray(keys).astype(np.uint64)
        ids = np.asarray(ids, dtype=np.int64)
        if len(np.unique(keys)) != len(keys):
            raise ValueError("a key appears twice")
        bits = max(4, int(len(keys) * 4 - 1).bit_length())  # at most a quarter full: few probes
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1
        self._keys = np.zeros(1 << bits, dtype=np.uint64)
        self._ids = np.full(1 << bits, -1, dtype=np.int64)  # -1: an empty slot
        # linear probing, all keys at once: of the keys whose slot is free, the first one per slot takes it; every
        # other key moves on to the next slot (its own is taken now)
        pending = np.arange(len(keys))
        slots = self._slots(keys)
        while len(pending):
            free = np.flatnonzero(self._ids[slots] < 0)
            taken, first = np.unique(slots[free], return_index=True)
            winners = pending[free[first]]
            self._keys[taken] = keys[winners]
            self._ids[taken] = ids[winners]
            lost = np.ones(len(pending), dtype=bool)
            lost[free[first]] = False
            pending = pending[lost]
            slots = (slots[lost] + 1) & self._mask

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * self._MULTIPLIER) >> self._shift).astype(np.int64)  # uint64 products wrap round

    def lookup(self, query: np.ndarray) -> np.ndarray:
        """The id of each query key, -1 where it is not in the table."""
        query = query.astype(np.uint64, copy=False)
        slots = self._slots(query)
        ids = self._ids[slots]
        found = self._keys[slots]
        out = np.where(found == query, ids, -1)  # an empty slot holds key 0 and id -1: -1 even for a query of 0
        todo = np.flatnonzero((found != query) & (ids >= 0))  # an occupied slot of another key: try the next one
        slots = slots[todo]
        while len(todo):
            slots = (slots + 1) & self._mask
            ids = self._ids[slots]
            hit = self._keys[slots] == query[todo]
            out[todo[hit]] = ids[hit]
            more = ~hit & (ids >= 0)
            todo, slots = todo[more], slots[more]
        return out


class GramTable:
    """Every vocabulary entry of n characters (n in CHAR_NGRAMS) as a sorted array of integer keys: each character
    becomes its rank in the vocabulary's alphabet (16 bits, the first character lowest), so a key is exact, never a
    hash that can collide, and the keys of all n-grams of a text are one strided view of its ranks."""

    KEY_TYPES = {1: "<u2", 2: "<u4", 4: "<u8"}

    def __init__(self, vocab: dict[str, int]) -> None:
        self.tables = []
        for n in CHAR_NGRAMS:
            grams = [f for f in vocab if len(f) == n]
            alphabet = sorted({ord(c) for g in grams for c in g})
            if len(alphabet) >= (1 << 16) - 1 or n not in self.KEY_TYPES:
                raise ValueError(f"{len(alphabet)} characters in {n}-grams: too many or the wrong length for keys")
            rank = np.zeros((alphabet[-1] if alphabet else 0) + 2, dtype="<u2")  # 0: not in the alphabet
            rank[alphabet] = np.arange(1, len(alphabet) + 1)
            keys = np.array([sum(int(rank[ord(c)]) << (16 * k) for k, c in enumerate(g)) for g in grams],
                            dtype=self.KEY_TYPES[n])
            ids = np.array([vocab[g] for g in grams], dtype=np.int64)
            self.tables.append((n, rank, KeyTable(keys, ids) if len(keys) else None, keys.dtype))

    def lookup_groups(self, groups: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """The vocabulary indices of the character n-grams of each group of texts (none spanning two texts), group
        after group, and how many each group has; all groups in one vectorised pass (the per-call cost of numpy is
        paid once)."""
        texts = [t for group in groups for t in group]
        # 0xFFFFFFFF between the texts: beyond Unicode, so it has rank 0 and no n-gram crosses it
        codes = np.frombuffer(b"\xff\xff\xff\xff".join(t.encode("utf-32-le") for t in texts), dtype="<u4")
        # where each group's code points end (each text is followed by one separator)
        ends = np.cumsum([sum(len(t) + 1 for t in group) for group in groups])
        per_table = []
        for n, rank, table, key_type in self.tables:
            if len(codes) < n or table is None:
                continue
            r = rank[np.minimum(codes, len(rank) - 1)]
            # n consecutive 16-bit ranks read as one little-endian integer: the key of the n-gram starting there
            # (an n-gram with a character outside the alphabet has a 0 in it, so it equals no key)
            query = np.ndarray((len(r) - n + 1,), dtype=key_type, buffer=r, strides=(r.itemsize,))
            ids = table.lookup(query)
            hit = np.flatnonzero(ids >= 0)
            # an n-gram belongs to the group it starts in
            per_table.append((ids[hit], np.diff(np.searchsorted(hit, ends), prepend=0)))
        if not per_table:
            return np.zeros(0, dtype=np.int64), np.zeros(len(groups), dtype=np.int64)
        if len(per_table) == 1:
            return per_table[0]
        counts = sum(n for _, n in per_table)
        split = [np.split(ids, np.cumsum(n)[:-1]) for ids, n in per_table]
        return np.concatenate([part for parts in zip(*split) for part in parts]), counts  # group by group


class WordTable:
    """The vocabulary's words (w:) and word pairs (b:) by integer code: every word that is a feature or half of a pair
    has a code; a pair is the integer first × codes + second, looked up in a sorted array."""

    def __init__(self, word_ids: dict[str, int], pair_ids: dict[tuple[str, str], int]) -> None:
        names = sorted(set(word_ids) | {w for pair in pair_ids for w in pair})
        self.code_of = {w: i for i, w in enumerate(names)}
        self.word_id = np.full(len(names) + 1, -1, dtype=np.int64)  # by code + 1: entry 0 is for «no code»
        for w, i in word_ids.items():
            self.word_id[self.code_of[w] + 1] = i
        self.base = max(len(names), 1)
        keys = np.array([self.code_of[a] * self.base + self.code_of[b] for a, b in pair_ids], dtype=np.int64)
        self.pairs = KeyTable(keys, np.array(list(pair_ids.values()), dtype=np.int64)) if pair_ids else None

    def pair_ids(self, codes: np.ndarray, sizes: list[int]) -> np.ndarray:
        """For each word of the documents (codes, documents of `sizes` words one after another), the vocabulary
        index of the pair it starts within its document, -1 for none."""
        out = np.full(len(codes), -1, dtype=np.int64)
        if len(codes) < 2 or self.pairs is None:
            return out
        first, second = codes[:-1], codes[1:]
        valid = (first >= 0) & (second >= 0)
        last = np.cumsum(sizes)[np.asarray(sizes) > 0] - 1  # the last word of each document pairs with nothing
        valid[last[last < len(valid)]] = False  # (the batch's last word has no pair to begin with)
        out[:-1][valid] = self.pairs.lookup(first[valid] * self.base + second[valid])
        return out


def _softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, in place."""
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


@dataclass
class TextModel:
    """Weights (features × labels) over a fixed vocabulary; the score of a text is a softmax over the labels."""

    vocab: dict[str, int]
    weights: np.ndarray  # float32, (len(vocab), len(labels))
    bias: np.ndarray  # float32, (len(labels),)
    labels: tuple[str, ...] = LABELS

    def indices(self, feats: Iterable[str]) -> list[int]:
        found = set(map(self.vocab.get, feats))
        found.discard(None)
        return sorted(found)

    def text_indices(self, words: list[str], field_texts: Iterable[str], cues: Iterable[str]) -> list[int]:
        """The same as indices(feature_strings(...)), without building the feature strings."""
        return self.text_index_arrays([(words, field_texts, cues)])[0].tolist()

    def text_index_arrays(self, docs: list[tuple[list[str], Iterable[str], Iterable[str]]]) -> list[np.ndarray]:
        """text_indices of each (words, field texts, cues), as sorted arrays. All documents at once: each word becomes
        an integer code (one dict look-up), word features and word pairs are then read from arrays by code (a pair is
        one integer key, no tuple), the character n-grams are integer keys found in one vectorised search; each
        document's indices are then laid out side by side in one array, sorted document by document in place, and
        stripped of repeats and misses in one pass."""
        if not docs:
            return []
        words = self._word_table()
        grams, gram_counts = self._gram_table().lookup_groups([[_padded(text) for text in fields]
                                                               for _, fields, _ in docs])
        sizes = np.array([len(doc[0]) for doc in docs], dtype=np.int64)
        total = int(sizes.sum())
        codes = np.fromiter(map(words.code_of.get, chain.from_iterable(doc[0] for doc in docs), repeat(-1)),
                            dtype=np.int64, count=total)
        word_ids = words.word_id[codes + 1]  # -1 (no code) reads the leading -1
        pair_ids = words.pair_ids(codes, sizes)
        cue_ids = self._kind_tables()[2]
        found = [[cue_ids[c] for c in doc[2] if c in cue_ids] for doc in docs]
        cues = np.fromiter(chain.from_iterable(found), dtype=np.int64)
        cue_counts = np.array([len(f) for f in found], dtype=np.int64)
        # each document's part: its words' ids, their pairs' ids, its cues' ids, its n-grams' ids
        lengths = 2 * sizes + cue_counts + gram_counts
        ends = np.cumsum(lengths)
        starts = ends - lengths
        ids = np.empty(int(ends[-1]), dtype=np.int64)
        for part, counts, offset in ((word_ids, sizes, 0), (pair_ids, sizes, sizes), (cues, cue_counts, 2 * sizes),
                                     (grams, gram_counts, 2 * sizes + cue_counts)):
            # element j of a part goes to its document's start + the part's offset + j - where the document's run
            # of this part begins
            ids[np.arange(len(part)) + np.repeat(starts + offset - (np.cumsum(counts) - counts), counts)] = part
        for a, b in zip(starts.tolist(), ends.tolist()):
            ids[a:b].sort()
        keep = np.empty(len(ids), dtype=bool)
        keep[:1] = True
        np.not_equal(ids[1:], ids[:-1], out=keep[1:])
        keep[starts[lengths > 0]] = True  # each document's first index is new to it
        keep &= ids >= 0  # -1: a word or pair not in the vocabulary
        kept = ids[keep]  # np.unique per document, without its hashing detour
        kept_before = np.zeros(len(keep) + 1, dtype=np.int64)
        np.cumsum(keep, out=kept_before[1:])
        cuts = kept_before[ends].tolist()  # how many were kept before each document's end
        return [kept[a:b] for a, b in zip([0, *cuts], cuts)]

    def _word_table(self) -> "WordTable":
        table = getattr(self, "_words", None)
        if table is None:
            word_ids, pair_ids, _ = self._kind_tables()
            table = self._words = WordTable(word_ids, pair_ids)
        return table

    def _kind_tables(self) -> tuple[dict[str, int], dict[tuple[str, str], int], dict[str, int]]:
        """The vocabulary's w:, b: and s: features without their prefix (so look-ups need no string building); word
        pairs are keyed by (word, next word)."""
        tables = getattr(self, "_kinds", None)
        if tables is None:
            tables = self._kinds = ({}, {}, {})
            for f, i in self.vocab.items():
                k = "wbs".find(f[:1]) if f[1:2] == ":" else -1
                if k == 1:
                    first, sep, second = f[2:].partition("|")
                    if sep and "|" not in second:  # a pair of words that hold no «|» themselves
                        tables[1][(first, second)] = i
                elif k >= 0:
                    tables[k][f[2:]] = i
        return tables

    def predict(self, rows: list[list[int]] | list[np.ndarray]) -> np.ndarray:
        """Label probabilities for each row of feature indices (binary features, scaled by 1/√n)."""
        rows = [np.asarray(idx, dtype=np.int64) for idx in rows]
        if len(rows) <= 8:  # a few rows: building the sparse matrix would cost more than it saves
            out = np.empty((len(rows), len(self.labels)), dtype=np.float32)
            for k, idx in enumerate(rows):
                out[k] = self.bias + (self.weights[idx].sum(axis=0) / np.sqrt(len(idx)) if len(idx) else 0.0)
            return _softmax(out)
        from scipy.sparse import csr_matrix  # imported when first needed: 0.15 s that other commands do not pay

        sizes = np.array([len(idx) for idx in rows], dtype=np.int64)
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        flat = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        # a 0/1 matrix times the weights: each row's weights added one by one in index order, in float32 (exactly
        # what weights[idx].sum(axis=0) gives, for all rows at once)
        sums = csr_matrix((np.ones(len(flat), dtype=np.float32), flat, indptr),
                          shape=(len(rows), len(self.weights))) @ self.weights
        out = np.empty((len(rows), len(self.labels)), dtype=np.float32)
        full = sizes > 0
        # scaled and shifted in float64, then rounded once to float32 (as the row-by-row sum / np.sqrt(n) + bias)
        out[full] = sums[full] / np.sqrt(sizes[full])[:, None] + self.bias
        out[~full] = self.bias
        return _softmax(out)

    def top_features(self, idx: list[int], label_ids: list[int], k: int = 5) -> list[tuple[str, float]]:
        """The features of one text that push most towards the given labels (for explanations)."""
        if not idx:
            return []
        contrib = self.weights[idx][:, label_ids].sum(axis=1) / np.sqrt(len(idx))
        order = np.argsort(-contrib, kind="stable")[:k]
        inv = self._inverse()
        return [(inv[idx[i]], float(contrib[i])) for i in order if contrib[i] > 0]

    def _gram_table(self) -> "GramTable":
        table = getattr(self, "_grams", None)
        if table is None:
            table = self._grams = GramTable(self.vocab)
        return table

    def _inverse(self) -> list[str]:
        inv = getattr(self, "_inv", None)
        if inv is None:
            inv = [""] * len(self.vocab)
            for f, i in self.vocab.items():
                inv[i] = f
            self._inv = inv
        return inv

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        inv = self._inverse()
        (path / VOCAB_FILE).write_text("".join(f + "\n" for f in inv), encoding="utf-8")
        np.ascontiguousarray(self.weights, dtype="<f4").tofile(path / WEIGHTS_FILE)
        (path / PARAMS_FILE).write_text(json.dumps({"labels": list(self.labels), "features": len(inv),
                                                    "bias": [round(float(b), 6) for b in self.bias],
                                                    "char_ngrams": list(CHAR_NGRAMS)}, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "TextModel":
        path = Path(path)
        params = json.loads((path / PARAMS_FILE).read_text(encoding="utf-8"))
        feats = (path / VOCAB_FILE).read_text(encoding="utf-8").split("\n")[:-1]
        if len(feats) != params["features"]:
            raise ValueError(f"{path / VOCAB_FILE}: {len(feats)} features, {PARAMS_FILE} says {params['features']}")
        labels = tuple(params["labels"])
        weights = np.fromfile(path / WEIGHTS_FILE, dtype="<f4").reshape(len(feats), len(labels))
        return cls(dict(zip(feats, range(len(feats)))), weights, np.array(params["bias"], dtype=np.float32), labels)


def fit(docs: list[set[str]], y: list[int], *, n_labels: int = len(LABELS), min_df: int = 2, l2: float = 1e-5,
        iterations: int = 300, learn_rate: float = 0.05, sample_weight: list[float] | None = None) -> TextModel:
    """Full-batch softmax regression with Adam: deterministic (fixed order, no threads, no randomness)."""
    df: dict[str, int] = {}
    for feats in docs:
        for f in feats:
            df[f] = df.get(f, 0) + 1
    kept = sorted(f for f, c in df.items() if c >= min_df)
    vocab = {f: i for i, f in enumerate(kept)}
    rows = [sorted(vocab[f] for f in feats if f in vocab) for feats in docs]
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(r) for r in rows])
    indices = np.array([i for r in rows for i in r], dtype=np.int64)
    row_of = np.repeat(np.arange(len(rows)), np.diff(indptr))
    scale = (1.0 / np.sqrt(np.maximum(np.diff(indptr), 1))).astype(np.float64)
    data = scale[row_of]
    n, V, C = len(rows), len(vocab), n_labels
    Y = np.zeros((n, C))
    Y[np.arange(n), y] = 1.0
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    sw = sw / sw.sum()
    W = np.zeros((V, C))
    b = np.zeros(C)
    mW, vW, mb, vb = np.zeros_like(W), np.zeros_like(W), np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    starts = indptr[:-1]
    nonempty = np.diff(indptr) > 0
    for t in range(1, iterations + 1):
        Z = np.zeros((n, C))
        if len(indices):
            contrib = W[indices] * data[:, None]
            Z[nonempty] = np.add.reduceat(contrib, starts[nonempty], axis=0)
        Z += b
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        G = (P - Y) * sw[:, None]
        gW = np.empty_like(W)
        g_nnz = G[row_of] * data[:, None]
        for c in range(C):
            gW[:, c] = np.bincount(indices, weights=g_nnz[:, c], minlength=V)
        gW += l2 * W
        gb = G.sum(axis=0)
        for p, g, m, v in ((W, gW, mW, vW), (b, gb, mb, vb)):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p -= learn_rate * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return TextModel(vocab, W.astype(np.float32), b.astype(np.float32), LABELS[:C] if C == len(LABELS) else LABELS)
