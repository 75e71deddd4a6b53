"""A listing's grouping fingerprint: MinHashes of its normalised text (word pairs and bag of words), photo and contact keys."""
from __future__ import annotations

import functools
import hashlib
import re
import threading
import unicodedata
import zlib
from dataclasses import dataclass, field

import numpy as np

NUM_PERM = 48
BANDS, ROWS = 12, 4  # MinHash LSH: 12 bands of 4 rows finds 96% of pairs at 70% Jaccard, 99.8% at 80%
SEED = 20261206
WORD_SHINGLE = 2  # words per shingle for alphabetic scripts
CJK_SHINGLE = 3  # characters per shingle for Chinese (no spaces between words)
MAX_TEXT = 20_000  # characters of normalised text fingerprinted (a 1 MB post is cut, never refused)
MIN_SHINGLES = 5  # shorter texts are compared only as a whole (exact_key)
WORD_BANDS, WORD_ROWS = 4, 12  # word-bag LSH: strict bands, so ads sharing a vocabulary rarely meet; finds
# every pure reordering and 99.6% of reorderings with a word added to 40
MIN_WORDS = 8  # words needed before the bag of words alone may say "the same ad reordered"
MIN_EXACT_CHARS = 12  # "Продам рог" alone is too generic to say two ads are one offer
PHASH_BANDS = 4  # 64-bit photo hash in 4 bands of 16 bits: any two within 3 bits share a band
MAX_PHASH_DISTANCE = 2  # re-encoded or resized copies of one photo differ by 0-2 bits
_URL = re.compile(r"https?://\S+|www\.\S+")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_NUMBER = re.compile(r"(?<!\S)\d+(?!\S)")  # a word that is a number (normalised text: words split by spaces)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_MASK32 = np.uint64(0xFFFFFFFF)
_BAND_MULTIPLIER = 0x100000001B3
_WORKER = threading.local()  # one MinHash per thread, reset for each text (creating one costs more than hashing)
_WORD_HASHES: dict[str, int] = {}  # crc32 of words seen (a vocabulary repeats: most look-ups hit)
MAX_CACHED_WORDS = 200_000
SIGNATURE_BYTES = NUM_PERM * 4


@functools.cache
def _template():
    """The MinHash every signature starts from. datasketch is imported here, not at the top: importing it (and
    what it pulls in) cost every crawl process and command about a second."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int)


@functools.cache
def _empty() -> np.ndarray:
    return _template().hashvalues.copy()


def normalise_text(text: str) -> str:
    """Text as grouping compares it: NFKC, case folded, links and punctuation dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text or "")[: MAX_TEXT * 2].casefold().replace("ё", "е")
    text = _URL.sub(" ", text)
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())[:MAX_TEXT]


def _word_codes(words: list[str]) -> np.ndarray:
    """crc32 of each word (stable across processes and versions: signatures are stored)."""
    cache = _WORD_HASHES
    codes = list(map(cache.get, words))
    if None in codes:
        if len(cache) > MAX_CACHED_WORDS:
            cache.clear()
        for i, (w, h) in enumerate(zip(words, codes)):
            if h is None:
                codes[i] = cache[w] = zlib.crc32(w.encode("utf-8"))
    return np.array(codes, dtype=np.uint64)


def is_cjk(normalised: str) -> bool:
    """Mostly Chinese characters (no spaces between words): compared by character shingles."""
    return len(_CJK.findall(normalised[:2000])) * 3 > min(len(normalised), 2000)


def shingle_hashes(normalised: str, codes: np.ndarray | None = None) -> np.ndarray:
    """32-bit hashes of the text's shingles, unique: Chinese text by 3-character shingles (it has no spaces),
    other scripts by word pairs (two ads sharing a vocabulary are not copies; a repost shares its word order).
    `codes`: the words' hashes (_word_codes), when the caller has them already."""
    if not normalised:
        return np.zeros(0, dtype=np.uint64)
    if codes is None and is_cjk(normalised):
        codes = np.frombuffer(normalised.replace(" ", "").encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        k = CJK_SHINGLE
    else:
        codes = _word_codes(normalised.split()) if codes is None else codes
        k = WORD_SHINGLE
    if len(codes) < k:
        codes = np.concatenate([codes, np.zeros(k - len(codes), dtype=np.uint64)])
    n = len(codes) - k + 1
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):  # polynomial hash of each k-gram, vectorised over the text
            h = h * np.uint64(1_000_003) + codes[j:j + n]
        h ^= h >> np.uint64(29)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(32)
    return np.unique(h & _MASK32)


