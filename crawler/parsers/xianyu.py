"""Xianyu / Goofish mtop API answers: search (idlemtopsearch.pc.search), item detail (idle.pc.detail), risk control.

Search items are at `data.resultList[].data.item.main`: `exContent` (itemId, title, price parts, area, picUrl,
userNickName, detailParams) and `clickParam.args` (publishTime in ms, price, seller_id, page).
More pages: `data.resultInfo.hasNextPage`; the next page is returned as the same API URL with
`#pageNumber=N` (the page number travels in the signed request data, not in the URL).

The item detail answer (used to re-check listings that left the search results) holds `data.itemDO`
(itemId, title, desc, soldPrice, itemStatus, imageInfos, gmtCreate, wantCnt) and `data.sellerDO` (sellerId, nick,
publishCity). `itemStatus` 0 is an item on sale (kind "listing"); any other status (sold, off shelf) and the
error answers for a deleted item (`FAIL_BIZ_ITEM_NOT_EXIST::宝贝不存在`) are kind "empty": the listing is gone,
and `removal_reason()` says why in words.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from crawler.items import ListingItem
from crawler.parsers import ParseError, ParseResult
from crawler.parsers._json import dig

PLATFORM = "xianyu"
CURRENCY = "CNY"
SEARCH_API = "mtop.taobao.idlemtopsearch.pc.search"
DETAIL_API = "mtop.taobao.idle.pc.detail"
REAL_HOST_SUFFIXES = ("goofish.com", "taobao.com", "tmall.com", "alicdn.com")

# mtop `ret` codes that mean risk control (captcha / slider / "被挤爆啦") or a dead session: a block.
BLOCK_CODES = ("FAIL_SYS_USER_VALIDATE", "RGV587_ERROR", "FAIL_SYS_ILLEGAL_ACCESS", "FAIL_SYS_TRAFFIC_LIMIT")
SESSION_CODES = ("FAIL_SYS_TOKEN_EXOIRED", "FAIL_SYS_TOKEN_EXPIRED", "FAIL_SYS_TOKEN_EMPTY", "FAIL_SYS_SESSION_EXPIRED")
HTML_BLOCK_MARKERS = ("punish", "x5secdata", "nc_1_n1z", "滑动验证", "验证码", "baxia", "captcha")
# detail answers for an item that no longer exists (deleted by the seller or by the platform)
REMOVED_CODES = ("FAIL_BIZ_ITEM_NOT_EXIST", "FAIL_BIZ_ITEM_DELETED", "FAIL_BIZ_ITEM_NOT_FOUND")
REMOVED_MESSAGES = ("宝贝不存在", "商品不存在", "宝贝已删除", "商品已删除", "宝贝已下架", "商品已下架")
ON_SALE = 0  # itemDO.itemStatus of an item that can be bought


def parse(body: bytes, url: str, *, status: int = 200, content_type: str | None = None,
          now: dt.datetime | None = None) -> ParseResult:
    """Parse one search or item detail API response (JSON, or JSONP `mtopjsonpN({...})`), or a slider/captcha page."""
    text = body.decode("utf-8", "replace").strip().lstrip("\ufeff")
    if status == 429:
        return ParseResult(kind="blocked", block_reason="HTTP 429 Too Many Requests")
    payload = _load(text)
    if payload is None:
        low = text[:50_000].lower()
        if low.startswith("<") and any(m in low for m in HTML_BLOCK_MARKERS):
            return ParseResult(kind="blocked", block_reason="risk control: slider/captcha page instead of the API answer")
        raise ParseError(
            f"not a Xianyu search API response: expected JSON from {SEARCH_API} (data.resultList) or "
            f"{DETAIL_API} (data.itemDO) with ret SUCCESS, or a risk-control answer; got {text[:60]!r}"
        )
    ret = [str(r) for r in payload.get("ret") or []]
    code = ret[0].split("::", 1)[0] if ret else ""
    if any(code.startswith(c) for c in BLOCK_CODES) or (code and "RGV587" in code):
        return ParseResult(kind="blocked", block_reason=f"risk control: {ret[0]}")
    if any(code.startswith(c) for c in SESSION_CODES):
        return ParseResult(kind="blocked", block_reason=f"logged-in session missing or expired: {ret[0]}")
    if _item_gone_code(ret):
        return ParseResult(kind="empty", total=0)
    if code and code != "SUCCESS":
        raise ParseError(f"Xianyu API answered an error: ret={ret!r}")
    data = payload.get("data")
    if isinstance(data, dict) and isinstance(data.get("itemDO"), dict):
        return parse_detail(data, url)
    if not isinstance(data, dict) or "resultList" not in data:
        raise ParseError(f"Xianyu API answer has neither data.resultList (search) nor data.itemDO (item detail) "
                         f"(api={payload.get('api')!r})")
    return parse_search(data, url)


def parse_search(data: dict, url: str) -> ParseResult:
    """Listings from `data.resultList`, plus paging and the reported total."""
    items: list[ListingItem] = []
    errors: list[str] = []
    page = None
    for n, entry in enumerate(data.get("resultList") or []):
        main = dig(entry, "data", "item", "main")
        if not isinstance(main, dict) or not isinstance(main.get("exContent"), dict):
            continue  # banners, "猜你喜欢" separators and other non-item cards
        args = dig(main, "clickParam", "args") or {}
        page = page or _int(args.get("page"))
        try:
            items.append(item_from_result(main, url))
        except (KeyError, TypeError, ValueError) as exc:
            errors.append(f"resultList[{n}]: {exc}")
    info = data.get("resultInfo") or {}
    control = info.get("searchResControlFields") or {}
    total = _int(control.get("numFound"))
    has_next = bool(info.get("hasNextPage") or control.get("nextPage"))
    if not items and not errors:
        if not has_next or total == 0:
            return ParseResult(kind="empty", total=total or 0)
        errors.append("search answer has no items but says there are more pages (format change?)")
    page = page or _int(dig(info, "sqiControlFields", "trackParams", "page")) or _page_from_url(url)
    next_page = f"{_strip_fragment(url)}#pageNumber={page + 1}" if has_next and items else None
    return ParseResult(kind="search", items=items, next_page=next_page, total=total, errors=errors)


def item_from_result(main: dict, url: str) -> ListingItem:
    """One listing from a search result's `main` block."""
    ex = main["exContent"]
    args = dig(main, "clickParam", "args") or {}
    item_id = str(ex.get("itemId") or args.get("item_id") or args.get("id") or "")
    if not item_id:
        raise ValueError("no exContent.itemId")
    full = _clean(dig(ex, "detailParams", "title") or ex.get("title") or dig(ex, "titleSpan", "content"))
    if not full:
        raise ValueError(f"item {item_id} has no title")
    title = full.split("\n", 1)[0].strip()
    if len(title) > 120:
        title = title[:120].rstrip() + "…"
    price, price_text = _price(ex.get("price"), args.get("price"))
    published = _int(args.get("publishTime"))
    seller_id = args.get("seller_id") or dig(ex, "jump2XianYuHao", "clickParam", "args", "seller_id")
    pic = ex.get("picUrl")
    photos = [("https:" + pic) if isinstance(pic, str) and pic.startswith("//") else pic] if pic else []
    extra: dict[str, Any] = {}
    if ex.get("oriPrice"):
        extra["original_price"] = ex["oriPrice"]
    if _int(args.get("wantNum")):
        extra["want"] = _int(args.get("wantNum"))
    tags = [t for t in (args.get("tagname") or "").split("/") if t]
    if tags:
        extra["tags"] = tags
    return ListingItem(
        platform=PLATFORM,
        platform_listing_id=item_id,
        url=item_url(url, item_id, main.get("targetUrl")),
        title=title,
        text=full,
        price=price,
        currency=CURRENCY if price is not None else None,
        price_text=price_text,
        location=_clean(ex.get("area")) or None,
        seller_platform_id=str(seller_id) if seller_id else None,
        seller_name=_clean(ex.get("userNickName") or dig(ex, "detailParams", "userNick")) or None,
        posted_at=dt.datetime.fromtimestamp(published / 1000, dt.timezone.utc) if published else None,
        photo_urls=[p for p in photos if p],
        language="zh",
        search_url=url,
        extra=extra,
    )


