"""alerts.review.flagging: the classify pipeline step on both databases, uncertain items, and reviews as training data."""
import datetime as dt

import pytest
from sqlalchemy import select

from alerts.review.flagging import classify_step, review_examples, uncertain_listings
from config import load_config
from saigawatch.pipeline import PipelineContext
from store.listings import upsert_listing
from store.models import Classification, Image, Listing, Review

NOW = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.timezone.utc)
ADS = {
    "sale": ("Рога сайги", "Продам, 3 пары, 500 тг за грамм, Атырау"),
    "rifle": ("Сайга-12", "Продам Сайга-12 исп. 030, два магазина, разрешение обязательно"),
    "news": ("Новости", "Полиция изъяла 40 рогов сайги, возбуждено уголовное дело"),
    "zh": ("", "出售赛加羚羊角片，每克200元，微信联系"),
    "sofa": ("Диван", "Продам диван, почти новый"),
}


@pytest.fixture
def settings(tmp_path):
    return load_config(overrides={"storage": {"database_path": str(tmp_path / "sw.db"), "data_dir": str(tmp_path / "var")},
                                  "classifier": {"model_dir": str(tmp_path / "models")}})


def _ctx(settings, store, now=NOW):
    return PipelineContext(settings=settings, store=store, crawl_run_id=0, run_day=now.date().isoformat(), now=now)


def _add(store, pid, title, text, now=NOW):
    with store.session() as s:
        r = upsert_listing(s, {"platform": "olx", "platform_listing_id": pid, "url": f"https://olx.kz/{pid}",
                               "title": title, "text": text}, now)
        return r.listing.id


def test_classify_step_writes_rows_and_is_incremental(settings, store):
    ids = {key: _add(store, key, *ad) for key, ad in ADS.items()}
    stats = classify_step(_ctx(settings, store))
    assert stats["classified"] == len(ADS) and stats["errors"] == 0
    assert sorted(stats["flagged_listing_ids"]) == sorted([ids["sale"], ids["zh"]])
    assert stats["flagged"] == 2
    with store.session() as s:
        rows = {c.listing_id: c for c in s.scalars(select(Classification))}
        sale = rows[ids["sale"]]
        assert sale.flagged and sale.intent == "sell" and sale.category == "trade" and sale.language == "ru"
        assert sale.model_version == stats["model_version"] and sale.created_at == NOW
        assert sale.content_hash == s.get(Listing, ids["sale"]).content_hash
        assert any(m["field"] == "title" for m in sale.explanation["matches"])
        assert rows[ids["rifle"]].category == "firearm" and not rows[ids["rifle"]].flagged
        assert rows[ids["news"]].category == "news" and not rows[ids["news"]].flagged
        assert s.get(Listing, ids["zh"]).language == "zh"
    again = classify_step(_ctx(settings, store))  # same day, nothing changed: nothing to do
    assert again["classified"] == 0 and again["flagged_listing_ids"] == []
    _add(store, "sofa", "Диван", "Продам рога сайгака, 2 пары, недорого")  # the content changed
    third = classify_step(_ctx(settings, store))
    assert third["classified"] == 1 and third["flagged_listing_ids"] == [ids["sofa"]]
    with store.session() as s:
        assert len(s.scalars(select(Classification).where(Classification.listing_id == ids["sofa"])).all()) == 2


def test_ocr_text_is_classified_and_located(settings, store):
    lid = _add(store, "photo", "Продам", "Фото в объявлении, звоните")
    with store.session() as s:
        s.add(Image(listing_id=lid, url="https://x/1.jpg", ocr_text="РОГА САЙГИ 500 тг/гр"))
    stats = classify_step(_ctx(settings, store))
    assert stats["flagged_listing_ids"] == [lid]
    with store.session() as s:
        c = s.scalars(select(Classification)).one()
        ocr = [m for m in c.explanation["matches"] if m["field"] == "ocr"]
        assert ocr and "РОГА САЙГИ 500 тг/гр"[ocr[0]["start"]:ocr[0]["end"]] == ocr[0]["text"]


def test_uncertain_and_review_examples(settings, store):
    ids = {key: _add(store, key, *ad) for key, ad in ADS.items()}
    classify_step(_ctx(settings, store))
    with store.session() as s:
        s.add(Review(listing_id=ids["sale"], analyst="ana", decision="sale", created_at=NOW))
        s.add(Review(listing_id=ids["rifle"], analyst="ana", decision="unsure", created_at=NOW))
        s.add(Review(listing_id=ids["news"], analyst="ana", decision="not_trade", created_at=NOW))
    with store.session() as s:
        examples = {e["id"]: e for e in review_examples(s)}
        assert set(examples) == {f"review-{ids['sale']}", f"review-{ids['news']}"}
        assert examples[f"review-{ids['sale']}"]["label"] == "trade"
        assert examples[f"review-{ids['sale']}"]["intent"] == "sell"
        assert examples[f"review-{ids['news']}"]["label"] == "not_trade"
        assert examples[f"review-{ids['news']}"]["category"] == "news"
        items = uncertain_listings(s, limit=10)
        listed = [lst.id for lst, _ in items]
        assert ids["sale"] not in listed and ids["news"] not in listed  # reviewed ones are not asked again
        assert set(listed) == {ids["zh"], ids["sofa"]}
        gaps = [abs(c.score - c.explanation["threshold"]) for _, c in items]
        assert gaps == sorted(gaps)
