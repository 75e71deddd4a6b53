"""Text normalisation for matching, keeping a map from every normalised character back to the original."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import chain
from typing import Iterator

import numpy as np

from classifiers.bmp_patterns import BmpTwin, beyond_bmp
from classifiers.wordcache import WordCache

# Combining marks stay with their base character, so NFKC can compose «и» + U+0306 into «й».
_CLUSTER = re.compile(
    r"[^\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u20d0-\u20ff\ufe20-\ufe2f]"
    r"[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u20d0-\u20ff\ufe20-\ufe2f]*|.",
    re.S,
)
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_CHAR = re.compile(f"[{CJK}]")  # one Chinese character (search: does a text have any)
_HAS_CYR = re.compile("[\u0400-\u04ff]")

# Emoji and pictographs (plus their joiners and variation selectors).
_EMOJI = re.compile(
    "[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\u200d\ufe0e\ufe0f\U000E0020-\U000E007F"
    "\u2190-\u21ff\u25a0-\u25ff\u2700-\u27bf\u3030\u303d\u3297\u3299]"
)

# Latin letters that look like Cyrillic ones, folded inside Cyrillic words (after lower-casing).
LATIN_LOOKALIKES = {
    "a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "k": "к", "m": "м",
    "t": "т", "h": "н", "b": "в", "u": "и", "n": "п", "r": "г", "i": "і",
    "α": "а", "ο": "о", "ρ": "р", "ε": "е", "κ": "к", "τ": "т", "υ": "у", "χ": "х", "ι": "і", "ν": "v", "μ": "м",
}
# Digits and symbols used as letters inside Cyrillic words.
CYR_SYMBOLS = {"@": "а", "0": "о", "3": "з", "6": "б", "4": "ч", "$": "s"}
LAT_SYMBOLS = {"@": "a", "0": "o", "3": "e", "1": "i", "$": "s"}
# Units after a number: «6гр», «3кг» are quantities, not obfuscated words.
UNITS = {
    "г", "гр", "грам", "грамм", "граммов", "грамма", "кг", "шт", "штук", "штуки", "тыс", "т", "тг", "тенге", "руб",
    "р", "см", "мм", "мл", "м", "лет", "год", "года", "х", "k", "kg", "g", "gr", "pcs", "cm", "mm", "x",
}

# Kazakh (and Mongolian) letters folded to their Russian look-alikes for matching: киік ≈ киик, мүйіз ≈ муйиз.
KAZAKH_FOLD = str.maketrans({
    "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и", "ё": "е",
    "й": "и", "ъ": "ь", "ў": "у", "ҳ": "х",
})
_FOLD_PAIRS = tuple((chr(k), v) for k, v in KAZAKH_FOLD.items())


def fold_kazakh(text: str) -> str:
    """text.translate(KAZAKH_FOLD), done as a few str.replace calls (several times faster on Cyrillic text)."""
    for src, dst in _FOLD_PAIRS:
        if src in text:
            text = text.replace(src, dst)
    return text

# Separators allowed between spaced-out single letters: «р о г а», «р.о.г.а», «р-о-г-а».
_SEP = r"[ \t.\-_*·•,/|\\~+]"
_LETTER = r"(?:[^\W\d_]|@)"
_SPACED = re.compile(rf"(?<![\w@]){_LETTER}(?:{_SEP}{{1,3}}{_LETTER}(?![\w@])){{2,}}")
_WORDISH = re.compile(r"[\w@$]+")
_WORDISH_TWIN = BmpTwin(_WORDISH)


@lru_cache(maxsize=1)
def _trad_to_simp() -> tuple[np.ndarray, dict[int, str]]:
    """Single-character Traditional→Simplified table from zhconv (length-preserving, so offsets survive), with a
    per-code-point table of the characters it changes."""
    import zhconv.zhconv as zc

    zc.getdict("zh-cn")
    table = {}
    for src, dst in zc.zhcdicts["zh2Hans"].items():
        if len(src) == 1 and len(dst) == 1 and src != dst:
            table[ord(src)] = dst
    changed = np.zeros(0x110000, dtype=bool)
    changed[list(table)] = True
    return changed, table


def _simplify(text: str) -> str:
    """Traditional Chinese characters to Simplified ones, one for one."""
    changed, table = _trad_to_simp()
    # a table look-up per code point (iterating the text would make a string object of each character)
    return text.translate(table) if changed[code_points(text)].any() else text


def code_points(text: str) -> np.ndarray:
    """The code points of a text (lone surrogates included)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


