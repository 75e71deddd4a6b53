"""Lexicon loading and matching: exact, stems, fuzzy with length-scaled tolerance, transliteration, Chinese, patterns."""
import pytest

from classifiers.lexicon import LexiconError, parse_lexicon
from classifiers.matcher import LexiconMatcher, tolerance
from classifiers.normalize import Normalizer


@pytest.fixture(scope="module")
def matcher(lexicon):
    return LexiconMatcher(lexicon), Normalizer(lexicon.emoji)


def found(matcher, text):
    m, n = matcher
    norm = n(text)
    out = []
    for x in m.match(norm):
        s, e = norm.original_span(x.start, x.end)
        out.append((x.term.label, x.role, x.term.category, text[s:e], x.how))
    return out


def roles(matches):
    return {(r, c) if c else r for _, r, c, _, _ in matches}


def test_species_product_intent_price(matcher):
    ms = found(matcher, "Продам рога сайгака, 500 тг за грамм")
    assert {"species", "product", "intent_sell", "price"} <= roles(ms)
    assert any(r == "species" and t == "сайгака" and h == "stem" for _, r, _, t, h in ms)


def test_fuzzy_typo_on_long_words_only(matcher):
    assert any(h == "fuzzy" and t == "сойгака" for _, _, _, t, h in found(matcher, "куплю рога сойгака"))
    # short words need an exact match: «сайта» (website) is not «сайга»
    assert not [m for m in found(matcher, "на сайте и сайты") if m[1] == "species"]
    assert tolerance(4) == 0 and tolerance(7) == 1 and tolerance(10) == 2


def test_transliterated_latin(matcher):
    ms = found(matcher, "prodam roga saigaka")
    assert any(r == "species" and h == "translit" and t == "saigaka" for _, r, _, t, h in ms)


def test_kazakh_forms(matcher):
    for text in ("киік мүйізін сатамын", "киик муйизин сатамын"):
        ms = found(matcher, text)
        assert {"species", "intent_sell"} <= roles(ms), text


def test_chinese_longest_match_wins(matcher):
    ms = found(matcher, "羚羊感冒片 出售")
    assert ("confounder", "medicine") in roles(ms)
    assert "species" not in roles(ms) and "disguise" not in roles(ms)
    assert ("species" in roles(found(matcher, "出售賽加羚羊角")))


def test_firearm_model_swallows_species(matcher):
    ms = found(matcher, "Продам Сайга-12 исп. 030")
    assert ("confounder", "firearm") in roles(ms)
    assert "species" not in roles(ms)
    assert any(t == "Сайга-12" for _, _, _, t, _ in ms)


def test_news_and_other_horn_confounders(matcher):
    assert ("confounder", "news") in roles(found(matcher, "Полиция изъяла рога сайги, возбуждено уголовное дело"))
    assert ("confounder", "other-horn") in roles(found(matcher, "Продам панты марала"))


def test_spaced_letters_merged_words_are_searched_inside(matcher):
    ms = found(matcher, "р о г а с а й г и")
    assert {"species", "product"} <= roles(ms)


def test_lexicon_errors_name_file_and_group():
    with pytest.raises(LexiconError, match=r"bad.yaml: groups\[0\]: role must be one of"):
        parse_lexicon({"bad.yaml": "groups:\n  - role: nonsense\n    terms: [x]\n"})
    with pytest.raises(LexiconError, match=r"bad.yaml: groups\[0\]: a confounder needs category"):
        parse_lexicon({"bad.yaml": "groups:\n  - role: confounder\n    terms: [ружье]\n"})
    with pytest.raises(LexiconError, match=r"bad.yaml: patterns\[0\]: invalid regex"):
        parse_lexicon({"bad.yaml": "patterns:\n  - role: price\n    regex: '('\n"})
    with pytest.raises(LexiconError, match="unknown keys"):
        parse_lexicon({"bad.yaml": "grups: []\n"})
