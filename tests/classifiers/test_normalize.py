"""Normalisation: every obfuscation kind, and offsets that map back to the original text exactly."""
import pytest

from classifiers.normalize import Normalizer, fold, latin_to_cyrillic

N = Normalizer({"🦌": "олень"})  # the shipped map says «рога»; any word will do here


def _span_of(norm, needle):
    i = norm.text.find(needle)
    assert i >= 0, f"{needle!r} not in {norm.text!r}"
    start, end = norm.original_span(i, i + len(needle))
    return norm.original[start:end]


@pytest.mark.parametrize("raw, expected, original_part", [
    ("Продам Рога СAЙГИ", "рога саиги", "Рога СAЙГИ"),              # Latin A and И → Cyrillic, case folded
    ("прoдaм pогa сaйги", "продам рога саиги", "прoдaм pогa сaйги"),  # Latin look-alikes inside Cyrillic words
    ("с@йга р0га", "саига рога", "с@йга р0га"),                       # symbols and digits as letters
    ("3олото", "золото", "3олото"),                                   # 3 → з
    ("6ольшие", "бoльшие".replace("o", "о"), "6ольшие"),              # 6 → б
    ("р о г а  с а й г и", "рога саиги", "р о г а  с а й г и"),       # spaced letters, wide gap = word break
    ("р.о.г.а", "рога", "р.о.г.а"),                                   # dotted letters
    ("Ｒｏｇａ ﬁne", "roga fine", "Ｒｏｇａ ﬁne"),                     # NFKC (full-width, ligature)
    ("киік мүйізі", "киик муиизи", "киік мүйізі"),                    # Kazakh letters folded
    ("賽加羚羊角絲", "赛加羚羊角丝", "賽加羚羊角絲"),                  # Traditional → Simplified
    ("出售 羚羊.角", "出售羚羊角", "出售 羚羊.角"),                    # no gaps inside Chinese text
    ("羚 羊 角", "羚羊角", "羚 羊 角"),                                # spaced Chinese characters
    ("羚/羊/角", "羚羊角", "羚/羊/角"),
    ("са\u200bйга ро\u00adга", "саига рога", "са\u200bйга ро\u00adга"),  # zero-width and soft hyphens
    ("рооооога сааайги", "рога саиги", "рооооога сааайги"),          # stretched letters
    ("сαйгαк", "саигак", "сαйгαк"),                                   # Greek look-alikes
])
def test_obfuscations_fold_and_map_back(raw, expected, original_part):
    norm = N(raw)
    assert expected in norm.text
    assert _span_of(norm, expected) == original_part
    assert len(norm.starts) == len(norm.ends) == len(norm.text)


def test_double_letters_stay():
    assert "масса" in N("Масса 300 г").text


def test_numbers_units_and_model_names_stay_numbers():
    norm = N("Сайга-12, сайга410, 6гр, 100г, 2шт")
    assert "саига-12" in norm.text and "саига410" in norm.text
    assert "6гр" in norm.text and "100г" in norm.text and "2шт" in norm.text


def test_emoji_mapped_or_dropped_with_offsets():
    raw = "продам 🦌 рога ❤️ ок"
    norm = N(raw)
    assert "олень" in norm.text and "❤" not in norm.text
    assert _span_of(norm, "олень") == "🦌"
    assert _span_of(norm, "рога") == "рога"


def test_combining_marks_compose_and_map_to_whole_cluster():
    raw = "и\u0306од"  # и + combining breve
    norm = N(raw)
    assert norm.text.startswith("иод")  # й, then folded to и
    assert norm.original_span(0, 1) == (0, 2)


def test_pure_latin_words_untouched_and_transliterated_for_matching():
    norm = N("saigak horn")
    assert norm.text == "saigak horn"
    assert latin_to_cyrillic("saigak") == "саигак"
    assert latin_to_cyrillic("sayga") == "саига"
    assert latin_to_cyrillic("muyizi") == fold("мүйізі")
    assert latin_to_cyrillic("müiızı") == fold("мүйізі")  # Kazakh Latin alphabet


def test_empty_and_junk():
    assert N("").text == ""
    junk = "\x00\x01\ufffd\u200b" * 5
    norm = N(junk)
    assert len(norm.starts) == len(norm.text)


# -- the fast paths give what the plain definitions give --------------------------------------------------------------
import random  # noqa: E402
import re  # noqa: E402

from classifiers import normalize as nz  # noqa: E402

_ALPHABET = "абвгсайгаеорктхйКИЙaceopxkmtbuнrigαορκ0134567@$_. -,*/·|+~\t…—«»"
# what `_words` replaces: every maximal [\w@$]+ run with a digit/@/$ and a letter, or with Latin (or Greek) and Cyrillic
_SUSPECT = re.compile(r"(?<![\w@$])(?=[\w@$]*[@$\d])(?=[\w@$]*[^\W\d_])[\w@$]+"
                      r"|(?<![\w@$])(?=[\w@$]*[a-zα-ω])(?=[\w@$]*[\u0400-\u04ff])[\w@$]+")


def _random_texts(n: int, seed: int, alphabet: str = _ALPHABET, longest: int = 60) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest))) for _ in range(n)]


def test_word_fixes_equal_the_suspect_word_definition():
    texts = _random_texts(4000, 1) + ["с@йга 500тг c0йга p0г", "рога sаiga сайга12 6гр", "kиик мүйізі 3кг"]
    for text in texts:
        expected = _SUSPECT.sub(lambda m: nz._fix_word(m.group()), text)
        assert nz._words(text, nz._WORDISH.findall(text)) == expected, text


