"""Parser for Telegram public channel previews (t.me/s/<channel>, ?before= pages, ?q= searches, single-post embeds)."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

from parsel import Selector

from crawler.contacts import extract_contacts, telegram_links
from crawler.items import ListingItem
from crawler.parsers import ParseError, ParseResult
from crawler.parsers._html import decode_page, html_to_text
from crawler.social import web_base
from crawler.text_price import price_in_text

PLATFORM = "telegram"
TME = "https://t.me"

_BG_URL = re.compile(r"background-image\s*:\s*url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
_VIEWS = re.compile(r"^([\d.,]+)\s*([KMB]?)$", re.IGNORECASE)
_SINGLE = re.compile(r"^(.*)/([A-Za-z][A-Za-z0-9_]{3,31})/(\d+)/?$")
_TITLE_MAX = 120


def parse(body: bytes, url: str, *, status: int = 200, content_type: str | None = None,
          now: dt.datetime | None = None) -> ParseResult:
    """Posts of one t.me/s page (channel history or in-channel search) and the link to older posts; on a
    single-post page (t.me/<channel>/<id>?embed=1) kind "listing" with that post, or "empty" when it is gone."""
    text, _ = decode_page(body, content_type)
    sel = Selector(text=text)
    single = _single_post(url)
    kind = "listing" if single else "search" if _query_of(url) else "channel"
    base = _site_base(url, single)
    history = sel.css("section.tgme_channel_history, .tgme_channel_history")
    messages = sel.css("div.tgme_widget_message[data-post]")
    if not history and not messages:
        if _is_rate_limited(sel, text):
            return ParseResult(kind="blocked", block_reason="telegram: Too Many Requests (flood wait)")
        if sel.css("div.tgme_page, div.tgme_page_wrap"):
            # t.me/<name> without a public preview: a private channel, a user, a bot or a name that is free.
            return ParseResult(kind="empty", errors=["no public preview for this name (private channel, user or unknown name)"])
        raise ParseError(
            f"{url}: expected a t.me/s/<channel> page (section.tgme_channel_history with "
            "div.tgme_widget_message[data-post]); found neither"
        )
    result = ParseResult(kind=kind)
    channel_title = _clean(sel.css(".tgme_channel_info_header_title ::text").getall()) or None
    for message in messages:
        classes = message.attrib.get("class", "").split()
        if "service_message" in classes:
            continue
        try:
            item = _post(message, channel_title, url, base)
        except (ValueError, KeyError, IndexError) as exc:
            result.errors.append(f"post {message.attrib.get('data-post')!r}: {exc}")
            continue
        if item is not None:
            item.search_url = url
            result.items.append(item)
    if single:
        wanted = f"{single[1]}/{single[2]}".lower()
        result.items = [i for i in result.items if i.platform_listing_id.lower() == wanted]
        if not result.items:
            result.kind = "empty"  # the post was deleted (or holds nothing to classify)
        return result
    if not result.items and (messages or kind == "search"):
        # Only service messages, or a search without hits. A channel page whose history has no message
        # blocks at all stays "channel" with zero items: the spider counts it as a possible markup change.
        result.kind = "empty"
    result.next_page = _older_page(sel, url)
    return result



def _single_post(url: str) -> tuple[str, str, str] | None:
    """(path prefix, channel, post id) of a single-post URL such as t.me/<channel>/<id>; None for /s/ pages."""
    path = urlsplit(url).path
    m = _SINGLE.match(path)
    if not m or m.group(1).endswith("/s") or path.startswith("/s/"):
        return None
    return m.group(1), m.group(2), m.group(3)


def _site_base(url: str, single: tuple[str, str, str] | None) -> str:
    """https://t.me for pages fetched from Telegram, else the fetched site's root (the demo's /telegram)."""
    if single:
        parts = urlsplit(url)
        return web_base(urlunsplit((parts.scheme, parts.netloc, single[0] + "/s/", "", "")), TME, _TG_DOMAINS, ("/s/",))
    return web_base(url, TME, _TG_DOMAINS, ("/s/",))