class Normalized:
    """Normalised text plus, for each of its characters, the [start, end) span in the original."""

    __slots__ = ("original", "text", "display", "_starts", "_ends", "collapsed", "has_cjk", "bmp")

    def __init__(self, original: str, text: str, display: str, starts: list[int] | None, ends: list[int] | None,
                 collapsed: list[tuple[int, int]] | None = None, has_cjk: bool | None = None,
                 bmp: bool | None = None) -> None:
        self.original = original
        self.text = text  # folded form used for matching
        self.display = display  # normalised but not letter-folded (keeps Kazakh letters, for language detection)
        # None: every character is where it was (the common case; the lists are only built when asked for)
        self._starts, self._ends = starts, ends
        self.collapsed = collapsed or []  # normalised spans that were spaced-out letters
        # whether the text has a Chinese character (known to the normaliser; the later steps ask it, not the text)
        self.has_cjk = CJK_CHAR.search(text) is not None if has_cjk is None else has_cjk
        # whether every character of the text is in the BMP (then the faster twins of patterns apply: bmp_patterns.py)
        self.bmp = not beyond_bmp(text) if bmp is None else bmp

    @property
    def identity(self) -> bool:
        """True when the normalised text has the original's length and each character stayed in place."""
        return self._starts is None

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            return list(range(len(self.text)))
        return self._starts

    @property
    def ends(self) -> list[int]:
        if self._ends is None:
            return list(range(1, len(self.text) + 1))
        return self._ends

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Normalized) and (self.original, self.text, self.display, self.starts, self.ends,
                                                  self.collapsed) == (other.original, other.text, other.display,
                                                                      other.starts, other.ends, other.collapsed)

    def __repr__(self) -> str:
        return f"Normalized(original={self.original!r}, text={self.text!r})"

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalised text to the original text."""
        if self._starts is None:
            if not self.text or end <= start:
                pos = start if start < len(self.text) else len(self.original)
                return pos, pos
            return start, end
        if not self.text or end <= start:
            pos = self._starts[start] if start < len(self._starts) else len(self.original)
            return pos, pos
        return self._starts[start], self._ends[end - 1]


def _spans(text: str, starts: list[int] | None, ends: list[int] | None) -> tuple[list[int], list[int]]:
    """The offset lists of a step's input, built when they are still the identity (None)."""
    if starts is None:
        return list(range(len(text))), list(range(1, len(text) + 1))
    return starts, ends


class _Builder:
    """Accumulates output pieces with their original spans."""

    __slots__ = ("parts", "starts", "ends")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []

    def copy(self, text: str, starts: list[int], ends: list[int], a: int, b: int) -> None:
        if b > a:
            self.parts.append(text[a:b])
            self.starts.extend(starts[a:b])
            self.ends.extend(ends[a:b])

    def emit(self, piece: str, start: int, end: int) -> None:
        if piece:
            self.parts.append(piece)
            self.starts.extend([start] * len(piece))
            self.ends.extend([end] * len(piece))

    def result(self) -> tuple[str, list[int], list[int]]:
        return "".join(self.parts), self.starts, self.ends


def _char_class(cps: list[int]) -> str:
    """A regex character class of these code points (ascending), runs written as ranges."""
    parts, i = [], 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        parts.append(re.escape(chr(cps[i])) + ("-" + re.escape(chr(cps[j])) if j > i else ""))
        i = j + 1
    return "[" + "".join(parts) + "]"


_EXPANDER_END = 0x1F300  # _nfkc_classes looks at no character from here on: none of them expands or combines


@lru_cache(maxsize=1)
def _nfkc_classes() -> tuple[np.ndarray, re.Pattern, np.ndarray]:
    """Over the Basic Multilingual Plane and the enclosed symbols: a table giving, per BMP code point, the one other
    character that is its NFKC form (itself for the others); a pattern of the characters whose NFKC form is not one
    character, plus combining marks (with their base character); and a table of those characters and marks (per code
    point up to _EXPANDER_END; the last entry stands for all beyond)."""
    one_to_one = np.arange(0x10000, dtype="<u4")
    multi, combining = [], []
    for cp in list(range(0x80, 0x10000)) + list(range(0x1F100, _EXPANDER_END)):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        norm = unicodedata.normalize("NFKC", ch)
        if len(norm) == 1 and norm != ch and cp < 0x10000:
            one_to_one[cp] = ord(norm)
        if unicodedata.combining(ch):
            combining.append(cp)
        elif len(norm) != 1:
            multi.append(cp)
    expanding = np.zeros(_EXPANDER_END + 1, dtype=bool)
    expanding[multi + combining] = True
    return one_to_one, re.compile(f".?{_char_class(combining)}+|{_char_class(multi)}", re.S), expanding


