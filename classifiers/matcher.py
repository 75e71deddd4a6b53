"""Fast fuzzy lexicon matching: exact and stem look-ups first, then edit distance on candidate tokens only."""
from __future__ import annotations

import re
from typing import NamedTuple

from rapidfuzz.distance import Levenshtein

from classifiers.bmp_patterns import BmpTwin, beyond_bmp
from classifiers.lexicon import Lexicon, Term
from classifiers.normalize import CJK, CJK_CHAR, Normalized, latin_to_cyrillic

TOKEN_RE = re.compile(rf"[{CJK}]+|[^\W_{CJK}]+")
_TOKEN_TWIN = BmpTwin(TOKEN_RE)
# TOKEN_RE in a text without Chinese characters (where its two alternatives are one), about twice as fast
_TOKEN_NO_CJK_TWIN = BmpTwin(re.compile(r"[^\W_]+"))
_LATIN_WORD = re.compile(r"[a-z'äığöüūşçñéèóáíú]+\Z")
_WORDING_ROLES = ("intent_sell", "intent_buy", "price", "quantity")
_EVIDENCE_ROLES = ("species", "disguise", "product", "protected_other", "confounder")
MIN_STEM = 3
_CACHE_LIMIT = 200_000


def tolerance(length: int) -> int:
    """Allowed edit distance for a term of this length: short words must match exactly."""
    if length <= 5:
        return 0
    if length <= 8:
        return 1
    return 2


_new = tuple.__new__
Candidate = tuple  # (term, distance, how, term_order(term), term.tokens[1:]): LexiconMatcher.first_candidates
Candidates = tuple  # (one-token candidates, {first character of the second token: longer candidates})
NO_CANDIDATES: Candidates = ((), {})


class Token(NamedTuple):
    """Layout of the (form, start, end, alt) tuples that `tokenize` returns."""

    form: str
    start: int  # in normalised text
    end: int
    alt: str | None = None  # Cyrillic transliteration of a Latin word


class Match(NamedTuple):
    """One lexicon match. The fields come in the order matches are sorted in (see _prune): by start, longest first,
    closest, by term, by how, then in the order found."""

    start: int  # normalised text offsets
    neg_length: int  # start - end
    distance: int
    order: tuple[str, str, str]  # term_order(term)
    how: str  # exact | stem | fuzzy | translit | substring | pattern
    index: int  # the order found
    term: Term
    end: int

    @property
    def role(self) -> str:
        return self.term.role


def tokenize(text: str, has_cjk: bool | None = None, bmp: bool | None = None) -> list[Token]:
    """Words of a normalised text (Chinese runs are kept whole; the matcher scans them by substring); `has_cjk`:
    whether the text has a Chinese character, `bmp`: whether all its characters are in the BMP, if known."""
    if has_cjk is None:
        has_cjk = CJK_CHAR.search(text) is not None
    pattern = (_TOKEN_TWIN if has_cjk else _TOKEN_NO_CJK_TWIN).pick(not beyond_bmp(text) if bmp is None else bmp)
    out = []
    latin = _LATIN_WORD.match
    find = text.find
    end = 0
    for form in pattern.findall(text):
        # each word is the first occurrence of itself from where the last one ended (what lies between holds no
        # word characters, so it cannot hold the word): the offsets without a match object per word
        start = find(form, end)
        end = start + len(form)
        # (a Latin word starts with a letter from «a» on: a token never starts with «'»)
        alt = latin_to_cyrillic(form) if len(form) >= 3 and "a" <= form[0] < "ɏ" and latin(form) else None
        out.append((form, start, end, alt))  # a plain tuple: Token's layout, at tuple speed
    return out


