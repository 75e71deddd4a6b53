"""The BMP twins of patterns find exactly what the patterns find, on any text without characters beyond the BMP."""
import random
import re
from pathlib import Path

import pytest

from classifiers import langdetect, matcher, normalize, stance
from classifiers.bmp_patterns import BmpTwin, beyond_bmp, bmp_twin
from classifiers.lexicon import parse_lexicon, read_lexicon_sources

LEXICONS = Path(__file__).resolve().parents[2] / "config" / "lexicons"
# letters, digits and spaces of many scripts, CJK, marks, symbols and separators the patterns care about
ALPHABET = ("aZz_@$+-().,/'0189 \t\n\u00a0\u2009\u3000абвгсайгаеКИЙ12гр кг тг тенге руб р ₸ ₽ $ usd 元 块 年 月 日 "
            "әңұһіқғөүўҳ羚羊角出售每克一对٠٣٩০৯１２\u0301\u200bßİΣσ²½Ⅻ\ud800\uffff")


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    pieces = ALPHABET.split(" ") + list(ALPHABET)
    return ["".join(rng.choice(pieces) + rng.choice(("", " ", "")) for _ in range(rng.randint(0, 40)))
            for _ in range(n)]


def _module_twins() -> list[BmpTwin]:
    """Every BmpTwin the classifier uses: the modules' own and the lexicon patterns' (in the matcher)."""
    found = [v for module in (langdetect, matcher, normalize, stance) for v in vars(module).values()
             if isinstance(v, BmpTwin)]
    lexicon_matcher = matcher.LexiconMatcher(parse_lexicon(read_lexicon_sources(LEXICONS)))
    assert [t.pattern for t in lexicon_matcher._pattern_twins] == [p.regex for p, _ in lexicon_matcher.pattern_terms]
    return found + lexicon_matcher._pattern_twins


def _twinned() -> list[re.Pattern]:
    return [t.pattern for t in _module_twins()] + [
        re.compile(r"[^\W\d_]+|\S\s+\D|[\w\d\s]+\b|(?<!\w)\w(?=\W)", re.I),
        re.compile(r"(?i:[\w\W]\w+)|(?-i:\w\W)", re.I), re.compile(r"(?i:\w+[ßſK]|\W+)|\d\D")]


@pytest.mark.parametrize("seed, pattern", list(enumerate(_twinned())), ids=lambda p: getattr(p, "pattern", str(p))[:40])
def test_a_twin_finds_what_its_pattern_finds_in_bmp_text(seed, pattern):
    twin = bmp_twin(pattern)
    assert twin is not pattern
    for text in _texts(1500, seed):
        assert not beyond_bmp(text)
        assert [m.span() for m in twin.finditer(text)] == [m.span() for m in pattern.finditer(text)], text
        assert [m.span() for m in twin.finditer(text.lower())] == [m.span() for m in pattern.finditer(text.lower())]


def test_the_twins_used_are_the_twins_of_their_patterns():
    """Each BmpTwin in use pairs a pattern with its own twin, and picks the twin only for BMP text."""
    twins = _module_twins()
    assert len(twins) >= 15
    for pair in twins:
        assert pair.pick(False) is pair.pattern and pair.pick(True) is pair.twin
        for text in _texts(300, 3):
            assert pair.twin.findall(text) == pair.pattern.findall(text)


def test_beyond_bmp_and_what_lower_case_does_to_it():
    assert beyond_bmp("рога 🦌") and beyond_bmp("\U00020000") and not beyond_bmp("рога \uffff 羚羊")
    # the stance cues lower-case a BMP text and keep using the twins: lower case never leaves the BMP
    assert not any(beyond_bmp(chr(cp).lower()) for cp in range(0x10000))


def test_bytes_ascii_and_locale_patterns_are_their_own_twin():
    for pattern in (re.compile(rb"\d+"), re.compile(r"\w+", re.ASCII)):
        assert bmp_twin(pattern) is pattern


@pytest.mark.parametrize("flags", [0, re.IGNORECASE])
@pytest.mark.parametrize("category", [r"\d", r"\D", r"\s", r"\S", r"\w", r"\W", r"[^\W\d_]", r"[\w@$]", r"(?i:\w)"])
def test_a_twin_class_holds_exactly_the_bmp_characters_of_its_category(category, flags):
    every = "".join(map(chr, range(0x10000)))  # every BMP character, one after another
    pattern = re.compile(category, flags)
    assert [m.start() for m in bmp_twin(pattern).finditer(every)] == [m.start() for m in pattern.finditer(every)]
