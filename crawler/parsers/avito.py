"""Avito.ru pages: search results, ad pages, the no-results page and block/captcha pages.

Search data is read from, in order: the current `<script type="mime/invalid" data-mfe-state="true">`
(HTML-escaped JSON, items at `data.catalog.items[]`), the older `window.__initialData__` (URI-encoded
JSON), and the `data-marker` DOM as a fallback. Ad pages use `data-marker="item-view/..."` attributes
and `__initialData__`. Dates on the page are Moscow time; they are returned in UTC.
"""
from __future__ import annotations

import datetime as dt
import html as html_lib
import json
import re
from typing import Any, Iterator
from urllib.parse import parse_qs, unquote, urlencode, urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from parsel import Selector

from crawler.items import ListingItem
from crawler.parsers import ParseError, ParseResult
from crawler.parsers._html import decode_page, html_to_text
from crawler.parsers._json import dig

PLATFORM = "avito"
CURRENCY = "RUB"
MOSCOW = ZoneInfo("Europe/Moscow")

BLOCK_TITLES = ("доступ ограничен", "подтвердите, что вы не робот")  # how block pages' <title> starts
CAPTCHA_MARKERS = ("h-captcha", "geetest", "form-captcha", "js-form-captcha", "captcha-response")
NO_RESULTS_TEXTS = ("ничего не найдено", "по вашему запросу ничего не нашлось", "объявлений не найдено")
NOT_FOUND_TEXTS = ("объявление не посмотреть", "такой страницы нет", "страница не найдена")
CLOSED_TEXTS = ("снято с публикации", "объявление снято", "срок размещения истёк")

MONTHS = {
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6,
    "июля": 7, "августа": 8, "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}
UNITS = {
    "секунд": "seconds", "секунду": "seconds", "секунды": "seconds",
    "минут": "minutes", "минуту": "minutes", "минуты": "minutes",
    "час": "hours", "часа": "hours", "часов": "hours",
    "день": "days", "дня": "days", "дней": "days",
    "неделю": "weeks", "недели": "weeks", "недель": "weeks",
}


# --------------------------------------------------------------------------- entry point


def parse(body: bytes, url: str, *, status: int = 200, content_type: str | None = None,
          now: dt.datetime | None = None) -> ParseResult:
    """Parse one Avito response; `status` lets a 429 be recognised, `now` resolves «вчера», «3 дня назад»."""
    text, _ = decode_page(body, content_type)
    sel = Selector(text=text)
    blocked = block_reason(sel, text, status)
    if blocked:
        return ParseResult(kind="blocked", block_reason=blocked)
    initial = initial_data(text)
    now = now or server_date(initial) or dt.datetime.now(dt.timezone.utc)

    ad = _ad_state(initial) or _ad_state_from_mfe(sel)
    if ad is not None or sel.css('[data-marker="item-view/title-info"]'):
        return parse_ad(sel, url, ad, now)

    for catalog in _catalogs(sel, initial):
        return parse_catalog(catalog, sel, url, now)
    if sel.css('div[data-marker="item"][data-item-id]'):
        return parse_cards_dom(sel, url, now)
    if is_no_results(sel):
        return ParseResult(kind="empty", total=0)
    if status in (404, 410) or _has_text(sel, NOT_FOUND_TEXTS):
        return ParseResult(kind="empty", errors=[f"ad page is gone (HTTP {status})"])
    raise ParseError(
        "not a recognised Avito page: expected a search page (data-mfe-state catalog, window.__initialData__ "
        "or div[data-marker=item] cards), an ad page (data-marker=item-view/...), a no-results page "
        "or a block page («Доступ ограничен»)"
    )


# --------------------------------------------------------------------------- decoding and embedded data



def block_reason(sel: Selector, text: str, status: int = 200) -> str | None:
    """Why this response is a block/captcha page, or None."""
    # only the page title and the firewall heading: an ad titled «…проблема с IP…» is not a block page
    title = " ".join(sel.css("head > title::text, h2.firewall-title::text").getall()).strip()
    low_title = title.lower()
    firewall = bool(sel.css(".firewall-container, form.js-firewall-form"))
    head = text[:200_000].lower()
    captcha = any(m in head for m in CAPTCHA_MARKERS) and (firewall or status in (403, 429) or "captcha" in low_title)
    listing_markup = bool(sel.css('[data-marker="item-view/title-info"], div[data-marker="item"]'))
    if firewall or (low_title.startswith(BLOCK_TITLES) and not listing_markup):
        reason = _squash(sel.css("h2.firewall-title::text").get() or title) or "Доступ ограничен"
        return f"{reason}{' (captcha)' if captcha else ''}" + (f" [HTTP {status}]" if status != 200 else "")
    if status == 429:
        return "HTTP 429 Too Many Requests" + (" (captcha)" if captcha else "")
    if status == 403 and not sel.css('[data-marker]'):
        return "HTTP 403 Forbidden"
    return None


def initial_data(text: str) -> dict | None:
    """The older `window.__initialData__ = "<URI-encoded JSON>"` state, decoded."""
    m = re.search(r'window\.__initialData__\s*=\s*"((?:[^"\\]|\\.)*)"', text)
    if not m:
        return None
    try:
        data = json.loads(unquote(m.group(1)))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def mfe_states(sel: Selector) -> Iterator[dict]:
    """Every parseable `<script type="mime/invalid" data-mfe-state="true">` payload on the page."""
    for raw in sel.xpath('//script[@data-mfe-state="true"]/text()').getall():
        candidate = raw.strip()
        for _ in range(2):  # the JSON may be HTML-escaped once or twice
            try:
                payload = json.loads(candidate)
            except ValueError:
                unescaped = html_lib.unescape(candidate)
                if unescaped == candidate:
                    break
                candidate = unescaped
                continue
            if isinstance(payload, dict):
                yield payload
            break


def server_date(initial: dict | None) -> dt.datetime | None:
    """The response date the older pages embed (proxyHeaders.date): the reference for «вчера», «11 мая»."""
    raw = next((n["proxyHeaders"].get("date") for n in _walk(initial or {}) if isinstance(n.get("proxyHeaders"), dict)), None)
    if not raw:
        return None
    try:
        from email.utils import parsedate_to_datetime

        return parsedate_to_datetime(raw).astimezone(dt.timezone.utc)
    except (TypeError, ValueError):
        return None


def _walk(node: Any, depth: int = 0) -> Iterator[dict]:
    if depth > 8:
        return
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v, depth + 1)
    elif isinstance(node, list):
        for v in node[:50]:
            yield from _walk(v, depth + 1)