def word_bag(normalised: str, codes: np.ndarray | None = None) -> tuple[np.ndarray, str] | None:
    """The order-insensitive view of a text: its words as a bag (each word with its occurrence number, so a
    word said three times counts three times), hashed, and a key of the numbers it gives (prices, phones,
    quantities), which a reordered repost keeps. None for Chinese (character shingles already survive
    reordered sentences) and for texts of fewer than MIN_WORDS words."""
    if codes is None:
        if not normalised or is_cjk(normalised):
            return None
        codes = _word_codes(normalised.split())
    if len(codes) < MIN_WORDS:
        return None
    codes = np.sort(codes)
    index = np.arange(len(codes))
    starts = np.maximum.accumulate(np.where(np.concatenate([[True], codes[1:] != codes[:-1]]), index, 0))
    with np.errstate(over="ignore"):
        h = codes * np.uint64(0x9E3779B97F4A7C15) + (index - starts).astype(np.uint64)  # (word, n-th time)
        h ^= h >> np.uint64(32)
    numbers = "|".join(sorted(set(_NUMBER.findall(normalised))))
    return np.unique(h & _MASK32), hashlib.blake2b(numbers.encode(), digest_size=8).hexdigest()


def exact_key(normalised: str) -> str | None:
    """An index key for the whole normalised text: short reposts too short for MinHash still find each other."""
    if len(normalised) < MIN_EXACT_CHARS:
        return None
    return "x:" + hashlib.blake2b(normalised.encode("utf-8"), digest_size=10).hexdigest()


def minhash_of(hashes: np.ndarray) -> np.ndarray | None:
    """The MinHash signature (datasketch, NUM_PERM uint32 values) of a set of hashes, or None when too small."""
    if len(hashes) < MIN_SHINGLES:
        return None
    m = getattr(_WORKER, "minhash", None)
    if m is None:
        m = _WORKER.minhash = _template().copy()
    m.hashvalues = _empty()  # update_batch replaces the array, never writes into it
    m.update_batch(hashes.tolist())
    return m.hashvalues


def signature_bytes(text: np.ndarray, words: np.ndarray | None = None) -> bytes:
    """What is stored: the text signature, then the word-bag signature when there is one (uint32 little-endian)."""
    out = text.astype("<u4").tobytes()
    return out + words.astype("<u4").tobytes() if words is not None else out


def _share_equal(x: bytes, y: bytes) -> float:
    a, b = np.frombuffer(x, dtype="<u4"), np.frombuffer(y, dtype="<u4")
    if len(a) != len(b) or not len(a):
        return 0.0
    return float(np.count_nonzero(a == b)) / len(a)


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two stored texts' shingle sets (share of equal permutations)."""
    return _share_equal(a[:SIGNATURE_BYTES], b[:SIGNATURE_BYTES])


def word_similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two stored texts' bags of words (0 when either has no word-bag signature)."""
    return _share_equal(a[SIGNATURE_BYTES:], b[SIGNATURE_BYTES:])


@functools.lru_cache(maxsize=None)
def _band_powers(rows: int) -> tuple[np.ndarray, int]:
    """Powers of the band hash's multiplier (mod 2**64), so a band hashes in one vectorised step."""
    return np.array([pow(_BAND_MULTIPLIER, rows - 1 - j, 2 ** 64) for j in range(rows)], dtype=np.uint64), \
        pow(_BAND_MULTIPLIER, rows, 2 ** 64)


