"""OLX (olx.kz, olx.uz, olx.ua and the shared frontend): search pages, ad pages, /api/v1/offers/ JSON, no-results, blocks.

Search and ad pages embed their data in `window.__PRERENDERED_STATE__`, a JSON document encoded as a JS
string: `listing.listing.ads[]` (search) or `ad.ad` (ad page). When the state is missing the parser falls
back to the DOM: `div[data-cy=l-card]` cards, `[data-cy=offer_title]`, `[data-testid=ad-price-container]`,
`[data-cy=ad_description]` and the JSON-LD Product. Generated `css-*` classes are never used.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from parsel import Selector

from crawler.items import ListingItem
from crawler.parsers import ParseError, ParseResult
from crawler.parsers._html import decode_page, html_to_text, squash

PLATFORM = "olx"

SITE_TZ = dt.timezone(dt.timedelta(hours=5))  # Kazakhstan and Uzbekistan both use UTC+5 (DOM dates only)
UA_TZ = ZoneInfo("Europe/Kyiv")  # olx.ua
_STATE_RE = re.compile(r"""window\.__PRERENDERED_STATE__\s*=\s*("(?:[^"\\]|\\.)*")\s*;?""", re.S)

CURRENCY_WORDS = [
    ("тг", "KZT"), ("₸", "KZT"), ("тенге", "KZT"), ("теңге", "KZT"),
    ("сум", "UZS"), ("so'm", "UZS"), ("soʻm", "UZS"), ("сўм", "UZS"),
    ("у.е.", "USD"), ("$", "USD"), ("€", "EUR"), ("₽", "RUB"), ("руб", "RUB"), ("zł", "PLN"), ("грн", "UAH"),
]
FREE_WORDS = ("бесплатно", "тегін", "bepul", "za darmo", "даром", "безкоштовно")
MONTHS = {
    # Russian (genitive), Kazakh, Uzbek (Latin and Cyrillic)
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7, "августа": 8,
    "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
    "қаңтар": 1, "ақпан": 2, "наурыз": 3, "сәуір": 4, "мамыр": 5, "маусым": 6, "шілде": 7, "тамыз": 8,
    "қыркүйек": 9, "қазан": 10, "қараша": 11, "желтоқсан": 12,
    "yanvar": 1, "fevral": 2, "mart": 3, "aprel": 4, "may": 5, "iyun": 6, "iyul": 7, "avgust": 8,
    "sentyabr": 9, "oktyabr": 10, "noyabr": 11, "dekabr": 12,
    # Ukrainian (olx.ua)
    "січня": 1, "лютого": 2, "березня": 3, "квітня": 4, "травня": 5, "червня": 6, "липня": 7, "серпня": 8,
    "вересня": 9, "жовтня": 10, "листопада": 11, "грудня": 12,
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "май": 5, "июн": 6, "июл": 7, "август": 8,
    "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
}
BLOCK_MARKERS = [
    ("the request could not be satisfied", "CloudFront 403: request blocked"),
    ("request blocked", "request blocked (403)"),
    ("access denied", "access denied (403)"),
    ("доступ ограничен", "«Доступ ограничен» block page"),
    ("доступ временно ограничен", "«Доступ временно ограничен» block page"),
    ("подтвердите, что вы не робот", "captcha: «подтвердите, что вы не робот»"),
    ("сіз робот емессіз", "captcha (Kazakh)"),
    ("captcha-delivery.com", "captcha (captcha-delivery)"),
    ("g-recaptcha", "captcha (reCAPTCHA)"),
    ("h-captcha", "captcha (hCaptcha)"),
    ("cf-chl-", "Cloudflare challenge"),
    ("too many requests", "too many requests"),
]
REMOVED_MARKERS = (
    "объявление больше не доступно", "объявление неактивно", "это объявление неактивно", "объявление удалено",
    "хабарландыру белсенді емес", "хабарландыру жойылды", "bu e'lon faol emas", "e'lon o'chirilgan",
    "оголошення більше не доступне", "оголошення неактивне", "оголошення видалено",
)
NO_RESULTS_MARKERS = (
    "не найдено ни одного объявления", "мы нашли 0 объявлений", "ештеңе табылмады", "hech narsa topilmadi",
    "не знайдено жодного оголошення", "ми знайшли 0 оголошень",
)
INACTIVE_STATUSES = {"removed_by_user", "removed_by_moderator", "outdated", "disabled", "blocked", "limited",
                     "unconfirmed", "deleted", "moderated"}
