"""store.cases and store.fingerprints: grouping at ingest (reordered reposts too), reasons, bad input, split, merge, migration."""
from __future__ import annotations

import datetime as dt
import io

from alembic import command
from PIL import Image as PILImage
from sqlalchemy import func, select

from alerts.review.cases import merge, split
from alerts.review.queue import flagged_queue, record_review
from saigawatch.pipeline import PipelineContext
from store import Store
from store.cases import group_listings, group_pending, group_step
from store.db import alembic_config
from store.listings import upsert_listing
from store.models import AuditEvent, Case, Classification, CrawlRun, Image, Listing, Review

T0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.timezone.utc)
BUY = "Куплю рога сайги дорого, любое количество, самовывоз по всему Казахстану, расчёт сразу наличными"


def _add(s, pid, text, platform="vk", title="", **kw):
    return upsert_listing(s, dict(platform=platform, platform_listing_id=pid, url=f"https://x/{platform}/{pid}",
                                  title=title, text=text, **kw), now=T0).listing


def _flag(s, listing, score=0.9):
    s.add(Classification(listing_id=listing.id, content_hash=listing.content_hash, model_version="t", score=score,
                         flagged=True, intent="buy", created_at=T0))


def test_reposts_contacts_and_photos_join_one_case_with_reasons(store):
    with store.session() as s:
        first = _add(s, "1", BUY)
        repost = _add(s, "2", BUY + " Пишите в личку", platform="telegram")
        olx = _add(s, "3", "Рога сайгака, 5 пар, опт", platform="olx", phones=["+77023334455"])
        tg = _add(s, "4", "Совсем другой текст про рога", platform="telegram", phones=["+77023334455"])
        other = _add(s, "5", "Продаю диван и два кресла, самовывоз из центра города", platform="olx")
        ids = [x.id for x in (first, repost, olx, tg, other)]
        stats = group_pending(s, now=T0)
        assert (stats.grouped, stats.joined, stats.errors) == (5, 2, 0)
    with store.session() as s:
        got = {l.id: l for l in s.scalars(select(Listing))}
        assert got[ids[1]].case_id == got[ids[0]].case_id and got[ids[3]].case_id == got[ids[2]].case_id
        assert len({got[i].case_id for i in ids}) == 3
        assert got[ids[1]].case_reason["kind"] == "text" and f"% same text as #{ids[0]}" in got[ids[1]].case_reason["detail"]
        assert got[ids[3]].case_reason["detail"] == "same phone +77023334455"
        _flag(s, got[ids[0]], 0.8)
        _flag(s, got[ids[1]], 0.95)
    with store.session() as s:  # the summary follows every classification written (session hook)
        case = s.get(Case, s.get(Listing, ids[0]).case_id)
        assert (case.copies, case.platforms, case.best_listing_id, case.flagged) == (2, "telegram,vk", ids[1], True)
        page = flagged_queue(s, day=T0.date(), status="all")
        assert [i.case.id for i in page.items] == [case.id] and {c.id for c in page.items[0].copies} == set(ids[:2])
        record_review(s, ids[0], "anna", "buy")  # a decision on a case applies to every copy
    with store.session() as s:
        assert {r.listing_id for r in s.scalars(select(Review))} == set(ids[:2])
        assert s.get(Case, s.get(Listing, ids[0]).case_id).status == "buy"