def _catalogs(sel: Selector, initial: dict | None) -> Iterator[dict]:
    """Catalog objects ({items: [...], ...} plus metadata) from the mfe state, then __initialData__."""
    for payload in list(mfe_states(sel)) + ([initial] if initial else []):
        for node in _walk(payload):
            cat = node.get("catalog")
            if isinstance(cat, dict) and isinstance(cat.get("items"), list):
                merged = dict(node)
                merged.update(cat)
                yield merged
                return


def _ad_state(initial: dict | None) -> dict | None:
    for node in _walk(initial or {}):
        if isinstance(node.get("buyerItem"), dict) and isinstance(node["buyerItem"].get("item"), dict):
            return node["buyerItem"]
    return None


def _ad_state_from_mfe(sel: Selector) -> dict | None:
    for payload in mfe_states(sel):
        for node in _walk(payload):
            if isinstance(node.get("buyerItem"), dict) and isinstance(node["buyerItem"].get("item"), dict):
                return node["buyerItem"]
    return None


# --------------------------------------------------------------------------- search pages


def parse_catalog(catalog: dict, sel: Selector, url: str, now: dt.datetime) -> ParseResult:
    """A search page from its embedded catalog JSON (mfe state or __initialData__)."""
    items: list[ListingItem] = []
    errors: list[str] = []
    for n, raw in enumerate(catalog.get("items") or []):
        if not isinstance(raw, dict) or not raw.get("id") or raw.get("type") in ("banner", "vip", "witcher"):
            continue  # ad banners and widgets share the list
        try:
            items.append(card_from_json(raw, url))
        except (KeyError, TypeError, ValueError) as exc:
            errors.append(f"catalog.items[{n}] (id {raw.get('id')}): {exc}")
    total = _first_int(catalog, "totalCount", "count", "mainCount", "itemsCount")
    if not items and not errors and (total == 0 or is_no_results(sel)):
        return ParseResult(kind="empty", total=0)
    if not items:
        errors.append("search page has a catalog but no listings in it (markup change?)")
    return ParseResult(kind="search", items=items, next_page=next_page(sel, url, catalog, len(items)), total=total, errors=errors)


