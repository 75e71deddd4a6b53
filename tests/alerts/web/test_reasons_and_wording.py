"""Reasons in words (no weights), glossary, highlights, audit entries and errors in the user's language."""
from __future__ import annotations

import re

from alerts.web.gloss import glossary, glosses_for
from alerts.web.highlight import match_segments
from alerts.web.i18n import gettext_for
from alerts.web.reasons import explain, note_text
from alerts.web.wording import audit_details, error_text
from alerts.review.queue import QueueFilterError
from store.models import AuditEvent, Classification

RU = gettext_for("ru")
KK = gettext_for("kk")

CLASSIFIER_EXPLANATION = {  # the shape classifiers/classifier.py stores today (contributions + matches)
    "matches": [{"text": "сайги", "role": "species", "field": "text", "start": 7, "end": 12},
                {"text": "рога", "role": "product", "field": "text", "start": 13, "end": 17},
                {"text": "Продам", "role": "intent_sell", "field": "text", "start": 0, "end": 6},
                {"text": "изъято", "role": "confounder", "category": "news", "field": "text", "start": 30, "end": 36}],
    "contributions": {"model": 6.24, "near": 0.92, "sell": 0.6, "news": -0.8, "zero": 0.0},
    "reasons": [{"text": "statistical model: trade probability 1.00", "weight": 6.24}],
    "model": {"p_trade": 1.0},
}


def test_reasons_come_in_words_strongest_first_without_weights():
    reasons = explain(CLASSIFIER_EXPLANATION, RU)
    assert [r.text for r in reasons] == [
        "текст похож на объявление о торговле",
        "названа сайга рядом со словом «рога»: «сайги», «рога»",
        "похоже на новость: «изъято»",
        "слова продажи: «Продам»",
    ]
    assert [r.supports for r in reasons] == [True, True, False, True]
    assert not any(re.search(r"\d\.\d\d|probability|model", r.text) for r in reasons)
    assert reasons[0].weight == 6.24  # kept for the admins' exact numbers


def test_reason_codes_win_and_unknown_codes_never_show_english():
    explanation = {"reasons": [{"code": "price", "weight": 0.4, "params": {"words": ["за грамм", "+7701"]}},
                               {"code": "brand_new_signal", "weight": 0.2}]}
    texts = [r.text for r in explain(explanation, KK)]
    assert texts == ["баға немесе саны көрсетілген: «за грамм», «+7701»", "модельдің басқа белгісі"]


def test_old_explanations_fall_back_to_the_matched_words():
    explanation = {"matches": [{"term": "рога сайги", "role": "product", "start": 0, "end": 10}],
                   "reasons": ["product term: рога сайги"]}
    assert [r.text for r in explain(explanation, RU)] == ["назван рог или изделие из рога: «рога сайги»"]
    assert explain(None, RU) == [] and explain({"reasons": "garbage"}, RU) == []


def test_low_priority_note_is_translated_by_category():
    expl = {"note": "medicine: review at low priority, never a confirmed sale"}
    assert note_text(expl, "medicine", RU).startswith("Патентованное лекарство")
    assert note_text(expl, "something-else", KK) == "Кезектің соңында тексеріңіз."
    assert note_text({}, "medicine", RU) is None


def test_chinese_terms_are_glossed_from_the_glossary_only():
    assert len(glossary()) > 50
    pairs = glosses_for(["出售羚羊角丝 每克50元"], ["羚羊角丝"], "ru")
    assert ("羚羊角丝", "стружка рога сайги") in pairs and ("每克", "за грамм") in pairs
    assert ("羚羊角", "рог сайги") not in pairs  # a term inside a longer glossed one is not repeated
    assert dict(glosses_for(["羚羊角丝"], [], "kk"))["羚羊角丝"] == "киік мүйізінің жоңқасы"
    assert glosses_for(["Продам рога сайги"], ["рога сайги"], "ru") == []


def test_overlapping_and_shifted_matches_are_not_reported_as_missing():
    text = "Продам рога сайги недорого"
    matches = [{"term": "рога сайги", "role": "product", "start": 7, "end": 17},
               {"term": "сайги", "role": "species", "start": 12, "end": 17},  # inside the one before: shown
               {"text": "недорого", "role": "price", "start": 90, "end": 98},  # offsets off: placed by its words
               {"text": "дорого", "role": "price", "start": 19, "end": 25}]  # inside «недорого»: shown
    segments, missing = match_segments(text, matches, "text")
    assert missing == 0
    assert [s.text for s in segments if s.match] == ["рога сайги", "недорого"]
    _, missing = match_segments(text, [{"text": "вообще нет", "start": 200, "end": 210}], "text")
    assert missing == 1


