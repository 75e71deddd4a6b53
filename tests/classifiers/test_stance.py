"""Offer-versus-report cues: counts per kind, and the fast money pattern counts what the plain one counts."""
import random
import re

from classifiers.stance import _MONEY, offer_report, stance_cues
from classifiers.normalize import Normalizer


# the phone pattern as first written (with backtracking), which the shipped one must count the same as
_PLAIN_PHONE = re.compile(r"[+\d@](?:(?<=\+)\d[\d \-()]{8,}\d|(?<=\d)[\d \-()]{8,}\d|(?<=@)[a-z0-9_]{4,})")


def cues(text: str) -> dict[str, int]:
    return stance_cues(Normalizer()(text).text, text)


def test_an_offer_and_a_report_read_differently():
    offer = cues("Продам рога сайги, звоните +7 701 123 45 67, цена 50 000 тг, торг, доставка")
    report = cues("Таможенники изъяли 40 рогов сайги; возбуждено уголовное дело, сообщила пресс-служба в 2024 году")
    assert offer["contact"] and offer["phone"] == 1 and offer["money"] == 1 and offer["deal"] >= 2
    assert report["official"] >= 2 and report["reported"] and report["year"] == 1
    assert offer_report(offer)[0] > offer_report(offer)[1] and offer_report(report)[1] > offer_report(report)[0]


def test_cue_words_are_counted_each_time_and_pairs_once_each():
    assert cues("звоните звоните, в наличии")["contact"] == 2
    assert cues("в наличии, в наличии")["deal"] >= 2


def test_cue_word_pairs_count_what_joining_each_neighbour_pair_counts():
    """Only the words that start a cue pair are looked at: the counts equal those of joining every two neighbours."""
    import copy

    from classifiers.stance import _CUES, _INDEX, _fold

    plain_pairs = {}
    for kind, words in _CUES.items():
        for w in words.split():
            if "_" in w:
                plain_pairs.setdefault(_fold(w), []).append(kind)
    assert len(plain_pairs) >= 3
    singles_only = copy.copy(_INDEX)
    singles_only.pair_firsts = frozenset()
    vocab = sorted({part for pair in plain_pairs for part in pair.split()}) + ["продам", "рога", "наличии"]
    rng = random.Random(8)
    for _ in range(3000):
        words = [rng.choice(vocab) for _ in range(rng.randint(0, 12))]
        text = " ".join(words)
        expected = singles_only.count(text, words)
        for a, b in zip(words, words[1:]):
            for kind in plain_pairs.get(a + " " + b, ()):
                expected[kind] += 1
        assert _INDEX.count(text, words) == expected, text


def test_money_pattern_counts_what_the_backtracking_one_counts():
    plain = re.compile(r"\d[\d\s.,]*\s?(?:тг|тенге|теңге|₸|руб|р\b|₽|грн|₴|\$|usd|юан|元|块|төг|₮|доллар)", re.I)
    rng = random.Random(5)
    texts = ["".join(rng.choice("0123456789 .,\tтгрубUSD$₸元x") for _ in range(rng.randint(0, 50)))
             for _ in range(5000)]
    texts += ["50 000 тг", "1.500,00 руб.", "12 345 678 90", "7 р", "100$", "5,тг 6 .,тенге"]
    for text in texts:
        assert len(_MONEY.findall(text)) == len(plain.findall(text)), text


def test_phone_and_year_patterns_count_what_their_plain_forms_count():
    from classifiers.stance import _PHONE, _YEAR, _YEAR_NO_CJK

    rng = random.Random(6)
    texts = ["".join(rng.choice("0123456789  -()+@ab_年月日.") for _ in range(rng.randint(0, 40))) for _ in range(8000)]
    texts += ["+7 701 123 45 67", "8(701)1234567", "@saiga_horn", "2024年3月5日", "в 1999 и 2024 годах", "120245"]
    for text in texts:
        assert len(_PHONE.findall(text)) == len(_PLAIN_PHONE.findall(text)), text
        if "年" not in text and "月" not in text:
            assert len(_YEAR_NO_CJK.findall(text)) == len(_YEAR.findall(text)), text


def test_letter_words_read_off_the_tokens_equal_the_letter_runs_of_the_text():
    from classifiers.matcher import tokenize
    from classifiers.stance import _WORD, letter_words

    rng = random.Random(7)
    alphabet = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәіңқabcxyz0123456789²½_@-'., \t羚羊角"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(8000)]
    texts += ["сайга12 5кг м² 2024", "рог_сайги", "vx微信 abc羚羊角", "", "12 345", "Ⅻ век", "o'zbek"]
    for text in texts:
        assert letter_words(text, [t[0] for t in tokenize(text)]) == _WORD.findall(text), text


def test_phones_count_the_same_in_the_text_as_written_and_lower_cased():
    rng = random.Random(8)
    texts = ["".join(rng.choice("0123456789  -()+@ABab_İKΣ٣") for _ in range(rng.randint(0, 40))) for _ in range(8000)]
    for text in texts:
        assert stance_cues("", text)["phone"] == len(_PLAIN_PHONE.findall(text.lower())), text