EXPECTED = ("an OLX search page (window.__PRERENDERED_STATE__ with listing.listing.ads, or div[data-cy=l-card] "
            "cards), an ad page (ad.ad in the state, or [data-cy=offer_title]), an /api/v1/offers/ JSON response, "
            "a no-results page, an 'ad removed' page or a 403/captcha block page")


# --------------------------------------------------------------------------- entry point

def parse(body: bytes, url: str, *, status: int = 200, content_type: str | None = None,
          now: dt.datetime | None = None) -> ParseResult:
    """Parse one OLX page or API response (see the module docstring for what is recognised)."""
    if not body or not body.strip():
        raise ParseError(f"empty response body at {url}; expected {EXPECTED}")
    text, notes = decode_page(body, content_type)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        result = _parse_json(stripped, url)
    else:
        result = _parse_html(text, url)
    if result.kind != "blocked":  # a block page's charset is not a markup problem worth reporting
        result.errors = notes + result.errors
    return result


# --------------------------------------------------------------------------- JSON (API and bare state)

def _parse_json(text: str, url: str) -> ParseResult:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError(f"{url}: JSON that cannot be read ({exc}); expected an /api/v1/offers/ response") from None
    if not isinstance(data, dict):
        raise ParseError(f"{url}: a JSON {type(data).__name__}; expected an object with 'data' and 'metadata'")
    if isinstance(data.get("error"), dict):
        err = data["error"]
        status = err.get("status") or err.get("code")
        detail = err.get("detail") or err.get("title") or err.get("message") or ""
        if str(status) in ("401", "403", "429") or "captcha" in json.dumps(err).lower():
            return ParseResult(kind="blocked", block_reason=f"OLX API refused the request ({status}): {detail}".strip())
        raise ParseError(f"{url}: OLX API error {status}: {detail}")
    if isinstance(data.get("data"), list):
        return _parse_api(data, url)
    if isinstance(data.get("data"), dict) and "id" in data["data"]:  # /api/v1/offers/<id>/
        item, errors = _safe(lambda: _item_from_api(data["data"], url, is_card=False), url)
        return ParseResult(kind="listing", items=[item] if item else [], errors=errors)
    if "listing" in data or "ad" in data:
        return _from_state(data, url, page_text=None)
    raise ParseError(f"{url}: JSON without 'data' (API) or 'listing'/'ad' (page state); expected {EXPECTED}")


def _parse_api(data: dict, url: str) -> ParseResult:
    meta = data.get("metadata") or {}
    total = meta.get("visible_total_count") or meta.get("total_elements")
    if not data["data"]:
        return ParseResult(kind="empty", total=0 if total in (None, 0) else int(total))
    items, errors = [], []
    for raw in data["data"]:
        item, errs = _safe(lambda raw=raw: _item_from_api(raw, url, is_card=False), url)
        errors += errs
        if item:
            items.append(item)
    promoted = {str(p) for p in meta.get("promoted") or []}
    for item in items:
        if item.platform_listing_id in promoted:
            item.extra["promoted"] = True
    links = data.get("links") or {}
    nxt = links.get("next")
    next_url = nxt.get("href") if isinstance(nxt, dict) else nxt
    return ParseResult(kind="search", items=items, next_page=next_url or None,
                       total=int(total) if total is not None else None, errors=errors)


# --------------------------------------------------------------------------- HTML

def extract_state(text: str) -> dict | None:
    """The decoded `window.__PRERENDERED_STATE__` object, or None when the page has none."""
    match = _STATE_RE.search(text)
    if not match:
        return None
    try:
        state = json.loads(json.loads(match.group(1)))
    except ValueError as exc:
        raise ValueError(f"__PRERENDERED_STATE__ is not valid JSON ({exc})") from None
    return state if isinstance(state, dict) else None