def trie_regex(words: list[str]) -> str:
    """A regex matching any of `words`, longest first, built as a character trie (fast: no 250-way alternation)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


def _deletes(word: str, depth: int) -> set[str]:
    """All strings obtained by deleting up to `depth` characters (SymSpell index keys)."""
    out = {word}
    frontier = out
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out = out | frontier
    return out


class LexiconMatcher:
    """Finds lexicon terms in normalised text; every match keeps its span for the explanation."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.no_fuzzy = lexicon.no_fuzzy
        self.exact_first: dict[str, list[Term]] = {}
        self.prefix_first: dict[str, list[Term]] = {}
        self.deletes: dict[str, set[tuple[str, bool]]] = {}
        self.stem_lengths: set[int] = set()
        self.substring_keys: list[tuple[str, Term]] = []
        cjk_terms: dict[str, Term] = {}
        for term in lexicon.terms:
            if term.cjk:
                # the strongest (positive species first, then by weight) wins for duplicate strings
                old = cjk_terms.get(term.cjk)
                if old is None or abs(term.weight) > abs(old.weight):
                    cjk_terms[term.cjk] = term
                continue
            first = term.tokens[0]
            single_stem = term.prefix and len(term.tokens) == 1
            (self.prefix_first if single_stem else self.exact_first).setdefault(first, []).append(term)
            tol = tolerance(len(first))
            if tol:
                for d in _deletes(first, tol):
                    self.deletes.setdefault(d, set()).add((first, single_stem))
                if single_stem:
                    self.stem_lengths.add(len(first))
            if len(term.tokens) == 1 and len(first) >= 4 and term.role in ("species", "disguise", "product",
                                                                           "intent_sell", "intent_buy"):
                self.substring_keys.append((first, term))
        self.cjk_terms = cjk_terms
        # two scans, so a wording term (收羚羊) cannot swallow the product name inside it (羚羊角)
        wording = [k for k, t in cjk_terms.items() if t.role in _WORDING_ROLES]
        evidence = [k for k, t in cjk_terms.items() if t.role not in _WORDING_ROLES]
        self.cjk_res = [re.compile(trie_regex(group)) for group in (evidence, wording) if group]
        self.pattern_terms = [(p, Term(p.name, p.role, p.weight, p.lang, p.category)) for p in lexicon.patterns]
        self._pattern_twins = [BmpTwin(p.regex) for p in lexicon.patterns]  # in the order of pattern_terms
        self._order_of = {id(t): term_order(t) for t in [*lexicon.terms, *(t for _, t in self.pattern_terms)]}
        self._first_cache: dict[str, list[Candidate]] = {}
        self._pair_cache: dict[tuple[str, str, bool], int | None] = {}
        self._near_cache: dict[str, list[tuple[str, bool, int]]] = {}

    # -- token level -------------------------------------------------------------------------
    def _fuzzy_keys(self, form: str) -> list[tuple[str, bool, int]]:
        if form in self.no_fuzzy or len(form) < 5:
            return []
        found: dict[tuple[str, bool], int] = {}
        queries = [form]
        for n in self.stem_lengths:
            for L in (n - 1, n, n + 1):
                if 5 <= L < len(form):
                    queries.append(form[:L])
        for q in dict.fromkeys(queries):  # in a fixed order (a set's order changes with the hash seed)
            for key, is_stem, dist in self._near_keys(q):
                if not is_stem and q != form:
                    continue
                if dist < found.get((key, is_stem), 3):
                    found[(key, is_stem)] = dist  # the smallest distance over all prefixes tried
        return [(k, s, d) for (k, s), d in sorted(found.items())]  # in an order that no hash seed changes

    def _near_keys(self, q: str) -> list[tuple[str, bool, int]]:
        """Index keys within tolerance of `q` (SymSpell deletes, then the edit distance), with that distance (0 not
        included); kept per query, since words share their prefixes («сайгаки», «сайгаков» → «сайгак»)."""
        near = self._near_cache.get(q)
        if near is not None:
            return near
        near = []
        candidates = dict.fromkeys(pair for d in _deletes(q, 2 if len(q) > 8 else 1) for pair in self.deletes.get(d, ()))
        for key, is_stem in candidates:
            if key[0] != q[0]:
                continue  # disguises keep the first letter; «осмотр» is not «досмотр»
            dist = Levenshtein.distance(q, key, score_cutoff=tolerance(len(key)))
            if 0 < dist <= tolerance(len(key)):
                near.append((key, is_stem, dist))
        if len(self._near_cache) > _CACHE_LIMIT:
            self._near_cache.clear()
        self._near_cache[q] = near
        return near

    def first_candidates(self, form: str) -> Candidates:
        """Terms whose first token matches this word, as (term, distance, how, its order, its other tokens): those of
        one token, and those of more grouped by the first character of their second token (every way a next word can
        match a term token, exact, stem or fuzzy, keeps its first character). NO_CANDIDATES when there are none."""
        hit = self._first_cache.get(form)
        if hit is not None:
            return hit
        out: list[tuple[Term, int, str]] = []
        for term in self.exact_first.get(form, ()):
            out.append((term, 0, "exact"))
        for L in range(MIN_STEM, len(form) + 1):
            for term in self.prefix_first.get(form[:L], ()):
                out.append((term, 0, "exact" if L == len(form) else "stem"))
        if not out:
            for key, is_stem, dist in self._fuzzy_keys(form):
                pool = self.prefix_first if is_stem else self.exact_first
                for term in pool.get(key, ()):
                    out.append((term, dist, "fuzzy"))
        order_of = self._order_of
        singles: list[Candidate] = []
        multis: dict[str, list[Candidate]] = {}
        for term, dist, how in out:
            rest = term.tokens[1:]
            candidate = (term, dist, how, order_of[id(term)], rest)
            if rest:
                multis.setdefault(rest[0][0], []).append(candidate)
            else:
                singles.append(candidate)
        found = (_closest(singles), multis) if out else NO_CANDIDATES
        if len(self._first_cache) > _CACHE_LIMIT:
            self._first_cache.clear()
        self._first_cache[form] = found
        return found

    def token_distance(self, form: str, key: str, prefix: bool) -> int | None:
        """Edit distance between a word and a term token (stem-aware), or None when too far."""
        if form == key or (prefix and form.startswith(key)):
            return 0
        ck = (form, key, prefix)
        if ck in self._pair_cache:
            return self._pair_cache[ck]
        tol = tolerance(len(key))
        result = None
        if tol and form not in self.no_fuzzy and form[:1] == key[:1]:
            if prefix:
                best = min(Levenshtein.distance(form[:L], key) for L in (len(key) - 1, len(key), len(key) + 1)
                           if 0 < L <= len(form))
                result = best if best <= tol else None
            else:
                d = Levenshtein.distance(form, key, score_cutoff=tol)
                result = d if d <= tol else None
        if len(self._pair_cache) > _CACHE_LIMIT:
            self._pair_cache.clear()
        self._pair_cache[ck] = result
        return result

    # -- text level --------------------------------------------------------------------------
    def match(self, norm: Normalized, tokens: list[Token] | None = None) -> list[Match]:
        """All non-redundant matches in a normalised text."""
        text = norm.text
        has_cjk = norm.has_cjk
        tokens = tokenize(text, has_cjk, norm.bmp) if tokens is None else tokens
        found: list[Match] = []  # made with tuple.__new__: the fields in order, no Python-level constructor
        add = found.append
        words = [t for t in tokens if not CJK_CHAR.match(t[0])] if has_cjk else tokens
        n = len(words)
        get = self._first_cache.get
        distance = self.token_distance
        for i, cands in enumerate([get(t[0]) for t in words]):
            tok = words[i]
            if cands is None:
                cands = self.first_candidates(tok[0])
            alt = tok[3]
            if cands is NO_CANDIDATES and not alt:
                continue
            forms = [(False, cands)]
            if alt:
                forms.append((True, self.first_candidates(alt)))
            start = tok[1]
            nxt = words[i + 1] if i + 1 < n else None
            for is_alt, (singles, multis) in forms:
                for term, dist, how, order, _ in singles:
                    end = tok[2]
                    add(_new(Match, (start, start - end, dist, order, "translit" if is_alt else how, len(found), term,
                                     end)))
                if not multis or nxt is None:
                    continue
                second = nxt[3] if is_alt and nxt[3] else nxt[0]
                for term, dist, how, order, rest in multis.get(second[0], ()):
                    if is_alt:
                        how = "translit"
                    last = len(rest)
                    if i + last >= n:
                        continue
                    total = dist
                    for j, key in enumerate(rest, start=1):
                        word = words[i + j]
                        form = word[3] if is_alt and word[3] else word[0]
                        stem = term.prefix and j == last
                        if form == key or (stem and form.startswith(key)):
                            continue
                        if len(key) <= 5 or form[:1] != key[:1]:  # token_distance would say None: no fuzzy match
                            total = -1
                            break
                        d = distance(form, key, stem)
                        if d is None:
                            total = -1
                            break
                        total += d
                    if total >= 0:
                        end = words[i + last][2]
                        add(_new(Match, (start, start - end, total, order, how, len(found), term, end)))
        order_of = self._order_of
        for a, b in norm.collapsed:  # spaced-out letters may have merged several words: look inside
            segment = text[a:b]
            for key, term in self.substring_keys:
                pos = segment.find(key)
                while pos >= 0:
                    add(_new(Match, (a + pos, -len(key), 0, order_of[id(term)], "substring", len(found), term,
                                     a + pos + len(key))))
                    pos = segment.find(key, pos + 1)
        if has_cjk:
            cjk_terms = self.cjk_terms
            for cjk_re in self.cjk_res:
                for m in cjk_re.finditer(text):
                    term = cjk_terms[m.group()]
                    a, b = m.span()
                    add(_new(Match, (a, a - b, 0, order_of[id(term)], "exact", len(found), term, b)))
        bmp = norm.bmp
        for (_, term), twin in zip(self.pattern_terms, self._pattern_twins):
            for m in twin.pick(bmp).finditer(text):
                a, b = m.span()
                if b > a:
                    add(_new(Match, (a, a - b, 0, order_of[id(term)], "pattern", len(found), term, b)))
        return _prune(found)