def test_same_photo_on_two_platforms_and_bad_input_still_get_cases(sqlite_store):
    buf = io.BytesIO()
    picture = PILImage.new("RGB", (64, 64), "white")
    for x in range(0, 64, 8):
        picture.paste((x * 3, 40, 200 - x * 2), (x, (x * 5) % 48, x + 8, (x * 5) % 48 + 16))
    picture.save(buf, "PNG")
    import imagehash
    phash = str(imagehash.phash(PILImage.open(io.BytesIO(buf.getvalue()))))
    with sqlite_store.session() as s:
        avito = _add(s, "a1", "Рога сайги, пара, светлые", platform="avito")
        vk = _add(s, "v1", "Есть рог как на фото, пишите", platform="vk")
        empty = _add(s, "e1", "", platform="telegram")
        huge = _add(s, "h1", "рог " * 250_000, platform="telegram")  # 1 MB of text
        broken = _add(s, "b1", "Фото не открывается", platform="olx")
        s.add_all([Image(listing_id=avito.id, url="https://x/1.jpg", phash=phash),
                   Image(listing_id=vk.id, url="https://x/2.jpg", phash=phash),
                   Image(listing_id=broken.id, url="https://x/3.jpg", phash=None, error="not a readable image")])
        s.flush()
        ids = (avito.id, vk.id, empty.id, huge.id, broken.id)
        group_pending(s, now=T0)
    with sqlite_store.session() as s:
        rows = {l.id: l for l in s.scalars(select(Listing))}
        assert all(rows[i].case_id for i in ids)
        assert rows[ids[1]].case_id == rows[ids[0]].case_id
        assert rows[ids[1]].case_reason["detail"] == f"same photo as #{ids[0]}"
        assert len({rows[i].case_id for i in ids}) == 4


def test_a_new_listing_joins_by_index_lookup_and_a_failure_is_recorded_on_the_run(sqlite_store, settings, monkeypatch):
    with sqlite_store.session() as s:
        first = _add(s, "1", BUY)
        group_pending(s, now=T0)
        later = _add(s, "2", BUY, platform="telegram")
        bad = _add(s, "3", "что-то сломанное", platform="olx")
        run = CrawlRun(started_at=T0, status="running")
        s.add(run)
        s.flush()
        first_case, later_id, bad_id, run_id = first.case_id, later.id, bad.id, run.id
    import store.cases as cases

    real = cases.fingerprint

    def flaky(listing_id, *args):
        if listing_id == bad_id:
            raise RuntimeError("boom")
        return real(listing_id, *args)

    monkeypatch.setattr(cases, "fingerprint", flaky)
    ctx = PipelineContext(settings=settings, store=sqlite_store, crawl_run_id=run_id, run_day="2026-11-01", now=T0)
    result = group_step(ctx)
    assert result["errors"] == 1 and "boom" in result["error_messages"][0]
    with sqlite_store.session() as s:
        assert s.get(Listing, later_id).case_id == first_case
        assert s.get(Listing, bad_id).case_id not in (None, first_case)  # alone, never lost
        assert any(e["step"] == "group" and "boom" in e["error"] for e in s.get(CrawlRun, run_id).errors)


def test_split_and_merge_are_audited_and_stick(sqlite_store):
    with sqlite_store.session() as s:
        a, b, c = _add(s, "1", BUY), _add(s, "2", BUY, platform="telegram"), _add(s, "3", "Другое объявление о рогах сайги, опт", platform="olx")
        group_pending(s, now=T0)
        assert a.case_id == b.case_id != c.case_id
        new = split(s, b.id, "anna")
        assert s.get(Listing, b.id).case_id == new.id and new.manual
        merged = merge(s, [s.get(Listing, c.id).case_id, new.id], "anna")
        assert merged.copies == 2
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions == ["case.split", "case.merge"]
        group_listings(s, [b.id], now=T0)  # regrouping never undoes an analyst's split
        assert s.get(Listing, b.id).case_id == merged.id


def test_cases_migration_groups_existing_listings(tmp_path):
    st = Store(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(st.engine), "0001")
    with st.engine.begin() as conn:
        for pid, platform in (("1", "vk"), ("2", "telegram")):
            conn.exec_driver_sql(
                "INSERT INTO listings (platform, platform_listing_id, url, title, text, phones, handles, first_seen, "
                "last_seen, content_hash, extra) VALUES (?, ?, 'u', '', ?, '[]', '[]', ?, ?, 'sha256:x', '{}')",
                (platform, pid, BUY, T0.isoformat(), T0.isoformat()))
    st.init()
    with st.session() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
        assert {l.case_id for l in s.scalars(select(Listing))} == {s.scalar(select(Case.id))}
    st.dispose()


AD = ("Продам рога сайги, пара, светлые, без трещин. Цена 150 000 тенге за пару. Звонить 8 701 222 33 44, "
      "Алматы, самовывоз или доставка почтой.")