_TG_DOMAINS = ("t.me", "telegram.me", "telegram.org")


def post_url(message: Selector, page_url: str, base: str, channel: str, post_id: str) -> str:
    """The post's own address: its date link (as t.me/s pages write it), else <site>/<channel>/<id>."""
    href = message.css("a.tgme_widget_message_date::attr(href)").get()
    if href:
        parts = urlsplit(urljoin(page_url, href.strip()))
        if parts.scheme in ("http", "https") and parts.path.lower().rstrip("/").endswith(f"/{channel}/{post_id}".lower()):
            return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    return f"{base}/{channel}/{post_id}"


def _query_of(url: str) -> str | None:
    q = parse_qs(urlsplit(url).query).get("q")
    return q[0] if q else None


def _is_rate_limited(sel: Selector, text: str) -> bool:
    title = (sel.css("title::text").get() or "").lower()
    return "too many requests" in title or (len(text) < 2000 and "too many requests" in text.lower())


def _older_page(sel: Selector, url: str) -> str | None:
    """The ?before= page with older posts (the «more» link, else <link rel=prev>)."""
    for more in sel.css("a.tme_messages_more"):
        before = more.attrib.get("data-before")
        if before:
            href = more.attrib.get("href")
            return urljoin(url, href) if href else _with_before(url, before)
    prev = sel.css("link[rel=prev]::attr(href)").get()
    if prev and "before=" in prev:
        return urljoin(url, prev)
    return None


def _with_before(url: str, before: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != "before"}
    query["before"] = before
    from urllib.parse import urlencode

    return parts._replace(query=urlencode(query)).geturl()