def band_keys(values: np.ndarray, prefix: str = "t", bands: int = BANDS, rows: int = ROWS, salt: int = 0) -> list[str]:
    """The LSH band keys of a signature: two texts sharing any key are candidate copies. `salt` (mixed into
    every key) makes only texts with the same salt meet, e.g. the same numbers."""
    powers, shift = _band_powers(rows)
    with np.errstate(over="ignore"):  # polynomial hash of each band's rows, wrapping mod 2**64
        h = (values.astype(np.uint64).reshape(bands, rows) * powers).sum(axis=1, dtype=np.uint64)
        h += np.uint64(salt * shift % 2 ** 64)
        h ^= h >> np.uint64(31)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(29)
    return [f"{prefix}{i}:{x:016x}" for i, x in enumerate(h.tolist())]


def usable_phash(phash: str | None) -> bool:
    """A 64-bit photo hash that says something (a blank or one-colour image hashes to almost all 0 or 1 bits)."""
    if not phash or len(phash) != 16:
        return False
    try:
        bits = bin(int(phash, 16)).count("1")
    except ValueError:
        return False
    return 6 <= bits <= 58


def phash_keys(phash: str) -> list[str]:
    return [f"p{i}:{phash[i * 4:(i + 1) * 4]}" for i in range(PHASH_BANDS)]


def phash_distance(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def contact_keys(phones, handles) -> list[str]:
    """Index keys for a listing's phones (already E.164) and handles (case folded)."""
    keys = [f"phone:{p}" for p in phones or [] if p]
    keys += [f"handle:{h.strip().casefold()}" for h in handles or [] if h and h.strip()]
    return list(dict.fromkeys(keys))


@dataclass
class Fingerprint:
    """Everything grouping needs to know about one listing."""

    listing_id: int
    minhash: np.ndarray | None  # signature of the word-pair (or character) shingles: word order counts
    exact: str | None = None  # key of the whole normalised text
    photos: list[str] = field(default_factory=list)  # usable perceptual hashes
    contacts: list[str] = field(default_factory=list)  # "phone:+7...", "handle:@x"
    error: str | None = None
    words: np.ndarray | None = None  # signature of the bag of words: word order does not count
    numbers: str = ""  # key of the numbers in the text (word-bag matches need the same numbers)

    @property
    def signature(self) -> bytes | None:
        if self.minhash is None:
            return None
        cached = self.__dict__.get("_signature")
        if cached is None:
            cached = self.__dict__["_signature"] = signature_bytes(self.minhash, self.words)
        return cached

    def keys(self) -> list[str]:
        cached = self.__dict__.get("_keys")
        if cached is None:
            cached = self.__dict__["_keys"] = self._compute_keys()
        return cached

    def _compute_keys(self) -> list[str]:
        keys = band_keys(self.minhash) if self.minhash is not None else []
        if self.words is not None and self.minhash is not None:
            keys += band_keys(self.words, "w", WORD_BANDS, WORD_ROWS, salt=int(self.numbers, 16))
        if self.exact and self.minhash is None:  # longer texts: the same text shares every band key anyway
            keys.append(self.exact)
        for p in self.photos:
            keys += phash_keys(p)
        return list(dict.fromkeys(keys + self.contacts))


def fingerprint(listing_id: int, title: str | None, text: str | None, phashes, phones, handles) -> Fingerprint:
    """The fingerprint of one listing; a part that fails (text, photos) is left out and named in `error`."""
    errors = []
    m = exact = words = None
    numbers = ""
    try:
        normalised = normalise_text(f"{title or ''} {text or ''}")
        exact = exact_key(normalised)
        codes = None if is_cjk(normalised) else _word_codes(normalised.split())
        m = minhash_of(shingle_hashes(normalised, codes))
        found = word_bag(normalised, codes) if m is not None and codes is not None else None
        if found is not None:
            words, numbers = minhash_of(found[0]), found[1]
    except Exception as exc:  # noqa: BLE001 - a bad text must not cost the listing its case
        errors.append(f"text: {type(exc).__name__}: {exc}")
    photos = [p for p in dict.fromkeys(phashes or []) if usable_phash(p)]
    return Fingerprint(listing_id, m, exact, photos, contact_keys(phones, handles), "; ".join(errors) or None,
                       words, numbers)
