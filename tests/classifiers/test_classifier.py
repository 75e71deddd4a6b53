"""The classifier's decisions and explanations on texts written for these tests (not from the corpus)."""
import pytest

from classifiers import load_classifier
from tests.classifiers.conftest import LEXICON_DIR


@pytest.mark.parametrize("title, text", [
    (None, "Отдам сайгачьи рожки, 4 штуки, самовывоз Атырау"),
    (None, "прод@м р0га с@йги 400тг/гр"),
    (None, "Прoдaм pога сaйги дешево, пишите"),
    ("Рога сайгака", "хорошие, 2 пары, вес 600 г, цена договорная"),  # key words only in the title
    (None, "Киік мүйізін сатамын, бағасы келісімді"),
    (None, "出售羚羊角，每克300元，微信联系"),
    (None, "賽加羚羊角絲 現貨 包郵"),
])
def test_sales_are_flagged(clf, title, text):
    v = clf.classify(text, title=title)
    assert v.flagged and v.score >= clf.threshold and v.category == "trade" and v.priority == "high", v.explanation


@pytest.mark.parametrize("text, lang", [
    ("Куплю рога сайгака, старые и новые, любой вес", "ru"),
    ("Киік мүйізін сатып аламын қымбат", "kk"),
])
def test_buy_ads_flagged_with_buy_intent(clf, text, lang):
    v = clf.classify(text)
    assert v.flagged and v.intent == "buy" and v.lang == lang


@pytest.mark.parametrize("text", [
    "Продам Сайга-12 исп. 340, два магазина, разрешение обязательно",
    "Сайга 410 продаю, в отличном состоянии, для охоты",
    "Продаю карабин Сайга МК, калибр 7,62, ИЖМАШ",
    "Куплю сайгу 12 калибра",
    "Сайга-12 мылтығын сатамын",
])
def test_saiga_firearms_not_flagged(clf, text):
    v = clf.classify(text)
    assert not v.flagged and v.category == "firearm", v.explanation


@pytest.mark.parametrize("text", [
    "Полиция Атырау изъяла 120 рогов сайги у местного жителя, возбуждено уголовное дело",
    "Полиция киік мүйіздерін тәркіледі, қылмыстық іс қозғалды",
    "海关查获走私羚羊角200支",
])
def test_seizure_news_not_flagged(clf, text):
    v = clf.classify(text)
    assert not v.flagged and v.category == "news", v.explanation


def test_patent_medicine_gets_category_medicine_not_flagged(clf):
    v = clf.classify("羚羊感冒片 10盒 药店正品")
    assert v.category == "medicine" and v.score < clf.threshold and not v.flagged
    assert v.priority == "low" and v.explanation["note_code"]["code"] == "low_priority_category"  # still searchable


@pytest.mark.parametrize("text", [
    "Предлагаю кусок рога носорога, 200 г, отправка в Азию, цена за грамм договорная",
    "穿山甲片 正品老货 每克12元 微信详聊",
    "Pangolin scales, 1 kg, ship to Vietnam, WhatsApp for price",
])
def test_other_protected_species_are_searchable_not_flagged(clf, text):
    v = clf.classify(text)
    assert not v.flagged and v.category == "other-species" and v.priority == "low", v.explanation


@pytest.mark.parametrize("text", [
    "Бабушка советует давать ребёнку отвар рога сайги при температуре. Помогает ли? Педиатр против.",
    "羚羊角粉给孩子退烧有用吗？医生说没必要",
])
def test_health_questions_are_not_flagged(clf, text):
    assert not clf.classify(text).flagged


def test_offer_and_report_cues_are_explained(clf):
    offer = clf.classify("Рога сайги, пара, 350 г. Цена 300 тг за грамм. WhatsApp 8 701 555 12 34")
    report = clf.classify("Полиция изъяла 56 рогов сайги, сообщает пресс-служба МВД. Возбуждено уголовное дело.")
    assert offer.flagged and offer.explanation["rules"]["offer"] > 0 and not offer.explanation["rules"].get("report")
    assert not report.flagged and report.explanation["rules"]["report"] > 0
    assert report.explanation["cues"]["official"] >= 2


def test_flagged_never_below_threshold(clf):
    from classifiers.training import load_corpus

    rows = load_corpus()["test"]
    for v in clf.classify_many(rows) + [clf.classify("羚羊感冒片 药店"), clf.classify("")]:
        assert v.flagged == (v.score >= clf.threshold)
        assert (v.priority == "high") == v.flagged


def test_reasons_are_structured_for_translation(clf):
    v = clf.classify("Продам рога сайги, 300 тг за грамм", title="Рога")
    reasons = v.explanation["reasons"]
    assert reasons and all({"code", "params", "text", "weight"} <= set(r) for r in reasons)
    species = next(r for r in reasons if r["code"] == "species")
    assert species["params"]["words"] == ["сайги"] and "«сайги»" in species["text"]


