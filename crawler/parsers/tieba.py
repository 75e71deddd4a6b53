"""Parser for Baidu Tieba: mobile forum lists (li.tl_shadow), desktop search (div.s_post) and the 百度安全验证 block."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from parsel import Selector

from crawler.contacts import extract_contacts
from crawler.items import ListingItem
from crawler.parsers import ParseError, ParseResult
from crawler.social import web_base
from crawler.parsers._html import decode_page, html_to_text
from crawler.parsers.telegram import title_of

PLATFORM = "tieba"
TIEBA = "https://tieba.baidu.com"
_TIEBA_DOMAINS = ("baidu.com",)


def site_of(page_url: str) -> str:
    """Where threads are viewed: https://tieba.baidu.com for Baidu's pages, else the fetched site's root
    (http://127.0.0.1:<port>/tieba for the demo marketplace's /tieba/mo/q/m and /tieba/f/search/res)."""
    return web_base(page_url, TIEBA, _TIEBA_DOMAINS, ("/mo/", "/f/", "/p/"))
CHINA = dt.timezone(dt.timedelta(hours=8))
BLOCK_TITLE = "百度安全验证"


def parse(body: bytes, url: str, *, status: int = 200, content_type: str | None = None,
          now: dt.datetime | None = None) -> ParseResult:
    """Threads of a forum page or posts of a search page; the security-check page is a block."""
    html, _ = decode_page(body, content_type)
    sel = Selector(text=html)
    title = (sel.css("title::text").get() or "").strip()
    host = urlsplit(url).hostname or ""
    if BLOCK_TITLE in title or host.startswith("wappass.baidu.com") or "/static/captcha" in url:
        return ParseResult(kind="blocked", block_reason=f"tieba: «{BLOCK_TITLE}» security check page")
    now = now or dt.datetime.now(dt.timezone.utc)
    threads = sel.css("li.tl_shadow")
    posts = sel.css("div.s_post_list > div.s_post, div.s_post_list div.s_post")
    if threads or sel.css("#frslistcontent, ul.threads_list"):
        return _forum(sel, threads, url, title, now)
    if posts or sel.css("div.s_post_list, div.search_noresult, .s_main"):
        return _search(sel, posts, url, now)
    raise ParseError(
        f"{url}: expected a Tieba mobile forum page (li.tl_shadow), a desktop search page "
        f"(div.s_post_list > div.s_post) or the «{BLOCK_TITLE}» page; found none"
    )


def _forum(sel: Selector, threads: list, url: str, title: str, now: dt.datetime) -> ParseResult:
    forum = re.sub(r"吧?_百度贴吧$", "", title) or _kw(url)
    result = ParseResult(kind="channel")
    for index, li in enumerate(threads):
        link = li.css("a.ti_item[tid], a[tid]")
        if not link:
            continue  # adverts and separators carry no thread id
        try:
            result.items.append(_thread(li, link[0], url, forum, now))
        except (ValueError, KeyError) as exc:
            result.errors.append(f"li.tl_shadow[{index}]: {exc}")
    if not threads and sel.css(".tl_empty, .frs_no_thread, .no_thread"):
        result.kind = "empty"  # a forum without threads says so; a bare list is left for markup checks
    result.next_page = _next(sel, url)
    return result


def _thread(li: Selector, link: Selector, url: str, forum: str, now: dt.datetime) -> ListingItem:
    tid = link.attrib["tid"].strip()
    if not tid.isdigit():
        raise ValueError(f"thread id {tid!r} is not a number")
    spans = link.css(".ti_title span:not(.ti_title_icon)::text").getall()
    thread_title = re.sub(r"\s+", " ", " ".join(spans)).strip()
    abstract = html_to_text(link.css(".ti_abstract, .ti_summary").get() or "")
    author = re.sub(r"\s+", " ", " ".join(li.css(".ti_author::text").getall())).strip() or None
    author_path = li.css(".ti_author_time::attr(data-url), .ti_avatar::attr(data-url)").get()
    author_name = _un(author_path) or author
    photos = [u for u in li.css(".medias_wrap img::attr(data-url)").getall() if u]
    icons = " ".join(link.css(".ti_title_icon::text").getall())
    text = "\n".join(filter(None, [thread_title, abstract]))
    extra: dict = {"forum": forum}
    if "置顶" in icons:
        extra["pinned"] = True
    if "精" in icons:
        extra["featured"] = True
    replies = li.css(".btn_reply .btn_icon::text").get()
    if replies and replies.strip().isdigit():
        extra["replies"] = int(replies.strip())
    contacts = extract_contacts(text, "zh")
    return ListingItem(
        platform=PLATFORM,
        platform_listing_id=tid,
        url=f"{site_of(url)}/p/{tid}",
        title=title_of(thread_title),
        text=text,
        seller_platform_id=author_name,
        seller_name=author,
        seller_url=on_site(site_of(url), author_path) if author_path else None,
        phones=contacts.phones,
        handles=contacts.handles,
        posted_at=parse_tieba_time(li.css(".ti_time::text").get(), now),
        photo_urls=list(dict.fromkeys(photos)),
        search_url=url,
        extra=extra,
    )


def _search(sel: Selector, posts: list, url: str, now: dt.datetime) -> ParseResult:
    result = ParseResult(kind="search")
    seen: set[str] = set()
    for index, post in enumerate(posts):
        try:
            item = _search_post(post, url, now)
        except (ValueError, KeyError) as exc:
            result.errors.append(f"div.s_post[{index}]: {exc}")
            continue
        if item.platform_listing_id not in seen:
            seen.add(item.platform_listing_id)
            result.items.append(item)
    if not posts and sel.css("div.search_noresult, .s_noresult"):
        result.kind = "empty"  # «抱歉，没有找到…»; a result list without posts is left for markup checks
    result.next_page = _next(sel, url) if posts else None
    return result


def _search_post(post: Selector, url: str, now: dt.datetime) -> ListingItem:
    link = post.css("span.p_title a")
    if not link:
        raise ValueError("no span.p_title a")
    href = link.attrib.get("href", "")
    tid = link.attrib.get("data-tid") or (re.search(r"/p/(\d+)", href) or [None, None])[1]
    if not tid:
        raise ValueError("no thread id (data-tid or /p/<id>)")
    pid = (parse_qs(urlsplit(href).query).get("pid") or [None])[0]
    post_title = re.sub(r"\s+", " ", "".join(link.css("::text").getall())).strip()
    content = html_to_text(post.css("div.p_content").get() or "")
    forum = re.sub(r"\s+", " ", "".join(post.css("a.p_forum ::text").getall())).strip() or None
    author_link = post.xpath(".//a[contains(@href, '/home/main')]")
    author = re.sub(r"\s+", " ", "".join(author_link.css("::text").getall())).strip() or None
    author_href = author_link.attrib.get("href") if author_link else None
    photos = [urljoin(TIEBA, u) for u in post.css("img.p_pic::attr(original), img.p_pic::attr(src), .p_mediaCont img::attr(original)").getall() if u]
    text = "\n".join(filter(None, [post_title, content]))
    listing_id = f"{tid}_{pid}" if pid and pid != tid else tid
    extra: dict = {"thread_id": tid}
    if pid:
        extra["post_id"] = pid
    if forum:
        extra["forum"] = forum
    contacts = extract_contacts(text, "zh")
    return ListingItem(
        platform=PLATFORM,
        platform_listing_id=listing_id,
        url=f"{site_of(url)}/p/{tid}" + (f"?pid={pid}#{pid}" if pid else ""),
        title=title_of(post_title) or title_of(content),
        text=text,
        seller_platform_id=_un(author_href) or author,
        seller_name=author,
        seller_url=on_site(site_of(url), author_href) if author_href else None,
        phones=contacts.phones,
        handles=contacts.handles,
        posted_at=parse_tieba_time(post.css("font.p_date::text, .p_date::text").get(), now),
        photo_urls=list(dict.fromkeys(photos)),
        search_url=url,
        extra=extra,
    )


def on_site(site: str, href: str) -> str:
    """A site-absolute link ("/home/main?un=...") under `site` (which may carry a path, as the demo's /tieba)."""
    if href.startswith("/") and not href.startswith("//"):
        return site + href
    return urljoin(site + "/", href)


def _next(sel: Selector, url: str) -> str | None:
    href = sel.css("a.next::attr(href), a.pagination-item.next::attr(href), a.tl_more::attr(href), link[rel=next]::attr(href)").get()
    return urljoin(url, href) if href else None


def _kw(url: str) -> str:
    return (parse_qs(urlsplit(url).query).get("kw") or [""])[0]


def _un(path: str | None) -> str | None:
    """The user name from a /home/main?un=<name> link."""
    if not path:
        return None
    un = parse_qs(urlsplit(path).query).get("un")
    return unquote(un[0]) if un else None


def parse_tieba_time(value: str | None, now: dt.datetime) -> dt.datetime | None:
    """Tieba's times ('18:58' today, '10-17' this year, '2018-10-17', '2024-05-11 12:30') in China time, as UTC."""
    if not value:
        return None
    value = value.strip()
    now_cn = now.astimezone(CHINA)
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if m:
        stamp = now_cn.replace(hour=int(m.group(1)), minute=int(m.group(2)), second=0, microsecond=0)
        if stamp > now_cn:  # a clock time later than now was yesterday's
            stamp -= dt.timedelta(days=1)
        return stamp.astimezone(dt.timezone.utc)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:\s+(\d{1,2}):(\d{2}))?", value)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        h, mi = int(m.group(4) or 0), int(m.group(5) or 0)
        return dt.datetime(y, mo, d, h, mi, tzinfo=CHINA).astimezone(dt.timezone.utc)
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", value)
    if m:
        stamp = dt.datetime(now_cn.year, int(m.group(1)), int(m.group(2)), tzinfo=CHINA)
        if stamp > now_cn:
            stamp = stamp.replace(year=now_cn.year - 1)
        return stamp.astimezone(dt.timezone.utc)
    if value.startswith("昨天"):
        return (now_cn - dt.timedelta(days=1)).replace(second=0, microsecond=0).astimezone(dt.timezone.utc)
    return None