def parse_detail(data: dict, url: str) -> ParseResult:
    """An item detail answer: kind "listing" while the item is on sale, "empty" once it is sold or off shelf."""
    item_do = data["itemDO"]
    status = _item_status(item_do)
    if status is None:  # without it "gone" and "on sale" cannot be told apart: never guess a removal
        raise ParseError("Xianyu item detail answer has no itemDO.itemStatus (format change?)")
    if status != ON_SALE:
        return ParseResult(kind="empty", total=0)
    try:
        item = item_from_detail(item_do, data.get("sellerDO") if isinstance(data.get("sellerDO"), dict) else {}, url)
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"Xianyu item detail answer is unreadable: {exc}") from None
    return ParseResult(kind="listing", items=[item])


def item_from_detail(item_do: dict, seller_do: dict, url: str) -> ListingItem:
    """The listing an item detail answer describes, with the same title/text/price/location as its search card."""
    item_id = str(item_do.get("itemId") or "")
    if not item_id:
        raise ValueError("no itemDO.itemId")
    desc = _clean(item_do.get("desc"))
    head = _clean(item_do.get("title")).split("\n", 1)[0].strip()
    if not head and not desc:
        raise ValueError(f"item {item_id} has neither itemDO.title nor itemDO.desc")
    # search cards carry the whole post (= desc) and show its first line as the title: do the same here,
    # so a re-check of an unchanged item stores the same content (no new version)
    full = desc if not head or desc.startswith(head) else f"{head}\n{desc}".strip()
    title = full.split("\n", 1)[0].strip()
    if len(title) > 120:
        title = title[:120].rstrip() + "…"
    text = full
    sold = str(item_do.get("soldPrice") or "").strip()
    price = float(sold) if re.fullmatch(r"\d+(\.\d+)?", sold) else None
    created = _int(item_do.get("gmtCreate"))
    photos = []
    for info in item_do.get("imageInfos") or []:
        pic = info.get("url") if isinstance(info, dict) else None
        if isinstance(pic, str) and pic:
            photos.append("https:" + pic if pic.startswith("//") else pic)
    extra: dict[str, Any] = {}
    for key, name in (("wantCnt", "want"), ("browseCnt", "views"), ("collectCnt", "favourites")):
        if _int(item_do.get(key)):
            extra[name] = _int(item_do.get(key))
    if item_do.get("originalPrice") not in (None, "", "0"):
        extra["original_price"] = item_do["originalPrice"]
    if seller_do.get("sellerId"):
        extra["seller_user_id"] = str(seller_do["sellerId"])  # numeric; search cards carry an encrypted seller_id
    return ListingItem(
        platform=PLATFORM,
        platform_listing_id=item_id,
        url=item_url(url, item_id),
        title=title,
        text=text,
        price=price,
        currency=CURRENCY if price is not None else None,
        price_text=f"¥{sold}" if sold else None,
        location=_clean(seller_do.get("publishCity") or seller_do.get("city")) or None,
        seller_name=_clean(seller_do.get("nick")) or None,
        posted_at=dt.datetime.fromtimestamp(created / 1000, dt.timezone.utc) if created else None,
        photo_urls=photos,
        language="zh",
        extra=extra,
    )