def test_spaced_letters_pre_check_never_hides_a_run():
    texts = _random_texts(6000, 2, "сайгаркоб@$_ .-*·,/|~+\t", 30) + ["с а й г а", "р.о.г.а", "р_о_г_а", "и в с"]
    texts += _random_texts(6000, 3, "сай05²@ .-,", 20) + ["5 г в", "а 5 б в г", "1 2 3"]
    hidden = [t for t in texts if nz._SPACED.search(t) and not nz._may_be_spaced(t, nz._WORDISH.findall(t))]
    assert hidden == []
    assert sum(1 for t in texts if nz._SPACED.search(t)) > 100  # the texts do exercise the pattern


def test_stretched_letters_pre_check_equals_the_pattern():
    texts = _random_texts(3000, 3, "аааооо000   ..сайгга", 400) + ["рооога " * 40, "ааа", "1111 " * 60]
    for text in texts:
        assert nz._may_be_stretched(text) == bool(nz._STRETCHED.search(text)), text


def test_identity_offsets_are_built_only_when_asked_for():
    norm = Normalizer()("Продам рога сайги")
    assert norm.identity and norm.starts == list(range(17)) and norm.ends == list(range(1, 18))
    assert norm.original_span(7, 11) == (7, 11)
    moved = Normalizer()("Ｐрода\u200bм рога")  # full-width letter and a zero-width space: offsets move
    assert not moved.identity and moved.original_span(0, 6) == (0, 7)


def test_chinese_gaps_and_emoji_fast_paths_equal_their_definitions():
    plain_gap = re.compile(f"(?<=[{nz.CJK}])[ \\t.·•_*\\-/|~+]{{1,3}}(?=[{nz.CJK}])")
    for text in _random_texts(5000, 4, "羚羊角 \t.·•_*-/|~+ab", 30):
        assert [m.span() for m in nz._CJK_GAP.finditer(text)] == [m.span() for m in plain_gap.finditer(text)], text
    table = nz._emoji_table()
    rng = random.Random(5)
    points = [rng.randrange(0x110000) for _ in range(20000)] + [0x200D, 0x1F98C, 0x2B50, 0xE0041, 0x1FAFF, 0x1FB00]
    for cp in points:
        assert table[cp] == bool(nz._EMOJI.match(chr(cp))), hex(cp)
    norm = Normalizer({"🦌": "сайга"})("Рога 🦌 и 💯👍 тут")
    assert norm.text == "рога  саига  и    тут" and norm.original_span(6, 11) == (5, 6)
    plain = Normalizer()("Рога 💯👍 тут")
    assert plain.text == "рога    тут" and plain.identity


def test_one_to_one_nfkc_replacements_equal_translating_every_character():
    rng = random.Random(11)
    pool = ([chr(c) for c in range(0x20, 0x3100)] + [chr(c) for c in range(0xF900, 0x10000)] + list("，。！？：（）ｓａ１")
            + ["\U0001d41a", "\U0001d7d3", "😀", "\u0301", "\u0340"])
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 30))) for _ in range(20000)]
    texts.append("".join(chr(c) for c in range(0x20, 0x10000) if not 0xD800 <= c <= 0xDFFF))
    for text in texts:
        assert nz._nfkc_one_to_one(text) == text.translate(nz._NFKC_TABLE), repr(text)


def test_expanding_characters_found_from_the_table_equal_the_pattern_searched_everywhere():
    rng = random.Random(13)
    pool = (list("аб羚 .!") + ["‼", "…", "½", "™", "ﬁ", "\u0301", "\u0306", "\u0483", "\u20d0", "\ufe20", "й", "🄰",
                                 "\U0001f300", "😀", "\U0001d41a", "\u1100", "\u0345"]
            + [chr(rng.randrange(0x80, 0x20000)) for _ in range(300)])
    for _ in range(20000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 25)))
        assert [m.span() for m in nz._expander_matches(text)] == [m.span() for m in nz._expanders().finditer(text)], \
            repr(text)


def test_the_normalisers_flags_say_whether_the_text_has_a_chinese_character_and_one_beyond_the_bmp():
    from classifiers.bmp_patterns import beyond_bmp

    # an emoji, Chinese beyond the BMP, a Traditional character whose Simplified one is beyond the BMP (U+346E) and
    # one the other way round (U+20542), a mathematical bold A
    alphabet = "羚羊角賽 \t.·•_*-/|~+abс@0🦌\u200b\U00020000\u346e\U00020542𝐀"
    texts = _random_texts(3000, 8, alphabet, 20) + ["羚 羊 角", "р о г а", "", "🦌", "\U00020000"]
    for text in texts:
        norm = Normalizer()(text)
        assert norm.has_cjk == (nz.CJK_CHAR.search(norm.text) is not None), text
        assert norm.bmp == (not beyond_bmp(norm.text)), text


def test_chinese_gaps_dropped_with_their_offsets():
    rng = random.Random(12)
    for _ in range(3000):
        text = "".join(rng.choice("羚羊角出售 .·/-_ab1") for _ in range(rng.randint(0, 25)))
        keep = [True] * len(text)
        for m in nz._CJK_GAP.finditer(text):
            keep[m.start():m.end()] = [False] * (m.end() - m.start())
        kept = "".join(c for c, k in zip(text, keep) if k)
        at = [i for i, k in enumerate(keep) if k]
        assert nz._drop_cjk_gaps(text, None, None) == (kept, at, [i + 1 for i in at]), text
        starts = [3 * i for i in range(len(text))]  # offsets some earlier step moved
        ends = [3 * i + 2 for i in range(len(text))]
        assert nz._drop_cjk_gaps(text, starts, ends) == (kept, [starts[i] for i in at], [ends[i] for i in at]), text
