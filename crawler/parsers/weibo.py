"""Parser for the Weibo mobile JSON API (container/getIndex search, statuses/extend) and its login/visitor blocks."""
from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

from crawler.contacts import extract_contacts
from crawler.items import ListingItem
from crawler.parsers import ParseError, ParseResult
from crawler.parsers._html import html_to_text
from crawler.parsers.telegram import title_of
from crawler.social import web_base

PLATFORM = "weibo"
WEIBO = "https://m.weibo.cn"
CHINA = dt.timezone(dt.timedelta(hours=8))
_WEIBO_DOMAINS = ("weibo.cn", "weibo.com")


def site_of(api_url: str) -> str:
    """Where the posts of a response are viewed: https://m.weibo.cn for Weibo's own API, else the API's root
    (http://127.0.0.1:<port>/weibo for the demo marketplace's http://127.0.0.1:<port>/weibo/api/...)."""
    return web_base(api_url, WEIBO, _WEIBO_DOMAINS, ("/api/", "/statuses/"))

_BLOCK_HOSTS = ("passport.weibo.com", "passport.weibo.cn", "login.sina.com.cn", "visitor.passport.weibo.cn")
_BLOCK_MARKERS = ("Sina Visitor System", "passport.weibo.com/visitor", "新浪通行证", "微博登录", "请先登录", "login.sina.com.cn")


def parse(body: bytes, url: str, *, status: int = 200, content_type: str | None = None,
          now: dt.datetime | None = None) -> ParseResult:
    """Posts of a getIndex page (or a bare list of mblogs), the full text of a statuses/extend answer, or a block."""
    host = urlsplit(url).hostname or ""
    if host in _BLOCK_HOSTS or "/visitor/" in urlsplit(url).path or "/signin" in urlsplit(url).path:
        return ParseResult(kind="blocked", block_reason=f"weibo: redirected to the login/visitor page ({host})")
    text = body.decode("utf-8-sig", errors="replace").strip()
    if not text.startswith(("{", "[")):
        if any(marker in text for marker in _BLOCK_MARKERS):
            return ParseResult(kind="blocked", block_reason="weibo: login or visitor verification page instead of JSON")
        raise ParseError(f"{url}: expected Weibo mobile API JSON (container/getIndex or statuses/extend), got a non-JSON page")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{url}: expected Weibo mobile API JSON: {exc}") from None
    if isinstance(data, list):
        return _posts([m for m in data if isinstance(m, dict)], url, None, now)
    if not isinstance(data, dict):
        raise ParseError(f"{url}: expected a Weibo JSON object or a list of mblogs")
    ok = data.get("ok")
    if ok in (-100, "-100") or "passport" in str(data.get("url", "")):
        return ParseResult(kind="blocked", block_reason="weibo: the API asks for a login (ok=-100)")
    payload = data.get("data")
    if ok in (0, "0") and "/statuses/extend" in urlsplit(url).path:
        return ParseResult(kind="empty", errors=[])  # 该微博不存在: deleted or hidden
    if "/statuses/extend" in urlsplit(url).path or (isinstance(payload, dict) and "longTextContent" in payload):
        return _extend(payload, url)
    if ok in (0, "0") and not payload:
        msg = data.get("msg") or ""
        return ParseResult(kind="empty", errors=[msg] if msg else [])
    if not isinstance(payload, dict) or not isinstance(payload.get("cards"), list):
        raise ParseError(f"{url}: expected data.cards[] of a container/getIndex response")
    mblogs: list[dict] = []
    for card in payload["cards"]:
        if not isinstance(card, dict):
            continue
        if isinstance(card.get("mblog"), dict):
            mblogs.append(card["mblog"])
        for sub in card.get("card_group") or []:
            if isinstance(sub, dict) and isinstance(sub.get("mblog"), dict):
                mblogs.append(sub["mblog"])
    info = payload.get("cardlistInfo") or {}
    result = _posts(mblogs, url, info, now)
    if not mblogs:
        result.kind = "empty"
        result.next_page = None
    return result


def _extend(payload: object, url: str) -> ParseResult:
    if not isinstance(payload, dict) or "longTextContent" not in payload:
        raise ParseError(f"{url}: expected data.longTextContent of a statuses/extend response")
    post_id = (parse_qs(urlsplit(url).query).get("id") or [""])[0]
    text = html_to_text(payload.get("longTextContent") or "")
    item = ListingItem(platform=PLATFORM, platform_listing_id=post_id, url=f"{site_of(url)}/detail/{post_id}",
                       title=title_of(text), text=text, extra={"long_text": True})
    contacts = extract_contacts(text, "zh")
    item.phones, item.handles = contacts.phones, contacts.handles
    return ParseResult(kind="listing", items=[item])