def card_from_json(raw: dict, url: str) -> ListingItem:
    """One search card from a catalog item of the embedded JSON."""
    path = raw.get("urlPath") or raw.get("url")
    title = _squash(raw.get("title"))
    if not path or not title:
        raise ValueError("no urlPath or title")
    price, price_text = _price_detailed(raw.get("priceDetailed"), raw.get("price"))
    seller_id, seller_name, seller_url = _card_seller(raw, url)
    ts = raw.get("sortTimeStamp")
    refreshed = dt.datetime.fromtimestamp(int(ts) / 1000, dt.timezone.utc) if isinstance(ts, (int, float)) or str(ts or "").isdigit() else None
    location = (
        _squash(dig(raw, "geo", "formattedAddress"))
        or _squash(dig(raw, "addressDetailed", "locationName"))
        or _squash(dig(raw, "location", "name"))
    )
    city = _squash(dig(raw, "location", "name"))
    if city and location and city not in location:
        location = f"{city}, {location}"
    photos = [u for u in (_largest_image(i) for i in raw.get("images") or raw.get("gallery") or []) if u]
    return ListingItem(
        platform=PLATFORM,
        platform_listing_id=str(raw["id"]),
        url=_canonical(urljoin(url, path)),
        title=title,
        text=_squash(raw.get("description")) or "",
        price=price,
        currency=CURRENCY if price is not None else None,
        price_text=price_text,
        location=location,
        seller_platform_id=seller_id,
        seller_name=seller_name,
        seller_url=seller_url,
        refreshed_at=refreshed,
        photo_urls=[urljoin(url, p) for p in photos],
        language="ru",
        search_url=url,
        is_card=True,
        extra={k: v for k, v in {"category_id": raw.get("categoryId"), "location_id": raw.get("locationId")}.items() if v is not None},
    )


def parse_cards_dom(sel: Selector, url: str, now: dt.datetime) -> ParseResult:
    """A search page from the `data-marker` DOM (when no embedded JSON is present)."""
    items: list[ListingItem] = []
    errors: list[str] = []
    for n, card in enumerate(sel.css('div[data-marker="item"][data-item-id]')):
        item_id = card.attrib.get("data-item-id")
        try:
            link = card.css('a[data-marker="item-title"]')
            href = link.attrib.get("href") if link else None
            title = _squash(link.attrib.get("title") or " ".join(link.css("*::text").getall())) if link else ""
            if not href or not title:
                raise ValueError("no a[data-marker=item-title] with href and text")
            price_node = card.css('[data-marker="item-price"]')
            price_raw = price_node.css('meta[itemprop="price"]::attr(content)').get()
            price = float(price_raw) if price_raw and re.fullmatch(r"\d+(\.\d+)?", price_raw) else None
            currency = price_node.css('meta[itemprop="priceCurrency"]::attr(content)').get() or CURRENCY
            price_text = _squash(" ".join(price_node.css("*::text").getall())) or None
            date_text = _squash(" ".join(card.css('[data-marker="item-date"] *::text, [data-marker="item-date"]::text').getall()))
            card_date = parse_ru_date(date_text, now)
            # «сегодня», «3 часа назад» move with the clock: not a stable refresh time for the card fingerprint
            relative = bool(re.search(r"назад|сегодня|вчера", date_text.lower()))
            location = _squash(" ".join(card.css('[data-marker="item-address"] *::text').getall())) or None
            seller = card.css('[data-marker="seller-info/name"]') or card.css('a[data-marker="seller-link/link"]')
            seller_href = card.css('a[data-marker="seller-link/link"]::attr(href), a[href*="/user/"]::attr(href), a[href*="/brands/"]::attr(href)').get()
            photos = [_best_src(img) for img in card.css('img[itemprop="image"], [data-marker="item-photo"] img')]
            items.append(ListingItem(
                platform=PLATFORM,
                platform_listing_id=str(item_id),
                url=_canonical(urljoin(url, href)),
                title=title,
                text=_squash(card.css('meta[itemprop="description"]::attr(content)').get()) or "",
                price=price,
                currency=currency if price is not None else None,
                price_text=price_text,
                location=location,
                seller_platform_id=_seller_id_from_link(seller_href),
                seller_name=_squash(" ".join(seller.css("*::text").getall())) or None,
                seller_url=_canonical(urljoin(url, seller_href)) if seller_href else None,
                posted_at=card_date if relative else None,
                refreshed_at=None if relative else card_date,
                photo_urls=[urljoin(url, p) for p in photos if p],
                language="ru",
                search_url=url,
                is_card=True,
            ))
        except (ValueError, TypeError) as exc:
            errors.append(f"card {n} (data-item-id {item_id}): {exc}")
    total_text = sel.css('[data-marker="page-title/count"]::text').get()
    total = int(re.sub(r"\D", "", total_text)) if total_text and re.search(r"\d", total_text) else None
    return ParseResult(kind="search", items=items, next_page=next_page(sel, url, {}, len(items)), total=total, errors=errors)