def _expanders() -> re.Pattern:
    """Characters whose NFKC form is not one character, plus combining marks (with their base character)."""
    return _nfkc_classes()[1]


def _expander_matches(text: str) -> Iterator[re.Match]:
    """_expanders().finditer(text), searched for only from where a match can start: a match holds an expanding
    character or mark and starts on it or on the character before it (the table finds those at array speed; the
    pattern's long character classes would be tried at every position)."""
    _, pattern, expanding = _nfkc_classes()
    pos = 0
    for at in np.flatnonzero(expanding[np.minimum(code_points(text), _EXPANDER_END)]).tolist():
        if at >= pos:
            m = pattern.search(text, max(pos, at - 1))  # matches at `at` - 1 or at `at`
            yield m
            pos = m.end()


def _nfkc_one_to_one(text: str) -> str:
    """text.translate(_NFKC_TABLE): every character whose NFKC form is one other character replaced by it, by a table
    look-up per code point at array speed (translate would make a Python look-up per character); the few characters
    beyond the Basic Multilingual Plane (emoji, mostly) are looked up one by one."""
    codes = code_points(text)
    mapped = _nfkc_classes()[0][np.minimum(codes, 0xFFFF)]
    for at in np.flatnonzero(codes > 0xFFFF).tolist():
        one = _NFKC_TABLE[int(codes[at])]
        mapped[at] = one if isinstance(one, int) else ord(one)
    if np.array_equal(mapped, codes):
        return text
    return mapped.tobytes().decode("utf-32-le", "surrogatepass")


class _NfkcTable(dict):
    """str.translate table: characters whose NFKC form is one other character map to it; others map to themselves."""

    def __missing__(self, code: int) -> int | str:
        ch = chr(code)
        norm = unicodedata.normalize("NFKC", ch)
        value: int | str = norm if len(norm) == 1 else code
        self[code] = value
        return value


_NFKC_TABLE = _NfkcTable()


def _nfkc(text: str, starts: list[int], ends: list[int]):
    if unicodedata.is_normalized("NFKC", text):
        return text, starts, ends
    quick = _nfkc_one_to_one(text)  # one-to-one replacements keep every offset
    if unicodedata.is_normalized("NFKC", quick):
        return quick, starts, ends
    starts, ends = _spans(text, starts, ends)
    out = _Builder()
    pos = 0
    for m in _expander_matches(quick):  # only characters that expand, vanish or combine need work
        a, b = m.span()
        piece = unicodedata.normalize("NFKC", m.group())
        if piece == m.group():
            continue
        out.copy(quick, starts, ends, pos, a)
        out.emit(piece, starts[a], ends[b - 1])
        pos = b
    out.copy(quick, starts, ends, pos, len(quick))
    result = out.result()
    if unicodedata.is_normalized("NFKC", result[0]):
        return result
    text = quick
    out = _Builder()
    for m in _CLUSTER.finditer(text):
        a, b = m.span()
        piece = unicodedata.normalize("NFKC", m.group())
        if piece == m.group():
            out.copy(text, starts, ends, a, b)
        else:
            out.emit(piece, starts[a], ends[b - 1])
    return out.result()


def _lower(text: str, starts: list[int], ends: list[int]):
    low = text.lower()
    if len(low) == len(text):
        return low, starts, ends
    starts, ends = _spans(text, starts, ends)
    out = _Builder()
    for i, ch in enumerate(text):
        out.emit(ch.lower(), starts[i], ends[i])
    return out.result()