def _post(message: Selector, channel_title: str | None, page_url: str, base: str) -> ListingItem | None:
    data_post = message.attrib["data-post"]
    channel, _, post_id = data_post.partition("/")
    if not channel or not post_id.isdigit():
        raise ValueError(f"data-post {data_post!r} is not <channel>/<number>")
    text_node = message.xpath(
        ".//div[contains(concat(' ', normalize-space(@class), ' '), ' js-message_text ')]"
        "[not(ancestor::*[contains(@class, 'tgme_widget_message_reply')])]"
    )
    text = html_to_text(text_node[0].get()) if text_node else ""
    links = _unique(text_node.css("a::attr(href)").getall()) if text_node else []

    photos: list[str] = []
    for style in message.css(".tgme_widget_message_photo_wrap::attr(style)").getall():
        photos.extend(_BG_URL.findall(style))
    video_thumbs: list[str] = []
    for style in message.css(".tgme_widget_message_video_thumb::attr(style)").getall():
        video_thumbs.extend(_BG_URL.findall(style))
    grouped = message.css(".tgme_widget_message_grouped_wrap")
    documents = [
        {
            "title": _clean(doc.css(".tgme_widget_message_document_title ::text").getall()),
            "size": _clean(doc.css(".tgme_widget_message_document_extra ::text").getall()) or None,
            "url": doc.attrib.get("href"),
        }
        for doc in message.css("a.tgme_widget_message_document_wrap, .tgme_widget_message_document_wrap")
    ]
    previews = []
    for prev in message.css("a.tgme_widget_message_link_preview"):
        image = None
        for style in prev.css("[style*=background-image]::attr(style)").getall():
            found = _BG_URL.findall(style)
            if found:
                image = found[0]
                break
        previews.append({
            "url": prev.attrib.get("href"),
            "site_name": _clean(prev.css(".link_preview_site_name ::text").getall()) or None,
            "title": _clean(prev.css(".link_preview_title ::text").getall()) or None,
            "description": html_to_text(prev.css(".link_preview_description").get() or "") or None,
            "image": image,
        })
    poll_question = _clean(message.css(".tgme_widget_message_poll_question ::text").getall())
    poll_options = [_clean(o.css(" ::text").getall()) for o in message.css(".tgme_widget_message_poll_option_text")]
    if poll_question and not text:
        text = "\n".join([poll_question, *poll_options])
    if not text and not photos and not documents and not previews and not video_thumbs:
        return None  # stickers, polls, voice notes without a caption: nothing to classify

    date_attr = message.css("a.tgme_widget_message_date time::attr(datetime), time[datetime]::attr(datetime)").get()
    posted_at = _parse_datetime(date_attr) if date_attr else None
    views = parse_views(_clean(message.css(".tgme_widget_message_views ::text").getall()))
    meta_text = _clean(message.css(".tgme_widget_message_meta ::text").getall()).lower()
    edited = bool(message.css(".tgme_widget_message_edited")) or "edited" in meta_text

    owner = message.css("a.tgme_widget_message_owner_name")
    owner_name = _clean(owner.css(" ::text").getall()) or channel_title or channel
    owner_href = owner.attrib.get("href") if owner else None

    extra: dict = {"channel": channel, "post_id": int(post_id)}
    if views is not None:
        extra["views"] = views
    extra["edited"] = edited
    forwarded = _forwarded_from(message)
    if forwarded:
        extra["forwarded_from"] = forwarded
    reply = message.css("a.tgme_widget_message_reply::attr(href)").get()
    if reply:
        extra["reply_to"] = reply
    signed = _clean(message.css(".tgme_widget_message_from_author ::text").getall())
    if signed:
        extra["signed_by"] = signed
    if links:
        extra["links"] = links
    if documents:
        extra["documents"] = documents
    if previews:
        extra["link_previews"] = previews
    if grouped:
        extra["album_size"] = len(grouped.css(".tgme_widget_message_photo_wrap, .tgme_widget_message_video_player"))
    if video_thumbs:
        extra["videos"] = len(video_thumbs)
    if poll_question:
        extra["poll"] = {"question": poll_question, "options": poll_options}
    mentioned = telegram_links(" ".join([text, *links, *(p["url"] or "" for p in previews)]))
    mentioned = [m for m in mentioned if m != channel.lower()]
    if mentioned:
        extra["mentioned_channels"] = mentioned

    contact_text = "\n".join([text, *links])
    contacts = extract_contacts(contact_text)
    price, currency, price_text = price_in_text(text)  # a channel post has no price field: read it from the text
    return ListingItem(
        platform=PLATFORM,
        platform_listing_id=f"{channel}/{post_id}",
        url=post_url(message, page_url, base, channel, post_id),
        title=title_of(text) or (documents[0]["title"] if documents else "") or (previews[0]["title"] or "" if previews else ""),
        text=text,
        price=price,
        currency=currency,
        price_text=price_text,
        seller_platform_id=channel,
        seller_name=owner_name,
        seller_url=urljoin(page_url, owner_href) if owner_href else f"{base}/{channel}",
        phones=contacts.phones,
        handles=contacts.handles,
        posted_at=posted_at,
        photo_urls=_unique(photos + video_thumbs),
        extra=extra,
    )


def _forwarded_from(message: Selector) -> dict | None:
    box = message.css(".tgme_widget_message_forwarded_from")
    if not box:
        return None
    name_node = box.css(".tgme_widget_message_forwarded_from_name")
    name = _clean(name_node.css(" ::text").getall()) or _clean(box.css(" ::text").getall()).removeprefix("Forwarded from").strip()
    href = name_node.attrib.get("href") if name_node else None
    out: dict = {"name": name}
    if href:
        out["url"] = href
        linked = telegram_links(href)
        if linked:
            out["channel"] = linked[0]
    author = _clean(box.css(".tgme_widget_message_forwarded_from_author ::text").getall())
    if author:
        out["author"] = author
    return out



def title_of(text: str) -> str:
    """The first non-empty line, shortened to a title."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= _TITLE_MAX else line[: _TITLE_MAX - 1].rstrip() + "…"
    return ""


def parse_views(raw: str) -> int | None:
    """'1.2K' → 1200, '3M' → 3000000, '857' → 857; None when absent or unreadable."""
    m = _VIEWS.match(raw.strip()) if raw else None
    if not m:
        return None
    number = float(m.group(1).replace(",", "."))
    factor = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}[m.group(2).upper()]
    return int(round(number * factor))


def _parse_datetime(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def _clean(parts: list[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def _unique(values: list[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out