def next_page(sel: Selector, url: str, catalog: dict, count: int) -> str | None:
    """The next results page: the pagination link, else `&p=N+1` when the catalog reports more results."""
    href = sel.css('a[data-marker="pagination-button/nextPage"]::attr(href)').get()
    if href:
        return urljoin(url, html_lib.unescape(href))
    pager = catalog.get("pager") or catalog.get("pagination") or {}
    nxt = dig(pager, "pages", "next") or pager.get("next") if isinstance(pager, dict) else None
    if isinstance(nxt, str) and nxt:
        return urljoin(url, nxt)
    total = _first_int(catalog, "totalCount", "count", "mainCount")
    per_page = _first_int(catalog, "itemsOnPage", "perPage") or count
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    page = int((query.get("p") or ["1"])[0] or 1)
    if total and per_page and page * per_page < total:
        query["p"] = [str(page + 1)]
        return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    return None


def is_no_results(sel: Selector) -> bool:
    """The «ничего не найдено» page (a valid, empty search)."""
    if sel.css('[data-marker="search-empty-result"], [data-marker^="no-results"]'):
        return True
    return _has_text(sel, NO_RESULTS_TEXTS)


# --------------------------------------------------------------------------- ad pages


def parse_ad(sel: Selector, url: str, state: dict | None, now: dt.datetime) -> ParseResult:
    """An ad page: embedded buyerItem JSON where present, the item-view DOM for the rest."""
    item = (state or {}).get("item") or {}
    errors: list[str] = []

    listing_id = str(item.get("id") or "") or _digits(_dom_text(sel, "item-view/item-id"))
    if not listing_id:
        m = re.search(r"_(\d{6,})(?:$|\?)", url)
        listing_id = m.group(1) if m else ""
    if not listing_id:
        raise ParseError(f"Avito ad page without an id (item-view/item-id or buyerItem.item.id) at {url}")

    if is_closed(sel, state or {}):
        # «Объявление снято с публикации»: the ad is gone (the base records the removal)
        return ParseResult(kind="empty", errors=[])

    title = _squash(item.get("title")) or _squash(_dom_text(sel, "item-view/title-info"))
    text = html_to_text(item.get("description"), blank_lines=False) if item.get("description") else html_to_text(
        sel.css('[data-marker="item-view/item-description"]').get() or "", blank_lines=False
    )

    price = item.get("price") if isinstance(item.get("price"), (int, float)) else None
    price_text = _squash(html_lib.unescape(dig(item, "formattedPrice", "formatedString") or "")) or None
    dom_price = sel.css('[data-marker="item-view/item-price"]')
    if price is None and dom_price:
        content = dom_price.attrib.get("content") or dom_price.css('[itemprop="price"]::attr(content)').get()
        price = float(content) if content and re.fullmatch(r"\d+(\.\d+)?", content) else None
    if not price_text and dom_price:
        price_text = _squash(" ".join(sel.css('[data-marker="item-view/item-price-container"] *::text').getall())) or None
    currency = sel.css('[data-marker="item-view/item-price-container"] meta[itemprop="priceCurrency"]::attr(content)').get() or CURRENCY
    if price is not None:
        price = float(price)

    location = _squash(item.get("address") or dig(item, "geo", "address")) or _squash(
        " ".join(sel.css('[itemprop="address"] span::text').getall()[:1])
    ) or _squash(dig(item, "location", "name")) or None

    seller_id, seller_name, seller_url = _ad_seller(state or {}, sel, url)

    date_text = _dom_text(sel, "item-view/item-date") or item.get("sortFormatedDate") or ""
    posted = parse_ru_date(date_text, now)
    if date_text and posted is None:
        errors.append(f"unrecognised item-view/item-date {date_text!r}")

    photos = [u for u in (_largest_image(i) for i in item.get("imageUrls") or []) if u]
    if not photos:
        photos = [u for u in sel.css('[data-marker="image-frame/image-wrapper"]::attr(data-url)').getall() if u]
        photos += [
            _best_src(img) for img in sel.css('[data-marker="image-preview/item"] img')
            if _best_src(img) and _best_src(img) not in photos
        ] if not photos else []

    page_url = item.get("url") or (state or {}).get("itemSocials", {}).get("url")
    extra: dict[str, Any] = {}
    views = dig(state or {}, "viewStat", "totalViews") or _digits(_dom_text(sel, "item-view/total-views"))
    if views:
        extra["views"] = int(views)
    category = dig(item, "category", "slug")
    if category:
        extra["category"] = category
    return ParseResult(
        kind="listing",
        items=[ListingItem(
            platform=PLATFORM,
            platform_listing_id=listing_id,
            url=_canonical(urljoin(url, page_url)) if page_url else _canonical(url),
            title=title,
            text=text,
            price=price,
            currency=currency if price is not None else None,
            price_text=price_text,
            location=location,
            seller_platform_id=seller_id,
            seller_name=seller_name,
            seller_url=seller_url,
            posted_at=posted,
            photo_urls=[urljoin(url, p) for p in photos if p],
            language="ru",
            extra=extra,
        )],
        errors=errors,
    )


