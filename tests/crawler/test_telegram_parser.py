"""The t.me/s parser, field by field, on saved pages written in the real structure (tests/crawler/files)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crawler.parsers import ParseError
from crawler.parsers.telegram import parse, parse_views

FILES = Path(__file__).parent / "files"
URL = "https://t.me/s/rynok_rogov_test"


@pytest.fixture(scope="module")
def page():
    return parse((FILES / "telegram_channel.html").read_bytes(), URL)


@pytest.fixture(scope="module")
def posts(page):
    return {item.platform_listing_id: item for item in page.items}


def test_page_kind_and_older_posts_link(page):
    assert page.kind == "channel"
    assert page.next_page == "https://t.me/s/rynok_rogov_test?before=101"
    assert page.errors == []


def test_service_messages_are_skipped(posts):
    assert sorted(posts) == [f"rynok_rogov_test/{n}" for n in range(102, 109)]


def test_plain_post_fields(posts):
    p = posts["rynok_rogov_test/102"]
    assert p.platform == "telegram"
    assert p.url == "https://t.me/rynok_rogov_test/102"
    assert p.title == "Продам рога сайги, 3 пары"
    assert p.text == ("Продам рога сайги, 3 пары\nЦена 150 000 тг за пару\n"
                      "Звонить: 8 (701) 555-12-34, WhatsApp wa.me/77015551234")
    assert p.posted_at == dt.datetime(2026, 11, 20, 7, 54, tzinfo=dt.timezone.utc)
    assert p.seller_platform_id == "rynok_rogov_test"
    assert p.seller_name == "Рынок рогов (тест)"
    assert p.seller_url == "https://t.me/rynok_rogov_test"
    assert p.phones == ["+77015551234"]
    assert p.photo_urls == ["https://cdn-demo.example/img/horn-1.jpg"]
    assert p.extra["views"] == 1200
    assert p.extra["edited"] is False
    assert p.is_card is False
    assert p.search_url == URL


def test_album_photos_and_handle(posts):
    p = posts["rynok_rogov_test/103"]
    assert p.photo_urls == [f"https://cdn-demo.example/img/album-{x}.jpg" for x in "abc"]
    assert p.extra["album_size"] == 3
    assert p.handles == ["@rog_prodavec"]


def test_document(posts):
    assert posts["rynok_rogov_test/104"].extra["documents"] == [
        {"title": "прайс_ноябрь.pdf", "size": "84.2 KB", "url": "https://t.me/rynok_rogov_test/104"}]
    assert posts["rynok_rogov_test/104"].extra["views"] == 857


def test_link_preview_and_links(posts):
    p = posts["rynok_rogov_test/105"]
    assert p.extra["links"] == ["https://example.org/roga"]
    preview = p.extra["link_previews"][0]
    assert preview["url"] == "https://example.org/roga"
    assert preview["site_name"] == "Степной рынок"
    assert preview["title"] == "Рога и копыта оптом"
    assert p.extra["views"] == 2_000_000


def test_edited_reply_keeps_only_its_own_text(posts):
    p = posts["rynok_rogov_test/106"]
    assert p.extra["edited"] is True
    assert p.extra["reply_to"] == "https://t.me/rynok_rogov_test/102"
    assert p.text == "Киік мүйізін сатып аламыз, Атырау. Тел +7 747 765 43 21"
    assert p.phones == ["+77477654321"]


def test_forward_without_text_keeps_source_and_photo(posts):
    p = posts["rynok_rogov_test/107"]
    assert p.text == "" and p.title == ""
    assert p.extra["forwarded_from"] == {"name": "Закрытый опт", "url": "https://t.me/zakrytyi_opt/3",
                                         "channel": "zakrytyi_opt"}
    assert p.photo_urls == ["https://cdn-demo.example/img/fwd.jpg"]


def test_video_thumbnail(posts):
    p = posts["rynok_rogov_test/108"]
    assert p.extra["videos"] == 1
    assert p.photo_urls == ["https://cdn-demo.example/img/rynok_rogov_test-108-video.jpg"]
    assert p.extra["views"] == 15600


def test_search_page():
    result = parse((FILES / "telegram_search.html").read_bytes(), URL + "?q=%D1%80%D0%BE%D0%B3%D0%B0")
    assert result.kind == "search"
    assert [i.platform_listing_id for i in result.items] == ["rynok_rogov_test/102"]
    assert result.next_page is None


def test_search_without_results_is_empty():
    result = parse((FILES / "telegram_search_empty.html").read_bytes(), URL + "?q=x")
    assert result.kind == "empty" and result.items == []


def test_name_without_public_preview_is_empty():
    body = b"<html><head><title>Telegram: Contact @x</title></head><body><div class='tgme_page'>If you have Telegram</div></body></html>"
    result = parse(body, "https://t.me/someone")
    assert result.kind == "empty"


def test_flood_wait_page_is_a_block():
    result = parse(b"<html><head><title>Too Many Requests</title></head><body>retry after 30</body></html>", URL)
    assert result.kind == "blocked" and "Too Many Requests" in result.block_reason


def test_unknown_page_says_what_was_expected():
    with pytest.raises(ParseError, match="t.me/s/<channel>"):
        parse(b"<html><body><p>hello</p></body></html>", URL)


def test_bad_post_id_is_a_row_error_not_a_crash():
    html = (FILES / "telegram_channel.html").read_text(encoding="utf-8").replace(
        'data-post="rynok_rogov_test/104"', 'data-post="rynok_rogov_test/abc"')
    result = parse(html.encode("utf-8"), URL)
    assert len(result.items) == 6
    assert result.errors and "rynok_rogov_test/abc" in result.errors[0]


@pytest.mark.parametrize("raw, views", [("857", 857), ("1.2K", 1200), ("15.6K", 15600), ("2M", 2_000_000),
                                        ("", None), ("n/a", None)])
def test_views(raw, views):
    assert parse_views(raw) == views


def test_history_without_message_blocks_is_a_zero_item_channel_page_not_empty():
    # What a markup change looks like: the history is there, the message blocks are not recognised.
    html = (FILES / "telegram_channel.html").read_text(encoding="utf-8").replace("tgme_widget_message ", "tgme_post_v2 ")
    result = parse(html.encode("utf-8"), URL)
    assert result.kind == "channel" and result.items == []


def test_poll_question_and_options_become_the_text():
    html = """<html><body><section class="tgme_channel_history">
    <div class="tgme_widget_message js-widget_message" data-post="opros_kz/5">
      <div class="tgme_widget_message_poll"><div class="tgme_widget_message_poll_question">Кто купит рога сайги?</div>
        <div class="tgme_widget_message_poll_option"><div class="tgme_widget_message_poll_option_text">Я</div></div>
        <div class="tgme_widget_message_poll_option"><div class="tgme_widget_message_poll_option_text">Никто</div></div></div>
      <a class="tgme_widget_message_date" href="https://t.me/opros_kz/5"><time datetime="2026-11-20T10:00:00+00:00"></time></a>
    </div>
    <div class="tgme_widget_message js-widget_message" data-post="opros_kz/6">
      <div class="tgme_widget_message_sticker_wrap"><i class="tgme_widget_message_sticker"></i></div>
    </div></section></body></html>"""
    result = parse(html.encode("utf-8"), "https://t.me/s/opros_kz")
    assert [i.platform_listing_id for i in result.items] == ["opros_kz/5"]  # the sticker carries nothing to read
    poll = result.items[0]
    assert poll.text == "Кто купит рога сайги?\nЯ\nНикто"
    assert poll.extra["poll"] == {"question": "Кто купит рога сайги?", "options": ["Я", "Никто"]}