AD_REORDERED = ("Алматы, самовывоз или доставка почтой. Звонить 8 701 222 33 44. Цена за пару 150 000 тенге. "
                "Светлые, без трещин, пара. Рога сайги продам.")
OTHER_SELLER = ("Продам рога сайги, пара, светлые, без трещин. Цена 90 000 тенге за пару. Звонить 8 702 555 66 77, "
                "Шымкент, самовывоз или доставка почтой.")
OTHER_SELLER_REORDERED = ("Шымкент, самовывоз или доставка почтой. Светлые, без трещин, пара. Рога сайги продам. "
                          "Цена за пару 90 000 тенге. Звонить 8 702 555 66 77.")


def test_bag_of_words_ignores_order_but_counts_words_and_numbers():
    from store.cases import TEXT_THRESHOLD
    from store.fingerprints import fingerprint, similarity, word_similarity

    a, b, c = (fingerprint(i, "", t, [], [], []) for i, t in enumerate((AD, AD_REORDERED, OTHER_SELLER)))
    assert word_similarity(a.signature, b.signature) == 1.0 and similarity(a.signature, b.signature) < TEXT_THRESHOLD
    assert set(a.keys()) & set(b.keys()) and not {k for k in a.keys() if k[0] == "w"} & set(c.keys())
    twice = fingerprint(3, "", AD + " " + AD, [], [], [])  # a bag, not a set: the same words twice are not one copy
    assert word_similarity(a.signature, twice.signature) < 0.7


def test_a_reordered_repost_joins_and_lookalike_ads_of_other_sellers_stay_apart(store):
    with store.session() as s:
        ids = [_add(s, str(n), text, platform=platform).id for n, (text, platform) in enumerate(
            ((AD, "olx"), (AD_REORDERED, "telegram"), (OTHER_SELLER, "vk"), (OTHER_SELLER_REORDERED, "olx")))]
        group_pending(s, now=T0)
    with store.session() as s:
        got = {l.id: l for l in s.scalars(select(Listing))}
        assert got[ids[1]].case_id == got[ids[0]].case_id
        assert got[ids[1]].case_reason["kind"] == "words"
        assert got[ids[1]].case_reason["detail"] == f"same words reordered as #{ids[0]}"
        assert got[ids[3]].case_id == got[ids[2]].case_id != got[ids[0]].case_id  # same words, other price/phone


def test_a_words_reason_reads_in_russian_and_kazakh():
    from alerts.web.i18n import gettext_for
    from alerts.web.templating import make_environment

    template = make_environment("UTC").from_string(
        '{% from "_macros.html" import join_reason with context %}{{ join_reason(r) }}')
    reason = {"kind": "words", "detail": "same words reordered as #412", "listing_id": 412, "similarity": 1.0}
    assert template.render(_=gettext_for("ru"), r=reason) == "те же слова в другом порядке, что у №412"
    assert template.render(_=gettext_for("kk"), r=reason) == "сөздері №412 хабарландырумен бірдей, тек реті басқа"
    assert template.render(_=gettext_for("en"), r=reason) == "same words reordered as #412"


def test_migration_0008_regroups_what_was_fingerprinted_before_the_bag_of_words(tmp_path):
    from sqlalchemy import delete, update

    from store.cases import pending_listing_ids
    from store.models import GroupingKey, ListingFingerprint

    st = Store(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(st.engine), "0007_custody_signing_start")
    with st.session() as s:
        first = _add(s, "1", AD, platform="olx")
        group_pending(s, now=T0)
        s.execute(update(ListingFingerprint).values(minhash=func.substr(ListingFingerprint.minhash, 1, 48 * 4)))
        s.execute(delete(GroupingKey).where(GroupingKey.key.like("w%")))  # as grouping wrote them before 0008
        first_id, first_case = first.id, first.case_id
    st.init()
    with st.session() as s:
        assert pending_listing_ids(s) == [first_id]
        group_pending(s, now=T0)
        assert s.get(Listing, first_id).case_id == first_case
        later = _add(s, "2", AD_REORDERED, platform="telegram")
        group_pending(s, now=T0)
        assert s.get(Listing, later.id).case_id == first_case
    st.dispose()