def is_closed(sel: Selector, state: dict) -> bool:
    """An ad page that Avito still serves but marks as closed, expired, blocked or deleted."""
    item = state.get("item") or {}
    if state.get("closedItem") or any(item.get(k) for k in ("isClosed", "isArchived", "isDeleted", "isExpired", "isBlocked")):
        return True
    if state:
        return False  # the embedded state says the ad is live: its description may quote any words
    closed_box = " ".join(sel.css('[data-marker="item-view/closed-warning"] *::text, .item-closed-warning *::text').getall())
    return bool(closed_box) or any(t in _squash(" ".join(sel.css("h1::text, h2::text").getall())).lower() for t in CLOSED_TEXTS)


def _ad_seller(state: dict, sel: Selector, url: str) -> tuple[str | None, str | None, str | None]:
    fav = state.get("favoriteSeller") or {}
    link = fav.get("publicProfileLink") or dig(state, "contactBarInfo", "publicProfileInfo", "publicProfileLink") or None
    link = link or sel.css('a[data-marker="seller-link/link"]::attr(href), [data-marker="seller-info/name"] a::attr(href)').get()
    name = (
        _squash(dig(state, "seller", "name"))
        or _squash(dig(state, "contactBarInfo", "seller", "name"))
        or _squash(" ".join(sel.css('[data-marker="seller-info/name"] *::text').getall()))
        or None
    )
    seller_id = fav.get("userKey") or _seller_id_from_link(link)
    seller_url = _canonical(urljoin(url, link)) if link else None
    return seller_id, name, seller_url


def _card_seller(raw: dict, url: str) -> tuple[str | None, str | None, str | None]:
    seller_id = raw.get("sellerId") or raw.get("userId") or raw.get("userKey")
    name = link = None
    for step in dig(raw, "iva", "UserInfoStep") or []:
        payload = dig(step, "componentData", "payload") or step.get("payload") or {}
        if isinstance(payload, dict):
            name = name or _squash(payload.get("name") or dig(payload, "profile", "title"))
            link = link or payload.get("link") or dig(payload, "profile", "link")
    seller_id = str(seller_id) if seller_id else _seller_id_from_link(link)
    return seller_id, name, (_canonical(urljoin(url, link)) if link else None)


def _seller_id_from_link(link: str | None) -> str | None:
    """`/user/<hash>/profile` → hash, `/brands/<slug>` → slug."""
    if not link:
        return None
    m = re.search(r"/(?:user|brands)/([^/?#]+)", link)
    return m.group(1) if m else None


# --------------------------------------------------------------------------- dates