def _parse_html(text: str, url: str) -> ParseResult:
    errors: list[str] = []
    try:
        state = extract_state(text)
    except ValueError as exc:
        state = None
        errors.append(f"{url}: {exc}; falling back to the page markup")
    sel = Selector(text=text)
    if state is not None:
        result = _from_state(state, url, page_text=text, sel=sel)
        result.errors = errors + result.errors
        return result
    reason = block_reason(text, sel)
    if reason:
        return ParseResult(kind="blocked", block_reason=reason)
    lowered = text.lower()
    if any(m in lowered for m in REMOVED_MARKERS) or sel.css('[data-testid="ad-inactive-msg"]'):
        return ParseResult(kind="empty", total=0)
    if sel.css('[data-testid="listing-no-results"], [data-cy="l-no-results"]') or any(m in lowered for m in NO_RESULTS_MARKERS):
        return ParseResult(kind="empty", total=0)
    cards = sel.css('div[data-cy="l-card"]')
    if cards:
        items, seen = [], set()
        wider = set(sel.xpath(WIDER_AREA_CARDS).getall())
        for card in cards:
            item, errs = _safe(lambda card=card: _item_from_card(card, url), url)
            errors += errs
            if item and item.platform_listing_id not in seen:  # promoted and organic copies: count the ad once
                seen.add(item.platform_listing_id)
                if item.platform_listing_id in wider:
                    item.extra["wider_area"] = True  # from the second grid: results for a wider area
                items.append(item)
        return ParseResult(kind="search", items=items, next_page=_dom_next(sel, url), errors=errors,
                           total=_dom_total(sel))
    if sel.css('[data-cy="offer_title"], [data-testid="offer_title"]'):
        item, errs = _safe(lambda: _item_from_ad_dom(sel, url), url)
        return ParseResult(kind="listing", items=[item] if item else [], errors=errors + errs)
    title = squash(" ".join(sel.css("title::text").getall()))[:120]
    raise ParseError(f"{url}: not a page this parser knows (title {title!r}, no __PRERENDERED_STATE__, no "
                     f"l-card cards, no offer_title); expected {EXPECTED}")


def block_reason(text: str, sel: Selector | None = None) -> str | None:
    """Why this page is an OLX block/captcha page, or None. Only called on pages without a data state."""
    sel = sel or Selector(text=text)
    title = squash(" ".join(sel.css("title::text").getall())).lower()
    head = (title + " " + text[:20000].lower())
    for marker, reason in BLOCK_MARKERS:
        if marker in head:
            return reason
    if re.search(r"\b403\b", title) or "forbidden" in title:
        return f"HTTP 403 page ({title[:80]})"
    return None


def _from_state(state: dict, url: str, page_text: str | None, sel: Selector | None = None) -> ParseResult:
    ad_part = state.get("ad")
    if isinstance(ad_part, dict) and ("ad" in ad_part):
        ad = ad_part.get("ad")
        if not ad:
            return ParseResult(kind="empty", total=0)  # the ad page of a removed ad carries no ad
        if str(ad.get("status") or "active") in INACTIVE_STATUSES or ad.get("isActive") is False:
            return ParseResult(kind="empty", total=0)
        item, errors = _safe(lambda: _item_from_state_ad(ad, url, is_card=False), url)
        if item and sel is not None:
            _fill_from_dom(item, sel)
        return ParseResult(kind="listing", items=[item] if item else [], errors=errors)
    listing = (state.get("listing") or {}).get("listing") if isinstance(state.get("listing"), dict) else None
    if isinstance(listing, dict) and "ads" in listing:
        ads = listing.get("ads") or []
        total = listing.get("visibleElements") or listing.get("totalElements")
        if not ads and not listing.get("totalElements"):
            return ParseResult(kind="empty", total=0)
        items, errors = [], []
        for ad in ads:
            item, errs = _safe(lambda ad=ad: _item_from_state_ad(ad, url, is_card=True), url)
            errors += errs
            if item:
                items.append(item)
        next_page = _dom_next(sel, url) if sel is not None else None
        if next_page is None:
            next_page = _state_next(listing, url)
        return ParseResult(kind="search", items=items, next_page=next_page,
                           total=int(total) if total is not None else None, errors=errors)
    if page_text is not None:
        reason = block_reason(page_text, sel)
        if reason:
            return ParseResult(kind="blocked", block_reason=reason)
    keys = ", ".join(sorted(state)[:10])
    raise ParseError(f"{url}: __PRERENDERED_STATE__ has neither listing.listing.ads nor ad.ad (keys: {keys}); "
                     f"expected {EXPECTED}")


def _state_next(listing: dict, url: str) -> str | None:
    total_pages = listing.get("totalPages")
    if not total_pages:
        return None
    current = _page_of(url)
    if current >= int(total_pages):
        return None
    return with_query(url, page=str(current + 1))