@lru_cache(maxsize=1)
def _emoji_table() -> np.ndarray:
    """For every code point, whether _EMOJI matches it (read from the pattern's own character class)."""
    from re import _constants as sre, _parser  # the pattern is one character class: its ranges and characters

    table = np.zeros(0x110000, dtype=bool)
    (op, items), = _parser.parse(_EMOJI.pattern).data
    assert op is sre.IN
    for kind, value in items:
        if kind is sre.RANGE:
            table[value[0]:value[1] + 1] = True
        else:
            assert kind is sre.LITERAL
            table[value] = True
    return table


def _emoji(text: str, starts: list[int], ends: list[int], emoji_map: dict[str, str], mapped: frozenset[int]):
    """Emoji and pictographs become spaces, or « word » when `emoji_map` has one (`mapped`: their code points)."""
    if text.isascii() or not _EMOJI.search(text):  # the search stops at the first one (most texts have none)
        return text, starts, ends
    # then a table look-up per code point instead of the pattern's long list of ranges
    codes = code_points(text)
    hit = _emoji_table()[codes]
    if mapped.isdisjoint(codes[hit].tolist()):  # each one becomes one space: every offset kept
        spaced = codes.copy()
        spaced[hit] = 32
        return spaced.tobytes().decode("utf-32-le", "surrogatepass"), starts, ends
    starts, ends = _spans(text, starts, ends)
    out = _Builder()
    pos = 0
    for m in _EMOJI.finditer(text):
        a, b = m.span()
        out.copy(text, starts, ends, pos, a)
        word = emoji_map.get(m.group())
        out.emit(f" {word} " if word else " ", starts[a], ends[b - 1])
        pos = b
    out.copy(text, starts, ends, pos, len(text))
    return out.result()


_GAP = " \\t.·•_*\\-/|~+"
# (?<=[CJK])[gap]{1,3}(?=[CJK]), written to start with a gap character (the engine then skips to the next one)
_CJK_GAP = re.compile(f"[{_GAP}](?<=[{CJK}][{_GAP}])[{_GAP}]{{0,2}}(?=[{CJK}])")


def _drop_cjk_gaps(text: str, starts: list[int], ends: list[int]):
    """Chinese is written without spaces: «羚 羊 角» and «羚.羊.角» are «羚羊角»."""
    kept_spans = []  # the [a, b) pieces between the gaps, in order
    pos = 0
    for m in _CJK_GAP.finditer(text):
        kept_spans.append((pos, m.start()))
        pos = m.end()
    kept_spans.append((pos, len(text)))
    kept = "".join([text[a:b] for a, b in kept_spans])
    if starts is None:  # identity offsets: the kept characters' own positions
        return (kept, list(chain.from_iterable(range(a, b) for a, b in kept_spans)),
                list(chain.from_iterable(range(a + 1, b + 1) for a, b in kept_spans)))
    return (kept, list(chain.from_iterable(starts[a:b] for a, b in kept_spans)),
            list(chain.from_iterable(ends[a:b] for a, b in kept_spans)))


def _may_be_spaced(text: str, words: list[str]) -> bool:
    """False when `words` (the text's runs of word characters, @ and $, in order) show that _SPACED cannot match:
    a run of three or more spaced letters is three one-character words in a row, none of them a digit, unless «_»
    joins its letters or «$» touches one."""
    if "_" in text or "$" in text:
        return True
    lengths = list(map(len, words))
    one = -1
    try:
        while True:
            one = lengths.index(1, one + 1)
            if lengths[one + 1: one + 3] == [1, 1] and not any(w.isdecimal() for w in words[one: one + 3]):
                return True
    except ValueError:
        return False


def _collapse_spaced(text: str, starts: list[int], ends: list[int], words: list[str], has_cjk: bool | None = None,
                     bmp: bool = False):
    if (CJK_CHAR.search(text) if has_cjk is None else has_cjk) and _CJK_GAP.search(text):
        text, starts, ends = _drop_cjk_gaps(text, starts, ends)
        words = _WORDISH_TWIN.pick(bmp).findall(text)
    if not _may_be_spaced(text, words) or not _SPACED.search(text):
        return text, starts, ends, []
    starts, ends = _spans(text, starts, ends)
    out = _Builder()
    collapsed: list[tuple[int, int]] = []
    pos = 0
    for m in _SPACED.finditer(text):
        a, b = m.span()
        out.copy(text, starts, ends, pos, a)
        begin = sum(len(p) for p in out.parts)
        run = m.group()
        i = 0
        while i < len(run):
            ch = run[i]
            if ch.isalpha() or ch == "@":
                out.emit(ch, starts[a + i], ends[a + i])
                i += 1
                continue
            j = i
            while j < len(run) and not (run[j].isalpha() or run[j] == "@"):
                j += 1
            gap = run[i:j]
            if len(gap) > 1 and (" " in gap or gap.count(".") > 1):  # a wider gap separates words
                out.emit(" ", starts[a + i], ends[j - 1 + a])
            i = j
        collapsed.append((begin, sum(len(p) for p in out.parts)))
        pos = b
    out.copy(text, starts, ends, pos, len(text))
    t, s, e = out.result()
    return t, s, e, collapsed