def removal_reason(body: bytes) -> str | None:
    """Why an item detail answer means the listing is gone ("deleted", "sold"...), or None when it does not."""
    payload = _load(body.decode("utf-8", "replace").strip().lstrip("\ufeff"))
    if payload is None:
        return None
    ret = [str(r) for r in payload.get("ret") or []]
    if _item_gone_code(ret):
        return f"Xianyu: the item no longer exists ({ret[0]})"
    item_do = dig(payload, "data", "itemDO")
    if isinstance(item_do, dict) and ret and ret[0].startswith("SUCCESS"):
        status = _item_status(item_do)
        if status is not None and status != ON_SALE:
            words = _clean(item_do.get("itemStatusStr")) or "not on sale"
            return f"Xianyu: the item is no longer on sale ({words}, itemStatus {status})"
    return None


def _item_gone_code(ret: list[str]) -> bool:
    if not ret:
        return False
    code, _, message = ret[0].partition("::")
    return any(code.startswith(c) for c in REMOVED_CODES) or (
        code.startswith("FAIL_BIZ") and any(m in message for m in REMOVED_MESSAGES))


def _item_status(item_do: dict) -> int | None:
    value = item_do.get("itemStatus")
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def item_url(api_url: str, item_id: str, target: Any = None) -> str:
    """The public item page: www.goofish.com for the real API, the same server's `/item` otherwise."""
    if isinstance(target, str) and target.startswith(("http://", "https://")):
        return target
    parts = urlsplit(api_url)
    if not parts.netloc or any(parts.hostname and parts.hostname.endswith(s) for s in REAL_HOST_SUFFIXES):
        return f"https://www.goofish.com/item?id={item_id}"
    prefix = parts.path.split("/h5/", 1)[0].rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{prefix}/item?id={item_id}"


def _price(parts: Any, fallback: Any) -> tuple[float | None, str | None]:
    """Price from the display parts (sign ¥, integer, decimal, unit 万), else clickParam.args.price."""
    number = ""
    unit = ""
    text = ""
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        t = str(part.get("text") or "")
        text += t
        kind = part.get("type")
        if kind in ("integer", "decimal"):
            number += t
        elif kind == "unit" or t in ("万", "千"):
            unit = t
    value: float | None = None
    if re.fullmatch(r"\d+(\.\d+)?", number or ""):
        value = float(number) * (10_000 if unit == "万" else 1_000 if unit == "千" else 1)
    elif isinstance(fallback, (str, int, float)) and re.fullmatch(r"\d+(\.\d+)?", str(fallback)):
        value = float(fallback)
    return value, (text or (f"¥{fallback}" if fallback else None))


def _load(text: str) -> dict | None:
    """The JSON object of an answer: plain, JSONP-wrapped, or as Chromium shows JSON (`<pre>` in a page)."""
    pre = re.search(r"<pre[^>]*>(.*?)</pre>", text, re.S) if text.startswith("<") else None
    if pre:
        text = html.unescape(pre.group(1)).strip()
    m = re.match(r"^[\w$.]+\s*\((.*)\)\s*;?\s*$", text, re.S)  # JSONP wrapper
    if m:
        text = m.group(1)
    if not text.startswith("{"):
        return None
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _clean(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    lines = [re.sub(r"[ \t\u3000\xa0]+", " ", line).strip() for line in value.replace("\r", "").split("\n")]
    return "\n".join(line for line in lines if line)


def _page_from_url(url: str) -> int:
    m = re.search(r"pageNumber=(\d+)", url)
    return int(m.group(1)) if m else 1


def _strip_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment=""))
