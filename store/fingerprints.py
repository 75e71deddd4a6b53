"""A listing's grouping fingerprint: MinHash of its normalised text, photo hash bands and contact keys."""
from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass, field

import numpy as np
from datasketch import MinHash

NUM_PERM = 48
BANDS, ROWS = 12, 4  # MinHash LSH: 12 bands of 4 rows finds 96% of pairs at 70% Jaccard, 99.8% at 80%
SEED = 20261206
WORD_SHINGLE = 2  # words per shingle for alphabetic scripts
CJK_SHINGLE = 3  # characters per shingle for Chinese (no spaces between words)
MAX_TEXT = 20_000  # characters of normalised text fingerprinted (a 1 MB post is cut, never refused)
MIN_SHINGLES = 5  # shorter texts are compared only as a whole (exact_key)
MIN_EXACT_CHARS = 12  # "Продам рог" alone is too generic to say two ads are one offer
PHASH_BANDS = 4  # 64-bit photo hash in 4 bands of 16 bits: any two within 3 bits share a band
MAX_PHASH_DISTANCE = 2  # re-encoded or resized copies of one photo differ by 0-2 bits
_URL = re.compile(r"https?://\S+|www\.\S+")
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_MASK32 = np.uint64(0xFFFFFFFF)
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=int)


def normalise_text(text: str) -> str:
    """Text as grouping compares it: NFKC, case folded, links and punctuation dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text or "")[: MAX_TEXT * 2].casefold().replace("ё", "е")
    text = _URL.sub(" ", text)
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())[:MAX_TEXT]


def shingle_hashes(normalised: str) -> np.ndarray:
    """32-bit hashes of the text's shingles, unique: Chinese text by 3-character shingles (it has no spaces),
    other scripts by word pairs (two ads sharing a vocabulary are not copies; a repost shares its word order)."""
    if not normalised:
        return np.zeros(0, dtype=np.uint64)
    cjk = len(_CJK.findall(normalised[:2000])) * 3 > min(len(normalised), 2000)
    if cjk:
        codes = np.frombuffer(normalised.replace(" ", "").encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        k = CJK_SHINGLE
    else:
        codes = np.array([zlib.crc32(w.encode("utf-8")) for w in normalised.split()], dtype=np.uint64)
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


def exact_key(normalised: str) -> str | None:
    """An index key for the whole normalised text: short reposts too short for MinHash still find each other."""
    if len(normalised) < MIN_EXACT_CHARS:
        return None
    return "x:" + hashlib.blake2b(normalised.encode("utf-8"), digest_size=10).hexdigest()


def minhash_of(hashes: np.ndarray) -> MinHash | None:
    """A datasketch MinHash over shingle hashes, or None when the text is too short to compare."""
    if len(hashes) < MIN_SHINGLES:
        return None
    m = _TEMPLATE.copy()
    m.update_batch(hashes.tolist())
    return m


def signature_bytes(m: MinHash) -> bytes:
    return m.hashvalues.astype("<u4").tobytes()


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two stored MinHash signatures (share of equal permutations)."""
    x, y = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    if len(x) != len(y) or not len(x):
        return 0.0
    return float(np.count_nonzero(x == y)) / len(x)


def band_keys(m: MinHash) -> list[str]:
    """The LSH band keys of a signature: two texts sharing any key are candidate copies."""
    rows = m.hashvalues.astype(np.uint64).reshape(BANDS, ROWS)
    h = np.zeros(BANDS, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(ROWS):
            h = h * np.uint64(0x100000001B3) + rows[:, j]
        h ^= h >> np.uint64(31)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(29)
    return [f"t{i}:{x:016x}" for i, x in enumerate(h.tolist())]


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
    minhash: MinHash | None
    exact: str | None = None  # key of the whole normalised text
    photos: list[str] = field(default_factory=list)  # usable perceptual hashes
    contacts: list[str] = field(default_factory=list)  # "phone:+7...", "handle:@x"
    error: str | None = None

    @property
    def signature(self) -> bytes | None:
        return signature_bytes(self.minhash) if self.minhash is not None else None

    def keys(self) -> list[str]:
        cached = self.__dict__.get("_keys")
        if cached is None:
            cached = self.__dict__["_keys"] = self._compute_keys()
        return cached

    def _compute_keys(self) -> list[str]:
        keys = band_keys(self.minhash) if self.minhash is not None else []
        if self.exact:
            keys.append(self.exact)
        for p in self.photos:
            keys += phash_keys(p)
        return list(dict.fromkeys(keys + self.contacts))


def fingerprint(listing_id: int, title: str | None, text: str | None, phashes, phones, handles) -> Fingerprint:
    """The fingerprint of one listing; a part that fails (text, photos) is left out and named in `error`."""
    errors = []
    m = exact = None
    try:
        normalised = normalise_text(f"{title or ''} {text or ''}")
        exact = exact_key(normalised)
        m = minhash_of(shingle_hashes(normalised))
    except Exception as exc:  # noqa: BLE001 - a bad text must not cost the listing its case
        errors.append(f"text: {type(exc).__name__}: {exc}")
    photos = [p for p in dict.fromkeys(phashes or []) if usable_phash(p)]
    return Fingerprint(listing_id, m, exact, photos, contact_keys(phones, handles), "; ".join(errors) or None)