def _posts(mblogs: list[dict], url: str, info: dict | None, now: dt.datetime | None) -> ParseResult:
    result = ParseResult(kind="search")
    site = site_of(url)
    prefix = _api_prefix(url)
    seen: set[str] = set()
    for index, mblog in enumerate(mblogs):
        try:
            items = [_item(mblog, site, prefix, now)]
            retweeted = mblog.get("retweeted_status")
            if isinstance(retweeted, dict) and retweeted.get("id") and retweeted.get("user"):
                original = _item(retweeted, site, prefix, now)
                original.extra["reposted_by"] = items[0].platform_listing_id
                main = items[0]
                main.extra["retweeted"] = {"id": original.platform_listing_id, "url": original.url,
                                           "author": original.seller_name, "text": original.text}
                main.text = f"{main.text}\n\n{original.text}".strip()
                contacts = extract_contacts(main.text, "zh")
                main.phones, main.handles = contacts.phones, contacts.handles
                items.append(original)
        except (KeyError, TypeError, ValueError) as exc:
            result.errors.append(f"mblog[{index}]: {exc!r}")
            continue
        for item in items:
            if item.platform_listing_id not in seen:
                seen.add(item.platform_listing_id)
                item.search_url = url
                result.items.append(item)
    if info:
        total = info.get("total")
        result.total = int(total) if isinstance(total, int) else None
        next_page = info.get("page")
        if next_page and mblogs:
            parts = urlsplit(url)
            query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            query["page"] = str(next_page)
            result.next_page = parts._replace(query=urlencode(query)).geturl()
    return result


def _api_prefix(url: str) -> str:
    """The URL up to the API root (so extend URLs work on the demo marketplace too)."""
    parts = urlsplit(url)
    path = parts.path
    cut = path.find("/api/")
    root = path[:cut] if cut >= 0 else ""
    return f"{parts.scheme}://{parts.netloc}{root}"


def _item(mblog: dict, site: str, prefix: str, now: dt.datetime | None) -> ListingItem:
    post_id = str(mblog.get("id") or mblog["mid"])
    user = mblog.get("user") or {}
    raw_text = mblog.get("text") or ""
    text = html_to_text(raw_text)
    is_long = bool(mblog.get("isLongText"))
    if is_long:
        text = re.sub(r"\s*(\.\.\.|…)\s*全文\s*$", "", text).strip()
    photos = []
    for pic in mblog.get("pics") or []:
        if isinstance(pic, dict):
            photos.append(((pic.get("large") or {}).get("url")) or pic.get("url"))
    if not photos:
        photos = [f"https://wx1.sinaimg.cn/large/{pid}.jpg" for pid in mblog.get("pic_ids") or [] if pid]
    extra: dict = {
        "reposts": mblog.get("reposts_count"),
        "comments": mblog.get("comments_count"),
        "likes": mblog.get("attitudes_count"),
        "edited": bool((mblog.get("edit_config") or {}).get("edited") or mblog.get("edit_count")),
    }
    extra = {k: v for k, v in extra.items() if v is not None}
    if mblog.get("bid"):
        extra["bid"] = mblog["bid"]
    if mblog.get("source"):
        extra["client"] = mblog["source"]
    if is_long:
        extra["is_long_text"] = True
        extra["long_text_url"] = f"{prefix}/statuses/extend?id={post_id}"
    links = [m for m in re.findall(r'href=\\?"(https?://[^"\\]+)', raw_text) if "/search?" not in m]
    if links:
        extra["links"] = list(dict.fromkeys(links))
    page_info = mblog.get("page_info") or {}
    if isinstance(page_info, dict) and page_info.get("type"):
        extra["page_info"] = {"type": page_info.get("type"), "title": page_info.get("page_title") or page_info.get("title"),
                              "url": page_info.get("page_url")}
    user_id = user.get("id")
    contacts = extract_contacts(text, "zh")
    location = mblog.get("region_name") or None
    if location:
        location = re.sub(r"^发布于\s*", "", location)
    return ListingItem(
        platform=PLATFORM,
        platform_listing_id=post_id,
        url=f"{site}/detail/{post_id}",
        title=title_of(text),
        text=text,
        location=location,
        seller_platform_id=str(user_id) if user_id is not None else None,
        seller_name=user.get("screen_name"),
        seller_url=f"{site}/u/{user_id}" if user_id is not None else None,
        phones=contacts.phones,
        handles=contacts.handles,
        posted_at=parse_created_at(mblog.get("created_at"), now),
        photo_urls=[p for p in dict.fromkeys(photos) if p],
        extra=extra,
    )



def parse_created_at(value: object, now: dt.datetime | None = None) -> dt.datetime | None:
    """'Tue Mar 29 09:03:09 +0800 2022' (and the relative forms the mobile site shows) as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        return dt.datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(dt.timezone.utc)
    except ValueError:
        pass
    now_cn = (now or dt.datetime.now(dt.timezone.utc)).astimezone(CHINA)
    if value == "刚刚":
        return now_cn.astimezone(dt.timezone.utc)
    m = re.fullmatch(r"(\d+)\s*(分钟|小时)前", value)
    if m:
        delta = dt.timedelta(minutes=int(m.group(1))) if m.group(2) == "分钟" else dt.timedelta(hours=int(m.group(1)))
        return (now_cn - delta).astimezone(dt.timezone.utc)
    m = re.fullmatch(r"(今天|昨天)\s*(\d{1,2}):(\d{2})", value)
    if m:
        day = now_cn.date() - dt.timedelta(days=1 if m.group(1) == "昨天" else 0)
        return dt.datetime(day.year, day.month, day.day, int(m.group(2)), int(m.group(3)), tzinfo=CHINA).astimezone(dt.timezone.utc)
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=CHINA).astimezone(dt.timezone.utc)
        except ValueError:
            pass
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", value)
    if m:
        year = now_cn.year
        candidate = dt.datetime(year, int(m.group(1)), int(m.group(2)), tzinfo=CHINA)
        if candidate > now_cn:
            candidate = candidate.replace(year=year - 1)
        return candidate.astimezone(dt.timezone.utc)
    return None
