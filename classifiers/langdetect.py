"""Language detection for short, mixed listing texts: ru, kk, zh, mn, uk, uz, en or other."""
from __future__ import annotations

import re
from collections import Counter
import numpy as np

from classifiers.bmp_patterns import BmpTwin, beyond_bmp
from classifiers.normalize import CJK, CJK_CHAR, KAZAKH_FOLD, code_points, fold_kazakh
from classifiers.wordcache import WordCache

LANGS = ("ru", "kk", "zh", "mn", "uk", "uz", "en", "other")
_WORD = BmpTwin(re.compile(rf"[^\W\d_{CJK}]+(?:'[^\W\d_]+)?"))
_PLAIN_WORD = BmpTwin(re.compile(rf"[^\W\d_{CJK}]+"))  # the same when the text has no apostrophe
# the same two in a text without Chinese characters (about twice as fast)
_WORD_NO_CJK = BmpTwin(re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?"))
_PLAIN_WORD_NO_CJK = BmpTwin(re.compile(r"[^\W\d_]+"))
_KAZAKH_ONLY = set("әңұһі")  # Kazakh letters absent from Russian, Mongolian and Uzbek
_KK_UZ = set("қғ")  # Kazakh and Uzbek
_MN_KK = set("өү")  # shared by Kazakh and Mongolian
_NOT_CJK = re.compile(f"[^{CJK}]+")
# a currency name says where the money is, not which language the text is in
_CURRENCY = re.compile(r"т(?<!\wт)(?:еңге|енге|ңг|г)\b")  # \bтеңге\b …, written to start with a plain letter
_UZ_CYR = set("ўқғҳ")

# Frequent function words and domain words; written in the folded form (ә→а, і→и, й→и ...).
_WORDS = {
    "ru": """и в во не на с со что как по за для от до из у же бы это все всё при или но а то так уже только
        продам продаю куплю цена рога рог сайги сайгака есть нет очень срочно состояние новый новая торг доставка
        звоните пишите город район отдам обмен грамм штук пара подробности телефон можно вопросы наличии
        года году был была были который которые также более после его ее её их они мы вы он она будет
        prodam prodayu kuplyu kuplu roga rog saigi saygi saigaka tsena cena srochno dorogo optom gramm""",
    "kk": """мен және бар жоқ үшін бұл осы сол деп да де ма ме ба бе па пе ғой қой бір екі үш өте тек әлі
        сатамын сатылады сатып аламын аламыз бағасы баға теңге мүйіз мүйізі киік ақбөкен жұп грамы
        хабарласыңыз жазыңыз қала ауданы жаңа жақсы керек қымбат арзан жеткізу келісімді бойынша туралы
        болады болып емес еді тағы ғана кезде жылы жылдың қазақстан облысы ішкі істер полиция ұсталды
        satamyn satylady satyp alamyn alamyz bagasy kiik muiiz muiizi muyiz muyizi akbokhen akboken zhane ushin""",
    "uk": """і й та що як це на не за для від до із з у в але або вже тільки дуже ціна продам продаю куплю ріг роги рогів
        сайги сайгака сайгачий ріг є немає стан новий нова торг доставка пишіть дзвоніть місто район грам штук пара
        телефон можна питання наявності року був була були який які також після його її їх вони ми ви він вона буде
        продається продаються купую терміново гривень грн україна київ харків одеса дніпро львів""",
    "mn": """бөхөн эвэр зарна авна үнэ төгрөг байна байгаа болон юм энэ тэр нь ба бол гэж гэсэн их сайн
        маш монгол улаанбаатар аймаг сум хот утас холбоо барина хүн""",
    "uz": """va uchun bilan bu bor yo'q sotiladi sotaman sotib olaman narxi narx so'm shox shoxi juda yaxshi
        holati yangi toshkent viloyat tuman сотилади нархи сўм учун билан ва жуда янги сайғоқ шох шохи
        шохлари сотаман оламан сотиб мавжуд""",
    "en": """the and for with sale sell selling buy price per gram of in to is are a an this that from new
        good condition horn horns antelope contact call shipping wholesale available""",
}
_LEXICON = {lang: {w.translate(KAZAKH_FOLD) for w in words.split()} for lang, words in _WORDS.items()}
_RAW = {lang: set(words.split()) for lang, words in _WORDS.items()}
_RAW_INDEX: dict[str, tuple[str, ...]] = {}
_FOLD_INDEX: dict[str, tuple[str, ...]] = {}
for _lang in _WORDS:
    for _w in _RAW[_lang]:
        _RAW_INDEX[_w] = _RAW_INDEX.get(_w, ()) + (_lang,)
    for _w in _LEXICON[_lang]:
        _FOLD_INDEX[_w] = _FOLD_INDEX.get(_w, ()) + (_lang,)


def _count(counts: list[int], letters: str) -> int:
    """How many of these Cyrillic letters there are, from `_cyrillic_counts`."""
    return sum(counts[ord(letter) - _CYR_FIRST] for letter in letters)


def _word_votes(word: str) -> tuple[tuple[str, float], ...]:
    """What one word adds to each language: 1.5 for a listed word as written, 1.0 when it is listed only folded."""
    raw_hits = _RAW_INDEX.get(word, ())
    votes = [(lang, 1.5) for lang in raw_hits]
    votes.extend((lang, 1.0) for lang in _FOLD_INDEX.get(fold_kazakh(word), ()) if lang not in raw_hits)
    return tuple(votes)


_VOTES = WordCache(_word_votes, limit=65536)
_CYR_FIRST, _CYR_LAST = 0x400, 0x4FF


def _cyrillic_counts(text: str) -> list[int]:
    """How many times each character of the Cyrillic block (U+0400–U+04FF) occurs in `text`, by its offset in the
    block (one pass over the text for all the letters counted, where str.count would make one per letter)."""
    offsets = code_points(text) - _CYR_FIRST  # unsigned: below the block wraps round to a large number
    return np.bincount(offsets[offsets <= _CYR_LAST - _CYR_FIRST], minlength=_CYR_LAST - _CYR_FIRST + 1).tolist()


def _mostly_chinese(cjk: int, letters: int) -> bool:
    """Chinese characters outweigh the other letters (a Chinese character carries about a word, four letters)."""
    return bool(cjk) and cjk >= 0.3 * (cjk + letters / 4)


def detect_language(text: str) -> str:
    """Best guess for a short text; Kazakh is told from Russian by its letters and frequent words."""
    if not text or not text.strip():
        return "other"
    sample = _CURRENCY.sub(" ", text[:1500].lower())
    cjk = len(_NOT_CJK.sub("", sample)) if CJK_CHAR.search(sample) else 0
    if _mostly_chinese(cjk, len(sample) - cjk):
        return "zh"  # even if every other character were a letter: counting the letters cannot change it
    if cjk:
        pattern = _WORD if "'" in sample else _PLAIN_WORD
    else:
        pattern = _WORD_NO_CJK if "'" in sample else _PLAIN_WORD_NO_CJK
    words = pattern.pick(not beyond_bmp(sample)).findall(sample)
    letters = sum(map(len, words))
    if _mostly_chinese(cjk, letters):
        return "zh"
    if not words:
        return "zh" if cjk else "other"
    per_letter = _cyrillic_counts(sample)
    cyr = sum(per_letter)
    kk_letters = _count(per_letter, "әңұһ")
    kk_uz_letters = _count(per_letter, "қғ")
    shared = _count(per_letter, "өү")
    uz_letters = _count(per_letter, "ўҳ")
    scores = dict.fromkeys(("ru", "kk", "mn", "uk", "uz", "en"), 0.0)
    counts = Counter(words)
    for w in _VOTES.hits(counts):  # only the words that vote for some language
        n = counts[w]
        for lang, vote in _VOTES[w]:
            scores[lang] += vote * n  # halves and wholes: exact in any order
    if cyr >= letters * 0.5:
        scores["en"] = -1
        uk_letters = _count(per_letter, "єїґ")  # Ukrainian only
        i_letters = _count(per_letter, "і")  # Kazakh and Ukrainian
        scores["uk"] += 3.0 * uk_letters - 2.0 * (kk_letters + kk_uz_letters + shared)
        if scores["uk"] > scores["kk"] + 1 and not kk_letters:
            scores["uk"] += 1.0 * i_letters  # «і» is Ukrainian here
        else:
            kk_letters += i_letters
        scores["kk"] += 3.0 * kk_letters + 1.0 * kk_uz_letters + 0.5 * shared
        scores["mn"] += 0.8 * shared if not (kk_letters or kk_uz_letters) else 0
        scores["uz"] += 3.0 * uz_letters + (0.8 * kk_uz_letters if not kk_letters else 0)
        scores["ru"] += 0.5  # the default for plain Cyrillic
        best = max(scores, key=scores.get)
        return best
    # Latin script
    scores["mn"] = 0
    if "'" in sample and re.search(r"\b(?:o'|g')", sample):
        scores["uz"] += 2
    best = max(scores, key=scores.get)
    if scores[best] <= 0:
        return "en" if letters >= 3 else "other"
    return best
