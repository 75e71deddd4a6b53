"""WordCache: per-word results computed once; `hits` gives the words with a non-empty result."""
from collections import Counter

from classifiers.wordcache import WordCache


def test_hits_compute_each_word_once_and_keep_only_non_empty_results():
    calls = []

    def vowels(word: str) -> str:
        calls.append(word)
        return "".join(c for c in word if c in "аоуеиыэюяё")

    cache = WordCache(vowels)
    assert cache.hits(Counter(["рог", "сг", "рог", "сайга"])) == {"рог", "сайга"}
    assert cache["сайга"] == "аа" and cache.results["сг"] == ""
    assert cache.hits(["рог", "кк"]) == {"рог"} and sorted(calls) == ["кк", "рог", "сайга", "сг"]


def test_a_full_cache_starts_afresh_without_losing_the_words_asked_for():
    cache = WordCache(str.upper, limit=3)
    assert cache.hits(["a", "b"]) == {"a", "b"}
    assert cache.hits(["c", "d"]) == {"c", "d"}  # 4 > 3: cleared, then both computed
    assert set(cache.results) == {"c", "d"} and cache["d"] == "D"