def test_audit_details_are_words_not_python_dicts():
    pairs = audit_details({"decision": "sale", "changes": {"status": ["draft", "submitted"]}, "listing_ids": [1, 2]}, RU)
    assert pairs == [("решение", "Продажа подтверждена"), ("изменения", "статус: черновик, подано"),
                     ("объявления", "1, 2")]


def test_filter_errors_name_the_field_in_the_users_language():
    assert error_text(QueueFilterError("min_score: expected a number between 0 and 1, got 'lots'"), RU) == \
        "Оценка от: введите число от 0 до 1."
    assert error_text(ValueError("something internal broke"), KK) == "Сұрауды орындау мүмкін болмады."


def test_listing_page_shows_reasons_to_analysts_and_numbers_to_admins(analyst, admin, seeded, web_store):
    with web_store.session() as s:
        s.add(Classification(listing_id=seeded.ids["kk"], content_hash="x", model_version="m", score=0.93, flagged=True,
                             language="kk", intent="sell", category="trade", matched_terms=["сайги"],
                             explanation=CLASSIFIER_EXPLANATION))
    page = analyst.get(f"/listings/{seeded.ids['kk']}").text
    assert "the saiga is named next to a horn word: «сайги», «рога»" in page
    assert "+0.92" not in page and "6.24" not in page and "admin-numbers" not in page
    assert "statistical model" not in page
    admin_page = admin.get(f"/listings/{seeded.ids['kk']}").text
    assert 'id="admin-numbers"' in admin_page and "+0.92" in admin_page and "+6.24" in admin_page


def test_error_pages_speak_the_users_language(anon, viewer):
    page = viewer.get("/queue", headers={"Accept-Language": "kk"})
    assert page.status_code == 403 and "role may not" not in page.text
    missing = anon.get("/nowhere", headers={"Accept-Language": "ru;q=0.9, en;q=0.1"})
    assert missing.status_code == 404 and "Такой страницы или записи нет." in missing.text


def test_language_is_one_rule_for_queue_statistics_and_api(analyst, seeded, web_store):
    with web_store.session() as s:  # the crawler said Russian, the classifier found Kazakh
        listing = s.get(Classification, s.query(Classification.id).filter_by(listing_id=seeded.ids["kk"]).scalar()).listing
        listing.language = "ru"
    assert analyst.get(f"/api/listings/{seeded.ids['kk']}").json()["listing"]["language"] == "kk"
    queue_kk = analyst.get("/api/queue?language=kk&status=all").json()
    ids = [item["id"] for item in queue_kk["items"]]
    assert seeded.ids["kk"] in ids
    stats = analyst.get("/stats").text
    assert "Kazakh" in stats


def test_audit_page_shows_actions_in_words(admin, web_store):
    with web_store.session() as s:
        s.add(AuditEvent(actor="boss", action="appeal_update", object_type="appeal", object_id="1",
                         details={"changes": {"status": ["draft", "submitted"]}, "note": ""}))
    page = admin.get("/admin/audit").text
    assert "appeal changed" in page and "appeal_update" not in page and "{&#39;" not in page


def test_appeal_form_takes_the_country_from_the_source_and_the_bundle_of_this_listing(analyst, seeded, web_store):
    from store.models import EvidenceBundle

    vk = seeded.ids["other_platform"]  # a VK listing: Russia by reports.platform_countries
    with web_store.session() as s:
        own = EvidenceBundle(case_name="только VK", created_by="anna", path="a.zip", sha256="sha256:aa", listing_ids=[vk])
        mixed = EvidenceBundle(case_name="смесь", created_by="anna", path="b.zip", sha256="sha256:bb",
                               listing_ids=[vk, seeded.ids["top"]])
        s.add_all([own, mixed])
        s.flush()
        own_id, mixed_id = own.id, mixed.id
    form = re.search(r'<form method="post" action="/appeals".*?</form>', analyst.get(f"/listings/{vk}").text, re.S).group(0)
    assert '<option value="RU" selected>' in form
    assert re.search(rf'<option value="{own_id}" selected data-mixed="0">', form)
    assert re.search(rf'<option value="{mixed_id}"  data-mixed="1">.*several countries', form)
    assert 'id="mixed-bundle-warning"' in form and "Kazakhstan, Russia" in form
    top_form = analyst.get(f"/listings/{seeded.ids['top']}").text
    assert '<option value="KZ" selected>' in top_form
    assert re.search(r'<option value="" selected>no bundle</option>', top_form)  # no bundle holds it alone