@pytest.mark.parametrize("text, lang", [
    ("Продам роги сайги, ціна за грам договірна, відправка Новою поштою", "uk"),
    ("Бөхөний эвэр зарна, 3 хос, үнэ тохиролцоно", "mn"),
])
def test_mongolian_and_ukrainian_ads_are_flagged(clf, text, lang):
    v = clf.classify(text)
    assert v.flagged and v.lang == lang, v.explanation


def test_other_items_not_flagged(clf):
    for text in ("Статуэтка сайгака, бронза, 30 см", "Продам рога марала, 5 кг", "Продам диван, почти новый"):
        assert not clf.classify(text).flagged, text


def test_explanation_offsets_point_into_original(clf):
    title, text = "Р.О.Г.А", "Прод@м  с а й г а к а, 500 тг за грамм"
    v = clf.classify(text, title=title)
    e = v.explanation
    assert e["model"]["version"] == v.model_version and e["model"]["top_classes"]
    assert e["threshold"] == round(clf.threshold, 4)
    roles = {m["role"] for m in e["matches"]}
    assert {"species", "intent_sell", "price", "product"} <= roles
    for m in e["matches"]:
        source = title if m["field"] == "title" else text
        assert source[m["start"]:m["end"]] == m["text"]
    species = next(m for m in e["matches"] if m["role"] == "species")
    assert species["text"] == "с а й г а к а"


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x02 ÿþ \ufffd", "\ud800 lone surrogate", "🦌" * 50,
                                  "Ж" * 1_000_000])
def test_bad_input_gives_a_defined_result(clf, text):
    v = clf.classify(text)
    assert 0.0 <= v.score <= 1.0 and isinstance(v.flagged, bool) and v.lang


def test_huge_text_is_truncated_and_says_so(clf):
    v = clf.classify("Продам рога сайги. " * 60_000)
    assert v.flagged and v.explanation["truncated"] is True


def test_lang_hint_is_used(clf):
    assert clf.classify("рога", lang="kk").lang == "kk"


def test_lexicon_change_shows_in_model_version(tmp_path):
    for p in LEXICON_DIR.glob("*.yaml"):
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    with open(tmp_path / "ru.yaml", "a", encoding="utf-8") as fh:
        fh.write("  - role: species\n    weight: 1.0\n    terms: [сайгачонок]\n")
    changed = load_classifier(lexicon_dir=tmp_path)
    same = load_classifier(lexicon_dir=LEXICON_DIR)
    assert "+lex." in changed.version and "+lex." not in same.version


def test_model_from_an_older_version_gives_a_clear_error(tmp_path):
    from classifiers import ModelNotFound

    (tmp_path / "meta.json").write_text('{"version": "sw-old"}', encoding="utf-8")
    (tmp_path / "nlp").mkdir()
    with pytest.raises(ModelNotFound, match="older SaigaWatch"):
        load_classifier(tmp_path)


class _Node:
    """An object that can hold itself: a reference cycle only the cyclic GC frees."""


def test_a_large_batch_moves_what_it_made_to_the_oldest_generation_after_a_young_pass_for_the_caller(clf):
    import gc
    import weakref

    from classifiers.classifier import PROMOTE_AT

    items = [{"text": f"Продам рога сайги, {i} шт, звоните"} for i in range(PROMOTE_AT)]
    threshold = gc.get_threshold()
    gc.set_threshold(10 ** 6)  # no collection but the ones the classifier asks for
    try:
        collected = []
        cycle = _Node()
        cycle.me = cycle
        weakref.finalize(cycle, collected.append, "cycle")
        del cycle
        verdicts = clf.classify_many(items)
        assert collected == ["cycle"]  # the caller's young garbage had its pass before the batch
        oldest = {id(o) for o in gc.get_objects(generation=2)}
        assert all(id(v) in oldest and id(v.explanation["reasons"]) in oldest for v in verdicts)
        assert gc.get_count()[0] < 100 and not gc.get_freeze_count()

        kept = _Node()
        gc.freeze()  # objects the caller froze stay frozen: then the batch's objects take the usual way
        clf.classify_many(items)
        # (frozen objects that die leave the frozen set, so its size may shrink; a frozen object is in no generation)
        assert gc.get_freeze_count() and not any(o is kept for o in gc.get_objects())
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_the_model_version_covers_every_module_the_classifier_runs():
    """The model's version hashes the code that turns text into model input: every module of classifiers/ that the
    classifier imports, directly or through another, is in it (a change to one makes a new version)."""
    import ast
    from pathlib import Path

    from classifiers.training import FEATURE_CODE

    package = Path(__file__).resolve().parents[2] / "classifiers"
    reached, todo = set(), ["classifier.py"]
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        for node in ast.walk(ast.parse((package / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("classifiers."):
                todo.append(node.module.split(".", 1)[1] + ".py")
    assert reached <= set(FEATURE_CODE), sorted(reached - set(FEATURE_CODE))
