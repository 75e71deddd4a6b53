"""Language detection on short mixed texts; Kazakh vs Russian matters most."""
import pytest

from classifiers.langdetect import detect_language


@pytest.mark.parametrize("text, lang", [
    ("Продам рога сайги, срочно", "ru"),
    ("Сайга-12 продам, состояние отличное", "ru"),
    ("Киік мүйізін сатамын, бағасы келісімді", "kk"),
    ("киик муйизи сатамын багасы", "kk"),              # Kazakh written with Russian letters
    ("Қазақстан бойынша жеткізу бар", "kk"),
    ("kiik muiizi satamyn", "kk"),                      # Kazakh in Latin script
    ("出售羚羊角片 每克200元", "zh"),
    ("賽加羚羊角 出售 WeChat", "zh"),
    ("Бөхөний эвэр зарна, үнэ тохиролцоно", "mn"),
    ("Saygak shoxi sotiladi, narxi kelishilgan", "uz"),
    ("Сайғоқ шохи сотилади", "uz"),
    ("selling saiga horn per gram", "en"),
    ("Продам рога сайги, Ақтөбе қаласы, доставка", "ru"),  # Russian ad naming a Kazakh place
    ("Киік мүйізі продам, бағасы 100 мың", "kk"),          # Kazakh ad with a Russian verb
    ("kıik müiızı satamyn", "kk"),                          # Kazakh 2021 Latin alphabet
    ("Продам рога сайги, 500 теңге за грамм", "ru"),       # the currency alone does not make a text Kazakh
    ("Продаю рога, цена 40 000 тенге, звоните", "ru"),
    ("Продам роги сайги, ціна договірна, пишіть", "uk"),
    ("Куплю ріг сайгака, дорого", "uk"),
    ("Киік мүйізін сатамын, бағасы 300 теңге", "kk"),
    ("", "other"),
    ("12345 !!! ???", "other"),
])
def test_detect(text, lang):
    assert detect_language(text) == lang


def test_fast_currency_and_cyrillic_counts_equal_their_definitions():
    import random
    import re

    from classifiers import langdetect as ld

    plain_currency = re.compile(r"\b(?:теңге|тенге|тңг|тг)\b")
    rng = random.Random(4)
    alphabet = "тгеңнтңг 5_а.ёЖ🦌жәіїҳ\u0400\u04ff\u03ff\u0500"  # the block's first and last, its neighbours
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(5000)]
    texts += ["500 тенге", "5000тг", "теңге", "бтг тгк", "тңг,тг"]
    for text in texts:
        assert ld._CURRENCY.sub(" ", text) == plain_currency.sub(" ", text), text
        counts = ld._cyrillic_counts(text)
        assert sum(counts) == len(re.sub("[^\u0400-\u04ff]", "", text)), text
        assert counts == [text.count(chr(cp)) for cp in range(0x400, 0x500)], text


def test_words_without_apostrophes_are_read_by_the_plain_pattern():
    import random

    from classifiers import langdetect as ld

    rng = random.Random(7)
    texts = ["".join(rng.choice("abо'ʼ 1_羚qк") for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    for text in (t for t in texts if "'" not in t):
        assert ld._PLAIN_WORD.pattern.findall(text) == ld._WORD.pattern.findall(text), text
    for text in (t for t in texts if not ld.CJK_CHAR.search(t)):  # the patterns for texts without Chinese
        assert ld._WORD_NO_CJK.pattern.findall(text) == ld._WORD.pattern.findall(text), text
        assert ld._PLAIN_WORD_NO_CJK.pattern.findall(text) == ld._PLAIN_WORD.pattern.findall(text), text


def test_chinese_decided_early_only_where_the_full_test_says_chinese():
    import random

    from classifiers import langdetect as ld

    rng = random.Random(9)
    for _ in range(5000):
        text = "".join(rng.choice("羚羊角出售 abc сайга 123 тенге ,.") for _ in range(rng.randint(1, 80)))
        sample = ld._CURRENCY.sub(" ", text[:1500].lower())
        cjk = len(ld._NOT_CJK.sub("", sample)) if ld.CJK_CHAR.search(sample) else 0
        letters = sum(map(len, ld._PLAIN_WORD.pattern.findall(sample)))
        full_says_zh = bool(cjk) and (cjk >= 0.3 * (cjk + letters / 4) or not letters)
        if ld.detect_language(text) == "zh":
            assert full_says_zh, text
        elif full_says_zh:
            raise AssertionError(f"not zh although the test says so: {text!r}")