def parse_ru_date(text: str, now: dt.datetime) -> dt.datetime | None:
    """Avito's Moscow-time dates («сегодня в 11:21», «11 мая в 11:21», «3 дня назад») as UTC."""
    s = _squash(text).lower().strip(" ·")
    if not s:
        return None
    local_now = now.astimezone(MOSCOW)
    m = re.search(r"(\d{1,2}):(\d{2})", s)
    hh, mm = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    if "сегодня" in s or "вчера" in s:
        day = local_now.date() - dt.timedelta(days=1 if "вчера" in s else 0)
        return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=MOSCOW).astimezone(dt.timezone.utc)
    m = re.search(r"(\d{1,2})\s+(" + "|".join(MONTHS) + r")(?:\s+(\d{4}))?", s)
    if m:
        year = int(m.group(3)) if m.group(3) else local_now.year
        try:
            local = dt.datetime(year, MONTHS[m.group(2)], int(m.group(1)), hh, mm, tzinfo=MOSCOW)
        except ValueError:
            return None
        if not m.group(3) and local > local_now + dt.timedelta(days=1):
            local = local.replace(year=year - 1)  # «28 декабря» seen in January
        return local.astimezone(dt.timezone.utc)
    m = re.search(r"(\d+|несколько)?\s*(" + "|".join(UNITS) + r")\s+назад", s)
    if m:
        amount = 1 if m.group(1) in (None, "несколько") else int(m.group(1))
        return (local_now - dt.timedelta(**{UNITS[m.group(2)]: amount})).astimezone(dt.timezone.utc)
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2}))?", s)
    if m:
        return dt.datetime(*(int(g or 0) for g in m.groups()), tzinfo=MOSCOW).astimezone(dt.timezone.utc)
    return None


# --------------------------------------------------------------------------- small helpers


def _squash(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return re.sub(r"\s+", " ", value.replace("\xa0", " ")).strip()


def _first_int(node: dict, *keys: str) -> int | None:
    for key in keys:
        v = node.get(key)
        if isinstance(v, bool):
            continue
        if isinstance(v, int):
            return v
        if isinstance(v, str) and v.isdigit():
            return int(v)
    return None


def _digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def _dom_text(sel: Selector, marker: str) -> str:
    return _squash(" ".join(sel.css(f'[data-marker="{marker}"] *::text, [data-marker="{marker}"]::text').getall()))


def _has_text(sel: Selector, needles: tuple[str, ...]) -> bool:
    body = " ".join(sel.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]").getall()[:4000]).lower()
    body = body.replace("\xa0", " ")
    return any(n in body for n in needles)


def _price_detailed(detailed: Any, fallback: Any) -> tuple[float | None, str | None]:
    value = detailed.get("value") if isinstance(detailed, dict) else None
    text = None
    if isinstance(detailed, dict):
        text = _squash(detailed.get("fullString") or detailed.get("string") or "") or None
    if value is None and isinstance(fallback, (int, float)):
        value = fallback
    if isinstance(value, str):
        value = int(_digits(value)) if _digits(value) else None
    return (float(value) if value is not None else None), text


def _largest_image(entry: Any) -> str | None:
    """The biggest variant of an image given as {"640x480": url, "1280x960": url, ...} (or a plain URL)."""
    if isinstance(entry, str):
        return entry
    if not isinstance(entry, dict):
        return None
    sized = []
    for key, value in entry.items():
        m = re.fullmatch(r"(\d+)x(\d+)", str(key))
        if m and isinstance(value, str):
            sized.append((int(m.group(1)) * int(m.group(2)), value))
    if sized:
        return max(sized)[1]
    for key in ("url", "src", "imageLargeUrl", "imageUrl"):
        if isinstance(entry.get(key), str):
            return entry[key]
    return None


def _best_src(img: Selector) -> str | None:
    srcset = img.attrib.get("srcset")
    if srcset:
        candidates = []
        for part in srcset.split(","):
            bits = part.strip().split()
            if bits:
                width = int(re.sub(r"\D", "", bits[1]) or 0) if len(bits) > 1 else 0
                candidates.append((width, bits[0]))
        if candidates:
            return max(candidates)[1]
    return img.attrib.get("src") or img.attrib.get("data-src")



def _canonical(url: str) -> str:
    """An ad or profile URL without tracking query (`?context=…`) or fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