def _fix_word(word: str) -> str:
    """Fold look-alike Latin letters and digit/symbol substitutes inside one word (same length)."""
    has_cyr = _HAS_CYR.search(word) is not None
    letters = sum(1 for c in word if c.isalpha())
    if letters == 0:
        return word
    if has_cyr:
        # «сайга12», «6гр»: a trailing or leading number is a model name or quantity, not a disguise
        chars = list(word)
        n = len(chars)
        for i, c in enumerate(chars):
            if c in LATIN_LOOKALIKES:
                chars[i] = LATIN_LOOKALIKES[c]
        for i, c in enumerate(chars):
            sub = CYR_SYMBOLS.get(c)
            if sub is None:
                continue
            prev_c = chars[i - 1] if i > 0 else ""
            next_c = chars[i + 1] if i + 1 < n else ""
            if c == "@" or c == "$":
                if prev_c.isalpha() or next_c.isalpha():
                    chars[i] = sub
                continue
            if prev_c.isdigit() or next_c.isdigit():
                continue
            if prev_c.isalpha() and next_c.isalpha():
                chars[i] = sub
            elif (prev_c.isalpha() or next_c.isalpha()) and letters >= 4:
                rest = "".join(chars[i + 1:]) if next_c.isalpha() else "".join(chars[:i])
                if rest not in UNITS:
                    chars[i] = sub
        return "".join(chars)
    if not word.isascii():
        return word
    chars = list(word)
    n = len(chars)
    for i, c in enumerate(chars):
        sub = LAT_SYMBOLS.get(c)
        if sub is None:
            continue
        prev_c = chars[i - 1] if i > 0 else ""
        next_c = chars[i + 1] if i + 1 < n else ""
        if prev_c.isdigit() or next_c.isdigit():
            continue
        if prev_c.isalpha() and next_c.isalpha() or (c == "@" and (prev_c.isalpha() or next_c.isalpha())):
            chars[i] = sub
    return "".join(chars)


def _changed_word(word: str) -> str:
    """`_fix_word(word)` when it differs from the word, else ""."""
    fixed = _fix_word(word)
    return fixed if fixed != word else ""


_FIXES = WordCache(_changed_word)


def _words(text: str, words: list[str]) -> str:
    """Apply `_fix_word` to every word that mixes scripts or contains digits/symbols (`words`: the runs of word
    characters, @ and $ in `text`). The same as the plain definition (a pattern for those words, each replaced by
    `_fix_word`; see tests/classifiers/test_normalize.py), faster: `_fix_word` leaves every word that pattern skips
    unchanged, so it may be applied to every word, and its results are kept per word."""
    changed = _FIXES.hits(words)
    if not changed:
        return text
    return _WORDISH.sub(lambda m: _FIXES.results.get(m.group()) or m.group(), text)


# Zero-width and soft-hyphen characters hide inside words («са\u200bйга»); they are deleted, not spaced.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200e\u200f\u2060-\u2064\ufeff\u180e]")
# Letters stretched for emphasis or to dodge filters («рооога сааайги»): three or more become one.
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
_STRETCHED_TWIN = BmpTwin(_STRETCHED)
_LETTER_AT = re.compile(r"[^\W\d_]")


def _may_be_stretched(text: str, bmp: bool = False) -> bool:
    """A cheap test before _STRETCHED on long texts: some letter three times in a row (found by comparing the code
    points with themselves shifted, then checking only those places). `bmp`: the text has no character beyond
    the BMP."""
    if len(text) < 200:
        return _STRETCHED_TWIN.pick(bmp).search(text) is not None
    codes = code_points(text)
    same = codes[1:] == codes[:-1]
    run = same[1:] & same[:-1]
    return bool(run.any()) and any(_LETTER_AT.match(text, i) for i in np.flatnonzero(run).tolist())


