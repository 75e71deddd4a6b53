"""The listing page with a real classifier verdict: every highlight is exactly the text at the verdict's offsets."""
from __future__ import annotations

import html
import re

import pytest

from alerts.web.i18n import gettext_for
from alerts.web.reasons import explain
from store.listings import upsert_listing
from store.models import Classification

TITLE = "Рога сайги продам"
TEXT = "Продаю рога сайги, пара 300 г, цена за грамм 2000 тг. Звоните <b>сейчас</b>"


@pytest.fixture(scope="module")
def verdict():
    from classifiers import load_classifier

    return load_classifier().classify(TEXT, title=TITLE)


def test_real_verdict_is_highlighted_at_its_offsets(analyst, web_store, verdict):
    assert verdict.flagged and verdict.explanation["matches"]
    with web_store.session() as s:
        listing = upsert_listing(s, {"platform": "olx", "platform_listing_id": "clf-1", "url": "https://www.olx.kz/d/clf-1",
                                     "title": TITLE, "text": TEXT, "language": "ru"}).listing
        s.add(Classification(listing_id=listing.id, content_hash=listing.content_hash, model_version=verdict.model_version,
                             score=verdict.score, flagged=verdict.flagged, language=verdict.lang, intent=verdict.intent,
                             category=verdict.category, matched_terms=verdict.matched_terms,
                             explanation=verdict.explanation))
        listing_id = listing.id
    page = analyst.get(f"/listings/{listing_id}").text
    marks = [(cls, html.unescape(text)) for cls, text in re.findall(r'<mark class="m-([\w-]+)"[^>]*>(.*?)</mark>', page)]
    expected = [(m["role"], (TITLE if m["field"] == "title" else TEXT)[m["start"]:m["end"]])
                for m in sorted(verdict.explanation["matches"], key=lambda m: (m["field"] != "title", m["start"]))]
    assert marks[:len(expected)] == expected
    assert "&lt;b&gt;сейчас&lt;/b&gt;" in page  # markup in the text stays text
    # reasons are shown in words, from the classifier's codes, never as model internals or weights
    for reason in explain(verdict.explanation, gettext_for("en"))[:3]:
        assert html.escape(reason.text, quote=False) in page
    assert "trade probability" not in page and not re.search(r"\(\+\d\.\d\d\)", page)
