"""Per-word results computed once, with the set of words whose result is not empty, so that a text's distinct words
are looked up with two set operations instead of one call per word."""
from __future__ import annotations

from typing import Callable, Collection, Generic, TypeVar

T = TypeVar("T")


class WordCache(Generic[T]):
    """`compute(word)` cached for up to `limit` words (then started afresh)."""

    def __init__(self, compute: Callable[[str], T], limit: int = 100_000) -> None:
        self.compute = compute
        self.limit = limit
        self.results: dict[str, T] = {}
        self.found: set[str] = set()  # the cached words whose result is not empty

    def hits(self, words: Collection[str]) -> set[str]:
        """The distinct words among `words` whose result is not empty (computing those not seen before)."""
        results = self.results
        missing = set(words).difference(results)  # set minus dict walks the set (dict_keys minus dict_keys walks both)
        if missing:
            if len(results) + len(missing) > self.limit:
                results.clear()
                self.found.clear()
                missing = set(words)
            for word in missing:
                result = results[word] = self.compute(word)
                if result:
                    self.found.add(word)
        return self.found.intersection(words)

    def __getitem__(self, word: str) -> T:
        return self.results[word]