def _delete(pattern: re.Pattern, text: str, starts: list[int], ends: list[int], keep: int = 0):
    """Delete every match of `pattern` (keeping its first `keep` characters), carrying offsets along."""
    if not pattern.search(text):
        return text, starts, ends
    starts, ends = _spans(text, starts, ends)
    out = _Builder()
    pos = 0
    for m in pattern.finditer(text):
        out.copy(text, starts, ends, pos, m.start() + keep)
        pos = m.end()
    out.copy(text, starts, ends, pos, len(text))
    return out.result()


class Normalizer:
    """Turns raw listing text into a matching form; every output character knows where it came from."""

    def __init__(self, emoji_map: dict[str, str] | None = None) -> None:
        self.emoji_map = dict(emoji_map or {})
        # the code points of the mapped emoji that _EMOJI can find (it finds one character at a time)
        self.mapped = frozenset(ord(k) for k in self.emoji_map if len(k) == 1)

    def __call__(self, text: str) -> Normalized:
        original = text
        starts = ends = None  # identity until a step changes lengths
        text, starts, ends = _nfkc(text, starts, ends)
        text, starts, ends = _lower(text, starts, ends)
        text, starts, ends = _delete(_INVISIBLE, text, starts, ends)
        text, starts, ends = _emoji(text, starts, ends, self.emoji_map, self.mapped)
        bmp = not beyond_bmp(text)  # (the emoji are gone)
        if _may_be_stretched(text, bmp):
            text, starts, ends = _delete(_STRETCHED, text, starts, ends, keep=1)
        has_cjk = CJK_CHAR.search(text) is not None
        if has_cjk:
            text = _simplify(text)
            # a Simplified character may lie beyond the BMP, or a Traditional one beyond it have one in the BMP
            has_cjk = CJK_CHAR.search(text) is not None
            bmp = not beyond_bmp(text)
        # (no later step adds or removes a Chinese character or one beyond the BMP)
        wordish = _WORDISH_TWIN.pick(bmp)
        words = wordish.findall(text)
        spaced = _collapse_spaced(text, starts, ends, words, has_cjk, bmp)
        if spaced[0] is not text:
            words = wordish.findall(spaced[0])
        text, starts, ends, collapsed = spaced
        text = _words(text, words)  # same length: offsets unchanged
        display = text
        folded = fold_kazakh(text)
        return Normalized(original, folded, display, starts, ends, collapsed, has_cjk, bmp)


_LAT2CYR_MULTI = [
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"), ("ts", "ц"),
    ("ya", "я"), ("yu", "ю"), ("yo", "е"), ("ye", "е"), ("ja", "я"), ("ju", "ю"), ("iy", "ий"), ("yy", "ый"),
]
_LAT2CYR_ONE = str.maketrans({
    "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "z": "з", "i": "и", "y": "й", "k": "к",
    "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "t": "т", "u": "у", "f": "ф",
    "h": "х", "c": "к", "w": "в", "x": "кс", "j": "й", "q": "к", "'": "", "`": "",
})
_LAT2CYR_RE = re.compile("|".join(src for src, _ in _LAT2CYR_MULTI))
_LAT2CYR_MAP = dict(_LAT2CYR_MULTI)


# Kazakh (2021 Latin alphabet), Uzbek and Turkish letters: kıik müiızı → kiik muiizi.
_TURKIC_LATIN = str.maketrans({"ä": "a", "ı": "i", "ğ": "g", "ö": "o", "ü": "u", "ū": "u", "ş": "sh", "ç": "ch",
                               "ñ": "n", "é": "e", "è": "e", "ó": "o", "á": "a", "í": "i", "ú": "u"})


@lru_cache(maxsize=65536)
def latin_to_cyrillic(word: str) -> str:
    """Transliterate a Latin-script word to Cyrillic, then fold: saigak → саигак, sayga → саига, kiik → киик."""
    word = word.translate(_TURKIC_LATIN)
    cyr = _LAT2CYR_RE.sub(lambda m: _LAT2CYR_MAP[m.group()], word).translate(_LAT2CYR_ONE)
    return fold_kazakh(cyr)


def fold(term: str) -> str:
    """The matching key of a lexicon term: the same normalisation as listing text."""
    return Normalizer()(term).text
