"""Offer-versus-report cues: counts per kind, and the fast money pattern counts what the plain one counts."""
import random
import re

from classifiers.stance import _MONEY, offer_report, stance_cues
from classifiers.normalize import Normalizer


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


def test_money_pattern_counts_what_the_backtracking_one_counts():
    plain = re.compile(r"\d[\d\s.,]*\s?(?:тг|тенге|теңге|₸|руб|р\b|₽|грн|₴|\$|usd|юан|元|块|төг|₮|доллар)", re.I)
    rng = random.Random(5)
    texts = ["".join(rng.choice("0123456789 .,\tтгрубUSD$₸元x") for _ in range(rng.randint(0, 50)))
             for _ in range(5000)]
    texts += ["50 000 тг", "1.500,00 руб.", "12 345 678 90", "7 р", "100$", "5,тг 6 .,тенге"]
    for text in texts:
        assert len(_MONEY.findall(text)) == len(plain.findall(text)), text