def _page_of(url: str) -> int:
    for key, value in parse_qsl(urlsplit(url).query):
        if key == "page" and value.isdigit():
            return max(1, int(value))
    return 1


def with_query(url: str, **params: str | None) -> str:
    """`url` with query parameters set (None removes one)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


WIDER_AREA_CARDS = ('//div[@data-cy="l-card"][preceding::*[contains(text(), "для большего расстояния") or '
                    'contains(text(), "для більшої відстані")]]/@id')


def _dom_total(sel: Selector) -> int | None:
    """«Мы нашли  N объявлений» / «Ми знайшли  N оголошень» (the number may sit in a child span)."""
    text = " ".join(sel.css('[data-testid="total-count"] ::text').getall())
    digits = re.sub(r"\D", "", text)
    return int(digits) if digits else None


def _dom_next(sel: Selector | None, url: str) -> str | None:
    if sel is None:
        return None
    href = sel.css('a[data-testid="pagination-forward"]::attr(href), a[data-cy="pagination-forward"]::attr(href)').get()
    return urljoin(url, href) if href else None


# --------------------------------------------------------------------------- items

def _safe(build, url: str) -> tuple[ListingItem | None, list[str]]:
    """One malformed ad never aborts a page: it becomes an error line."""
    try:
        return build(), []
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return None, [f"{url}: skipped one malformed ad ({type(exc).__name__}: {exc})"]


def _time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=SITE_TZ)
    return when.astimezone(dt.timezone.utc)


def _item_from_state_ad(ad: dict, page_url: str, is_card: bool) -> ListingItem:
    """An ad from the page state (search `listing.listing.ads[]` or ad page `ad.ad`)."""
    pid = str(ad["id"])
    url = ad.get("url") or urljoin(page_url, ad.get("urlPath") or "")
    price = ad.get("price") or {}
    regular = price.get("regularPrice") or {}
    value = regular.get("value")
    currency = regular.get("currencyCode")
    price_text = price.get("displayValue")
    if value is None and price_text:
        value, cur = parse_price(price_text)
        currency = currency or cur
    if price.get("free") and value is None:
        value = 0.0
    loc = ad.get("location") or {}
    location = _location(loc.get("cityName"), loc.get("districtName"), loc.get("regionName"))
    user = ad.get("user") or {}
    contact = ad.get("contact") or {}
    seller_id = user.get("id")
    extra = {
        "category_id": (ad.get("category") or {}).get("id"),
        "params": {p.get("key"): p.get("value") for p in ad.get("params") or [] if p.get("key")},
        "promoted": bool(ad.get("isPromoted")),
        "business": bool(ad.get("isBusiness")),
        "status": ad.get("status"),
        "valid_to": ad.get("validToTime"),
        "region_id": loc.get("regionId"),
        "city_id": loc.get("cityId"),
        "negotiable": regular.get("negotiable"),
        "contact_name": contact.get("name"),
    }
    if ad.get("map"):
        extra["map"] = {k: ad["map"].get(k) for k in ("lat", "lon", "radius")}
    return ListingItem(
        platform=PLATFORM, platform_listing_id=pid, url=url,
        title=squash(ad.get("title")), text=html_to_text(ad.get("description")),
        price=float(value) if value is not None else None, currency=currency, price_text=price_text,
        location=location,
        seller_platform_id=str(seller_id) if seller_id is not None else None,
        seller_name=user.get("name") or contact.get("name"),
        seller_url=_seller_url(page_url, seller_id),
        posted_at=_time(ad.get("createdTime")), refreshed_at=_time(ad.get("lastRefreshTime") or ad.get("pushupTime")),
        photo_urls=[_photo(p) for p in ad.get("photos") or [] if _photo(p)],
        is_card=is_card,
        extra={k: v for k, v in extra.items() if v not in (None, {}, "")},
    )


def _item_from_api(ad: dict, page_url: str, is_card: bool) -> ListingItem:
    """An offer from /api/v1/offers/ (snake_case; price is the `price` param)."""
    pid = str(ad["id"])
    value = currency = price_text = None
    negotiable = None
    params = {}
    for param in ad.get("params") or []:
        key = param.get("key")
        raw = param.get("value")
        if key == "price" and isinstance(raw, dict):
            value = raw.get("value")
            currency = raw.get("currency")
            price_text = raw.get("label")
            negotiable = raw.get("negotiable")
            if raw.get("type") == "free" and value is None:
                value = 0.0
        elif key:
            params[key] = raw.get("label") if isinstance(raw, dict) else raw
    loc = ad.get("location") or {}
    name = lambda part: (loc.get(part) or {}).get("name") if isinstance(loc.get(part), dict) else None  # noqa: E731
    user = ad.get("user") or {}
    contact = ad.get("contact") or {}
    extra = {
        "category_id": (ad.get("category") or {}).get("id"),
        "params": params,
        "business": bool(ad.get("business")),
        "status": ad.get("status"),
        "valid_to": ad.get("valid_to_time"),
        "region_id": (loc.get("region") or {}).get("id") if isinstance(loc.get("region"), dict) else None,
        "city_id": (loc.get("city") or {}).get("id") if isinstance(loc.get("city"), dict) else None,
        "negotiable": negotiable,
        "contact_name": contact.get("name"),
        "via": "api",
    }
    if ad.get("map"):
        extra["map"] = {k: ad["map"].get(k) for k in ("lat", "lon", "radius")}
    return ListingItem(
        platform=PLATFORM, platform_listing_id=pid, url=ad.get("url") or page_url,
        title=squash(ad.get("title")), text=html_to_text(ad.get("description")),
        price=float(value) if value is not None else None, currency=currency, price_text=price_text,
        location=_location(name("city"), name("district"), name("region")),
        seller_platform_id=str(user["id"]) if user.get("id") is not None else None,
        seller_name=user.get("name") or contact.get("name"),
        seller_url=_seller_url(page_url, user.get("id")),
        posted_at=_time(ad.get("created_time")),
        refreshed_at=_time(ad.get("last_refresh_time") or ad.get("pushup_time")),
        photo_urls=[_photo(p) for p in ad.get("photos") or [] if _photo(p)],
        is_card=is_card,
        extra={k: v for k, v in extra.items() if v not in (None, {}, "")},
    )


def _item_from_card(card: Selector, page_url: str) -> ListingItem:
    """A search card from the DOM (when the page carries no state)."""
    pid = card.attrib.get("id") or card.css("::attr(data-id)").get()
    if not pid:
        raise ValueError("card without id")
    link = card.css('[data-cy="ad-card-title"] a::attr(href), a::attr(href)').get()
    title = squash(" ".join(card.css('[data-cy="ad-card-title"] h4 ::text, [data-cy="ad-card-title"] h6 ::text').getall()))
    price_text = squash(" ".join(card.css('p[data-testid="ad-price"]::text').getall())) or None
    value, currency = parse_price(price_text) if price_text else (None, None)
    loc_date = squash(" ".join(card.css('p[data-testid="location-date"] ::text').getall()))
    location, date_text = (loc_date.rsplit(" - ", 1) + [""])[:2] if " - " in loc_date else (loc_date, "")
    photo = card.css("img::attr(src)").get()
    extra: dict[str, Any] = {}
    if date_text:
        extra["date_text"] = date_text
    if card.css('[data-testid="adCard-featured"]'):
        extra["promoted"] = True
    return ListingItem(
        platform=PLATFORM, platform_listing_id=str(pid), url=urljoin(page_url, link or ""),
        title=title, price=value, currency=currency, price_text=price_text, location=location or None,
        refreshed_at=parse_site_date(date_text, UA_TZ if "olx.ua" in page_url else SITE_TZ), photo_urls=[urljoin(page_url, photo)] if photo else [],
        is_card=True, extra=extra,
    )


def _item_from_ad_dom(sel: Selector, page_url: str) -> ListingItem:
    """An ad page from the DOM and its JSON-LD Product (when the page carries no state)."""
    ld = _json_ld_product(sel)
    title = squash(" ".join(sel.css('[data-cy="offer_title"] ::text').getall())) or squash(ld.get("name"))
    price_text = squash(" ".join(sel.css('[data-testid="ad-price-container"] h3 ::text').getall())) or None
    value, currency = parse_price(price_text) if price_text else (None, None)
    offers = ld.get("offers") or {}
    if value is None and offers.get("price") not in (None, ""):
        value = float(offers["price"])
    currency = currency or offers.get("priceCurrency")
    desc = sel.css('[data-cy="ad_description"] > div').get() or sel.css('[data-cy="ad_description"]').get()
    text = html_to_text(desc) if desc else (ld.get("description") or "")
    sku = ld.get("sku") or _id_from_url(page_url)
    images = ld.get("image") or sel.css('[data-testid="ad-photo"] img::attr(src)').getall()
    item = ListingItem(
        platform=PLATFORM, platform_listing_id=str(sku or ""), url=ld.get("url") or page_url,
        title=title, text=text, price=value, currency=currency, price_text=price_text,
        photo_urls=[urljoin(page_url, i) for i in (images if isinstance(images, list) else [images])],
    )
    if not item.platform_listing_id:
        raise ValueError("ad page without an id (no JSON-LD sku and no -ID…html in the URL)")
    _fill_from_dom(item, sel)
    return item


def _fill_from_dom(item: ListingItem, sel: Selector) -> None:
    """Fields the state sometimes lacks, taken from the visible page."""
    if not item.seller_name:
        name = squash(" ".join(sel.css('[data-testid="user-profile-user-name"]::text').getall()))
        item.seller_name = name or None
    if item.posted_at is None:
        posted = squash(" ".join(sel.css('[data-cy="ad-posted-at"] ::text').getall()))
        when = parse_site_date(posted, _zone_of(sel))
        if when:
            item.posted_at = when
    if not item.location:
        loc = squash(" ".join(sel.css('[data-testid="location-date"] ::text, [data-testid="map-aside-section"] p::text').getall()))
        item.location = loc or None


def _json_ld_product(sel: Selector) -> dict:
    for raw in sel.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("@type") == "Product":
            return data
    return {}


def _id_from_url(url: str) -> str | None:
    match = re.search(r"-ID([A-Za-z0-9]+)\.html", url)
    return match.group(1) if match else None


def _location(city: str | None, district: str | None, region: str | None) -> str | None:
    parts = [p for p in (city, district, region) if p]
    return ", ".join(dict.fromkeys(parts)) or None


def _seller_url(page_url: str, seller_id: Any) -> str | None:
    if seller_id in (None, ""):
        return None
    parts = urlsplit(page_url)
    root = parts.path.split("/d/", 1)[0] if "/d/" in parts.path else ""  # the site root: what precedes /d/<ad>
    return f"{parts.scheme}://{parts.netloc}{root.rstrip('/')}/list/user/{seller_id}/"


def _photo(photo: Any) -> str | None:
    if isinstance(photo, str):
        return photo
    if isinstance(photo, dict) and photo.get("link"):
        return str(photo["link"]).replace("{width}", "1000").replace("{height}", "700")
    return None


# --------------------------------------------------------------------------- values

def parse_price(text: str | None) -> tuple[float | None, str | None]:
    """«25 000 000 тг.» → (25000000.0, "KZT"); «Договорная» → (None, None); «Бесплатно» → (0.0, None)."""
    if not text:
        return None, None
    lowered = text.lower()
    if any(w in lowered for w in FREE_WORDS):
        return 0.0, None
    currency = next((code for word, code in CURRENCY_WORDS if word in lowered), None)
    digits = re.sub(r"[\s\u00a0\u202f]", "", lowered)
    match = re.search(r"\d+(?:[.,]\d+)?", digits)
    if not match:
        return None, currency
    return float(match.group(0).replace(",", ".")), currency


def _zone_of(sel: Selector) -> dt.tzinfo:
    """The site's zone for DOM dates: Kyiv on olx.ua, else UTC+5 (olx.kz, olx.uz)."""
    canonical = sel.css('link[rel="canonical"]::attr(href), meta[property="og:url"]::attr(content)').get() or ""
    return UA_TZ if "olx.ua" in canonical else SITE_TZ


def parse_site_date(text: str | None, tz: dt.tzinfo = SITE_TZ) -> dt.datetime | None:
    """«16 сентября 2025 г.» / «16 қыркүйек 2025 ж.» / «16 sentyabr 2025 y.» → UTC midnight of that local day.

    Relative dates («Сегодня в 12:30») need the crawl date and are left to the caller (None here).
    """
    if not text:
        return None
    match = re.search(r"(\d{1,2})\s+([^\W\d_]+)\s+(\d{4})", text.lower())
    if not match:
        return None
    day, word, year = int(match.group(1)), match.group(2), int(match.group(3))
    month = MONTHS.get(word) or next((m for name, m in MONTHS.items() if word.startswith(name)), None)
    if not month:
        return None
    try:
        return dt.datetime(year, month, day, tzinfo=tz).astimezone(dt.timezone.utc)
    except ValueError:
        return None