def _closest(singles: list[Candidate]) -> list[Candidate]:
    """The one-word candidates of a word that can survive _prune: their matches share the word's span, and of the
    matches with the same span, role and category _prune keeps the first in sort order (closest, then by term), so a
    candidate is dropped here when another of its role and category is closer or, as close, sorts before it by term.
    (Ties in both stay: which comes first then depends on how each matched.)"""
    if len(singles) < 2:
        return singles
    best: dict[tuple[str, str | None], tuple[int, tuple[str, str, str]]] = {}
    for term, dist, _, order, _ in singles:
        key = (term.role, term.category)
        rank = (dist, order)
        if key not in best or rank < best[key]:
            best[key] = rank
    return [c for c in singles if (c[1], c[3]) == best[(c[0].role, c[0].category)]]


def term_order(term: Term) -> tuple[str, str, str]:
    """How matches with the same span and distance are ordered: by role, category and label of their term."""
    return term.role, term.category or "", term.label


def _prune(found: list[Match]) -> list[Match]:
    """Drop duplicates and matches strictly inside a longer match (羚羊 inside 羚羊感冒片, сайга inside «сайга-12»).
    Matches sort as the tuples they are: ties fall to the term's order, so the result never depends on set iteration
    (hash seeds differ per process), and then to the order found."""
    found.sort()
    kept: list[Match] = []
    seen: set[tuple[int, int, str, str | None]] = set()
    best_start = best_end = -1  # the kept match reaching furthest right
    best_role = ""
    for m in found:
        start, _, _, _, _, _, term, end = m
        role = term.role
        key = (start, end, role, term.category)
        if key in seen:
            continue
        if best_end > end or (best_end == end and best_start < start):
            # strictly inside a longer match (sorted by start, so it starts no later than this one): redundant, unless
            # a wording match («ищу рога», «интересуют рога») holds a species or horn word, which still counts
            if not (best_role in _WORDING_ROLES and role in _EVIDENCE_ROLES):
                continue
        kept.append(m)
        seen.add(key)
        if end > best_end:
            best_start, best_end, best_role = start, end, role
    return kept
