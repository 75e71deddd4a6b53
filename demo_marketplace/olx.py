"""Demo OLX.kz, OLX.uz and OLX.ua: search pages, ad pages, /api/v1/offers/, photos, no-results, removed ads, block pages.

Pages follow the real frontend: `window.__PRERENDERED_STATE__` (a JSON document encoded as a JS string)
plus `data-cy`/`data-testid` markup. Search is capped like the real site (`set_result_cap`, default 1,000
results): `totalElements` shows the capped count and `visibleElements` the true one. OLX.ua speaks Ukrainian
(«Ми знайшли», «Договірна», «16 вересня 2026 р.», Kyiv time) and links its ads as `/d/uk/obyavlenie/…`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import math
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo
from urllib.parse import quote, unquote, urlencode

from demo_marketplace.olx_listings import (ADS, BY_ID, CATEGORIES, REGIONS_KZ, REGIONS_UA, REGIONS_UZ, SELLERS,
                                           DemoAd)
from demo_marketplace.server import DemoRequest, DemoResponse, DemoState

PREFIXES = ["/olx-kz", "/olx-uz", "/olx-ua"]
PAGE_SIZE = 40
DEFAULT_CAP = 1000
DEMO_EPOCH = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
MONTHS_RU = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
             "ноября", "декабря"]
MONTHS_UK = ["січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня", "жовтня",
             "листопада", "грудня"]
# The site's own words: OLX.kz and OLX.uz show these in Russian, OLX.ua in Ukrainian.
WORDS = {
    "ru": {"negotiable": "Договорная", "free": "Бесплатно", "months": MONTHS_RU, "year": "г.",
           "found": "Мы нашли {n} объявлений", "none": "Не найдено ни одного объявления",
           "change_query": "Попробуйте изменить запрос", "posted": "Опубликовано", "description": "Описание",
           "inactive": "Это объявление неактивно",
           "inactive_text": "Объявление больше не доступно. Посмотрите похожие объявления.",
           "not_found": "Страница не найдена", "ad_not_found": "Объявление не найдено", "forward": "Вперёд",
           "private": "Частное лицо", "condition": "Состояние: Б/у", "show_phone": "Показать телефон"},
    "uk": {"negotiable": "Договірна", "free": "Безкоштовно", "months": MONTHS_UK, "year": "р.",
           "found": "Ми знайшли {n} оголошень", "none": "Ми не знайшли жодного оголошення",
           "change_query": "Спробуйте змінити запит", "posted": "Опубліковано", "description": "Опис",
           "inactive": "Це оголошення неактивне",
           "inactive_text": "Оголошення більше не доступне. Подивіться схожі оголошення.",
           "not_found": "Сторінку не знайдено", "ad_not_found": "Оголошення не знайдено", "forward": "Вперед",
           "private": "Приватна особа", "condition": "Стан: Вживане", "show_phone": "Показати телефон"},
}


@dataclass(frozen=True)
class Site:
    code: str
    brand: str
    currency: str
    symbol: str
    regions: dict
    lang_paths: dict[str, str]  # UI language → path prefix ("" = default Russian)
    words: str = "ru"  # the language of the site's own words (WORDS)
    zone: dt.tzinfo = DEMO_EPOCH.tzinfo  # local time of dates shown on pages

    def say(self, key: str) -> str:
        return WORDS[self.words][key]

    def date(self, when: dt.datetime) -> str:
        """«16 сентября 2026 г.» / «16 вересня 2026 р.» in the site's zone."""
        local = when.astimezone(self.zone)
        return f"{local.day} {WORDS[self.words]['months'][local.month - 1]} {local.year} {self.say('year')}"


SITES = {
    "/olx-kz": Site("kz", "OLX.kz", "KZT", "тг.", REGIONS_KZ, {"ru": "", "kk": "/kk"}),
    "/olx-uz": Site("uz", "OLX.uz", "UZS", "сум", REGIONS_UZ, {"ru": "", "uz": "/oz"}),
    "/olx-ua": Site("ua", "OLX.ua", "UAH", "грн.", REGIONS_UA, {"uk": "/uk", "ru": ""}, words="uk",
                    zone=ZoneInfo("Europe/Kyiv")),
}


def set_result_cap(state: DemoState, cap: int) -> None:
    """Make searches stop at `cap` results (the real site stops at about 1,000)."""
    with state.lock:
        state._cache["olx_result_cap"] = int(cap)


def result_cap(state: DemoState) -> int:
    return int(state.cache("olx_result_cap", lambda: DEFAULT_CAP))


# --------------------------------------------------------------------------- routing

def handle(request: DemoRequest, state: DemoState) -> DemoResponse:
    site = SITES[request.prefix]
    path = request.subpath
    ui_lang = "ru"
    for lang, lang_path in site.lang_paths.items():
        if lang_path and (path == lang_path or path.startswith(lang_path + "/")):
            ui_lang, path = lang, path[len(lang_path):] or "/"
    if path.startswith("/api/v1/offers"):
        return _api(request, state, site, path)
    if path.startswith("/img/"):
        return _image(path)
    if path == "/__captcha/":
        return captcha_page(request, state)
    match = re.match(r"^/d(/uk)?/obyavlenie/[^/]*-ID([0-9a-z]+)\.html$", path)
    if match:
        return _ad_page(request, state, site, int(match.group(2), 36), "uk" if match.group(1) else ui_lang)
    match = re.match(r"^/list/user/(\d+)/?$", path)
    if match:
        return _user_page(request, state, site, int(match.group(1)), ui_lang)
    match = re.match(r"^/(.*?)/?q-([^/]+)/?$", path)
    if match:
        return _search_page(request, state, site, match.group(1), unquote(match.group(2)), ui_lang)
    if path in ("", "/"):
        return DemoResponse.html(_layout(site, ui_lang, f"{site.brand} — демо", "<p>Демо-площадка SaigaWatch.</p>",
                                          {"listing": {}}))
    return DemoResponse.html(_layout(site, ui_lang, site.say("not_found"), f"<h1>404</h1><p>{site.say('not_found')}</p>",
                                     None), status=404)


def block_page(request: DemoRequest, state: DemoState) -> DemoResponse:
    """The CloudFront 403 page OLX answers when it blocks a client."""
    request_id = hashlib.sha256(request.path.encode()).hexdigest()[:40]
    body = f"""<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">
<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">
<TITLE>ERROR: The request could not be satisfied</TITLE>
</HEAD><BODY>
<H1>403 ERROR</H1>
<H2>The request could not be satisfied.</H2>
<HR noshade size="1px">
Request blocked.
We can't connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner.
<BR clear="all">
<HR noshade size="1px">
<PRE>
Generated by cloudfront (CloudFront)
Request ID: {request_id}
</PRE>
<ADDRESS>
</ADDRESS>
</BODY></HTML>"""
    return DemoResponse(403, {"Content-Type": "text/html", "Server": "CloudFront", "X-Cache": "Error from cloudfront"},
                        body.encode("latin-1"))


def captcha_page(request: DemoRequest, state: DemoState) -> DemoResponse:
    """The captcha interstitial: HTTP 403 with a «подтвердите, что вы не робот» form."""
    body = """<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>OLX — проверка</title></head>
<body><main data-testid="captcha-page"><h1>Подтвердите, что вы не робот</h1>
<p>Мы заметили подозрительную активность с вашего IP-адреса.</p>
<form method="post"><div class="g-recaptcha" data-sitekey="demo"></div><button type="submit">Продолжить</button></form>
</main></body></html>"""
    return DemoResponse.html(body, status=403)


# --------------------------------------------------------------------------- data views

def _local(day_offset: float, salt: int) -> dt.datetime:
    minutes = salt % 600
    return DEMO_EPOCH + dt.timedelta(days=day_offset, minutes=minutes)


def _times(ad: DemoAd, day: int) -> tuple[dt.datetime, dt.datetime]:
    values = ad.state_on(day)
    created = _local(-ad.age_days + max(ad.days[0], 0), ad.id)
    refreshed = created if not values["refresh_day"] else _local(values["refresh_day"], ad.id // 7)
    return created, refreshed


def _ad_path(ad: DemoAd, title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", _translit(title.lower())).strip("-")[:60] or "obyavlenie"
    lang_path = "/uk" if ad.site == "ua" else ""
    return f"/d{lang_path}/obyavlenie/{slug}-ID{_b36(ad.id)}.html"


def _b36(n: int) -> str:
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = chars[r] + out
    return out or "0"


_TR = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі",
               ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
                "u", "f", "h", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya", "a", "g", "k", "n", "o", "u",
                "u", "h", "i"]))
_TR.update({"є": "ye", "ї": "yi", "ґ": "g"})


def _translit(text: str) -> str:
    return "".join(_TR.get(ch, ch) for ch in text)


def _price_display(value: float | None, site: Site) -> str:
    if value is None:
        return site.say("negotiable")
    if value == 0:
        return site.say("free")
    return f"{int(value):,}".replace(",", " ") + f" {site.symbol}"


def _location(site: Site, ad: DemoAd) -> dict:
    region_id, region_name, cities = site.regions[ad.region]
    city_id = next(cid for name, cid, _ in cities if name == ad.city)
    loc = {"cityName": ad.city, "cityId": city_id, "cityNormalizedName": _translit(ad.city.lower()),
           "regionName": region_name, "regionId": region_id, "regionNormalizedName": ad.region,
           "districtName": ad.district, "districtId": (city_id * 10 + len(ad.district or "")) if ad.district else None,
           "pathName": ", ".join(p for p in (region_name, ad.city, ad.district) if p)}
    return loc


def _photos(request: DemoRequest, ad: DemoAd) -> list[str]:
    return [f"{request.site_url}/img/{ad.id}/{i}.jpg" for i in range(ad.photos)]


def state_ad(request: DemoRequest, site: Site, ad: DemoAd, day: int, active: bool = True) -> dict:
    """The ad as the page state carries it (`listing.listing.ads[]` and `ad.ad`)."""
    values = ad.state_on(day)
    created, refreshed = _times(ad, day)
    seller_id, seller_name, business = SELLERS[ad.seller]
    category_id = CATEGORIES[ad.category][0]
    price = values["price"]
    return {
        "id": ad.id, "title": values["title"], "description": html.escape(values["text"]).replace("\n", "<br />\n"),
        "category": {"id": category_id, "type": "goods"},
        "map": {"lat": 43.2 + (ad.id % 100) / 50, "lon": 51.3 + (ad.id % 97) / 20, "radius": 3, "show_detailed": False,
                "zoom": 12},
        "isBusiness": business, "url": request.site_url + _ad_path(ad, values["title"]),
        "isHighlighted": ad.promoted, "isPromoted": ad.promoted,
        "promotion": {"highlighted": ad.promoted, "top_ad": ad.promoted, "options": ["bundle_basic"] if ad.promoted else [],
                      "premium_ad_page": False, "urgent": False, "b2c_ad_page": False},
        "externalUrl": None, "delivery": {"rock": {"active": False, "mode": "NotEligible", "offer_id": None}},
        "createdTime": created.isoformat(), "lastRefreshTime": refreshed.isoformat(), "pushupTime": None,
        "validToTime": (refreshed + dt.timedelta(days=30)).isoformat(),
        "isActive": active, "status": "active" if active else "removed_by_user",
        "params": [{"key": "state", "name": "Состояние", "type": "select", "value": "Б/у", "normalizedValue": "used"}],
        "itemCondition": "used",
        "price": {"budget": False, "free": price == 0, "exchange": False, "displayValue": _price_display(price, site),
                  "regularPrice": None if price is None else {"value": price, "currencyCode": site.currency,
                                                               "currencySymbol": site.symbol,
                                                               "negotiable": price is None,
                                                               "priceFormatConfig": {"decimalSeparator": ",",
                                                                                     "thousandsSeparator": " "}}},
        "salary": None, "partner": {"code": ""}, "isJob": False,
        "photos": _photos(request, ad),
        "photosSet": [f"{u} 1x" for u in _photos(request, ad)],
        "location": _location(site, ad),
        "urlPath": _ad_path(ad, values["title"]),
        "contact": {"chat": True, "courier": False, "name": seller_name, "negotiation": price is None, "phone": True},
        "user": {"id": seller_id, "name": seller_name, "photo": None, "logo": None, "otherAdsEnabled": True,
                 "socialNetworkAccountType": None, "isOnline": False,
                 "lastSeen": refreshed.isoformat(), "about": "", "bannerDesktopURL": "", "logo_ad_page": None,
                 "company_name": seller_name if business else "", "created": "2019-03-14T10:00:00+05:00",
                 "sellerType": "business" if business else None, "uuid": f"demo-{seller_id}",
                 "verification": {"status": "none"}},
        "shop": {"subdomain": None}, "safedeal": {"allowed_quantity": [], "weight_grams": 0},
        "searchReason": "promoted" if ad.promoted else "organic", "isGpsrAvailable": False,
    }


def api_offer(request: DemoRequest, site: Site, ad: DemoAd, day: int) -> dict:
    """The ad as /api/v1/offers/ returns it (snake_case; price inside params)."""
    s = state_ad(request, site, ad, day)
    loc = s["location"]
    price = ad.state_on(day)["price"]
    price_param = {"key": "price", "name": "Цена", "type": "price",
                   "value": {"value": price, "type": "free" if price == 0 else ("arranged" if price is None else "price"),
                             "arranged": price is None, "budget": False, "currency": site.currency,
                             "negotiable": price is None, "converted_value": None, "previous_value": None,
                             "converted_previous_value": None, "converted_currency": None,
                             "label": _price_display(price, site)}}
    return {
        "id": s["id"], "url": s["url"], "title": s["title"], "last_refresh_time": s["lastRefreshTime"],
        "created_time": s["createdTime"], "valid_to_time": s["validToTime"], "pushup_time": None,
        "description": s["description"], "promotion": s["promotion"],
        "params": [price_param, {"key": "state", "name": "Состояние", "type": "select",
                                 "value": {"key": "used", "label": "Б/у"}}],
        "key_params": [], "business": s["isBusiness"], "user": s["user"], "status": "active",
        "contact": s["contact"], "map": s["map"],
        "location": {"city": {"id": loc["cityId"], "name": loc["cityName"], "normalized_name": loc["cityNormalizedName"]},
                     "district": ({"id": loc["districtId"], "name": loc["districtName"]} if loc["districtName"] else None),
                     "region": {"id": loc["regionId"], "name": loc["regionName"], "normalized_name": loc["regionNormalizedName"]}},
        "photos": [{"id": i, "filename": f"{ad.id}-{i}", "rotation": 0, "width": 320, "height": 240,
                    "link": f"{request.site_url}/img/{ad.id}/{i}.jpg?s={{width}}x{{height}}"} for i in range(ad.photos)],
        "partner": {"code": ""}, "category": s["category"], "delivery": s["delivery"], "safedeal": s["safedeal"],
        "shop": s["shop"], "offer_type": "offer",
    }


# --------------------------------------------------------------------------- search

_WORD = re.compile(r"[^\W\d_]+", re.U)


def _stems(text: str) -> list[str]:
    words = _WORD.findall(text.lower().replace("'", "").replace("ʻ", ""))
    return [w[: max(4, len(w) - 2)] for w in words if len(w) >= 3]


def search(state: DemoState, site: Site, query: str, region: str | None = None,
           category: str | None = None) -> list[DemoAd]:
    """Online ads of the site matching any stem of the query (title, text or category name), newest first."""
    stems = _stems(query.replace("-", " "))
    day = state.day
    found = []
    for ad in ADS:
        if ad.site != site.code or not ad.online(day):
            continue
        if region and ad.region != region:
            continue
        if category and ad.category != category:
            continue
        values = ad.state_on(day)
        haystack = " ".join([values["title"], values["text"], CATEGORIES[ad.category][2]]).lower()
        words = set(_WORD.findall(haystack.replace("'", "").replace("ʻ", "")))
        if any(any(w.startswith(stem) for w in words) for stem in stems):
            found.append(ad)
    found.sort(key=lambda a: (not a.promoted, -_times(a, day)[1].timestamp(), a.id))
    return found


def _scope(site: Site, segments: str) -> tuple[str | None, str | None, bool]:
    """(region, category, ok) from the path segments before q-<query>."""
    rest = segments.strip("/")
    category = None
    for key, (_, slug, _) in CATEGORIES.items():
        if rest == slug or rest.startswith(slug + "/"):
            category, rest = key, rest[len(slug):].strip("/")
            break
    if rest in ("", "list"):
        return None, category, True
    if rest in site.regions:
        return rest, category, True
    return None, None, False


def _search_page(request: DemoRequest, state: DemoState, site: Site, segments: str, query: str, ui_lang: str) -> DemoResponse:
    region, category, ok = _scope(site, segments)
    if not ok:
        return DemoResponse.html(_layout(site, ui_lang, site.say("not_found"), "<h1>404</h1>", None), status=404)
    query_text = query.replace("-", " ")
    ads = search(state, site, query_text, region, category)
    cap = result_cap(state)
    capped = ads[:cap]
    total_pages = max(1, math.ceil(len(capped) / PAGE_SIZE))
    page = max(1, request.int_arg("page", 1))
    page_ads = capped[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    day = state.day
    lang_path = site.lang_paths.get(ui_lang, "")
    base_path = f"{request.site_url}{lang_path}/{segments.strip('/') + '/' if segments.strip('/') else ''}q-{quote(query)}/"
    api_params = {"offset": (page - 1) * PAGE_SIZE, "limit": PAGE_SIZE, "query": query_text,
                  "sort_by": "created_at:desc"}
    if region:
        api_params["region_id"] = site.regions[region][0]
    if category:
        api_params["category_id"] = CATEGORIES[category][0]
    api = f"{request.site_url}/api/v1/offers/?"
    links = {"self": api + urlencode(api_params)}
    if page < total_pages:
        links["next"] = api + urlencode({**api_params, "offset": page * PAGE_SIZE})
    listing = {
        "pageNumber": page - 1, "totalElements": len(capped), "visibleElements": len(ads), "totalPages": total_pages,
        "ads": [state_ad(request, site, ad, day) for ad in page_ads],
        "metaData": {"searchId": hashlib.md5(query.encode()).hexdigest().upper(),
                     "facets": _facets(site, ads, base_path, query)},
        "links": links,
        "params": {"offset": (page - 1) * PAGE_SIZE, "limit": PAGE_SIZE, "query": query_text,
                   "category_id": api_params.get("category_id", 0), "region_id": api_params.get("region_id", 0)},
        "requestParams": {"page": page - 1, "query": query_text, "params": {}},
        "categoryId": api_params.get("category_id", 0), "viewType": "list",
    }
    state_doc = {"listing": {"listing": listing, "seo": {"title": f"{query_text} — {site.brand}"},
                             "breadcrumbs": [{"label": "Главная", "href": "/"}]}}
    if not ads:
        body = (f'<div data-testid="listing-no-results"><h3>{site.say("none")}</h3>'
                f'<p>{site.say("change_query")} «{html.escape(query_text)}».</p></div>')
        return DemoResponse.html(_layout(site, ui_lang, f"{query_text} — {site.brand}", body, state_doc))
    cards = "\n".join(_card_html(request, site, ad, day) for ad in page_ads)
    pager = ""
    if page < total_pages:
        nxt = f"{base_path}?page={page + 1}"
        pager = (f'<div data-testid="pagination-wrapper"><span data-testid="pagination-list-item">{page}</span>'
                 f'<a data-cy="pagination-forward" data-testid="pagination-forward" href="{html.escape(nxt)}">{site.say("forward")}</a></div>')
    count = (f'<span data-testid="total-count">Ми знайшли  <span>{len(capped)}</span> оголошень</span>'
             if site.words == "uk" else
             f'<h1 data-testid="listing-count-msg">{site.say("found").format(n=len(capped))}</h1>')
    body = (f'{count}'
            f'<div data-testid="listing-grid">{cards}</div>{pager}')
    return DemoResponse.html(_layout(site, ui_lang, f"{query_text} — {site.brand}", body, state_doc))


def _facets(site: Site, ads: list[DemoAd], base: str, query: str) -> dict:
    regions: dict[str, int] = {}
    cats: dict[str, int] = {}
    for ad in ads:
        regions[ad.region] = regions.get(ad.region, 0) + 1
        cats[ad.category] = cats.get(ad.category, 0) + 1
    return {
        "region": [{"id": site.regions[r][0], "count": n, "label": site.regions[r][1], "url": f"/{r}/q-{quote(query)}/"}
                   for r, n in sorted(regions.items())],
        "category_without_exclusions": [{"id": CATEGORIES[c][0], "count": n, "label": CATEGORIES[c][2],
                                         "url": f"/{CATEGORIES[c][1]}/q-{quote(query)}/"} for c, n in sorted(cats.items())],
    }


def _card_html(request: DemoRequest, site: Site, ad: DemoAd, day: int) -> str:
    values = ad.state_on(day)
    created, refreshed = _times(ad, day)
    url = request.site_url + _ad_path(ad, values["title"])
    loc = ad.city + (f", {ad.district}" if ad.district else "")
    date = site.date(refreshed)
    photo = _photos(request, ad)
    img = f'<img src="{photo[0]}" alt="{html.escape(values["title"])}">' if photo else ""
    featured = '<div data-testid="adCard-featured">ТОП</div>' if ad.promoted else ""
    return f"""<div data-cy="l-card" data-testid="l-card" data-visually-ready-trigger-element="true" id="{ad.id}">
  <div data-cy="ad-card-inner"><a href="{html.escape(url)}">{img}</a>{featured}
    <div data-cy="ad-card-title"><a href="{html.escape(url)}"><h4>{html.escape(values["title"])}</h4></a></div>
    <p data-testid="ad-price">{html.escape(_price_display(values["price"], site))}</p>
    <p data-testid="location-date">{html.escape(loc)} - {date}</p>
  </div>
</div>"""


# --------------------------------------------------------------------------- ad pages

def _find(site: Site, ad_id: int) -> DemoAd | None:
    ad = BY_ID.get(ad_id)
    return ad if ad is not None and ad.site == site.code else None


def _ad_page(request: DemoRequest, state: DemoState, site: Site, ad_id: int, ui_lang: str) -> DemoResponse:
    ad = _find(site, ad_id)
    day = state.day
    if ad is None or day < ad.days[0]:
        return DemoResponse.html(_layout(site, ui_lang, site.say("not_found"), "<h1>404</h1>", None), status=404)
    if not ad.online(day):
        if ad.gone == "404":
            return DemoResponse.html(_layout(site, ui_lang, site.say("ad_not_found"), "<h1>404</h1>", None), status=404)
        doc = {"ad": {"ad": state_ad(request, site, ad, day, active=False)}}
        body = (f'<div data-testid="ad-inactive-msg"><h4>{site.say("inactive")}</h4>'
                f'<p>{site.say("inactive_text")}</p></div>')
        return DemoResponse.html(_layout(site, ui_lang, f"{site.say('inactive')} — {site.brand}", body, doc))
    s = state_ad(request, site, ad, day)
    values = ad.state_on(day)
    created, _ = _times(ad, day)
    seller_id, seller_name, _ = SELLERS[ad.seller]
    photos = "".join(f'<div data-cy="adPhotos-swiperSlide" data-testid="ad-photo"><img src="{u}" '
                     f'alt="{html.escape(values["title"])}" data-testid="swiper-image"></div>' for u in s["photos"])
    ld = {"@context": "https://schema.org", "@type": "Product", "name": values["title"], "image": s["photos"],
          "url": s["url"], "description": values["text"][:300], "sku": str(ad.id),
          "category": CATEGORIES[ad.category][2],
          "offers": {"@type": "Offer", "availability": "https://schema.org/InStock",
                     "areaServed": {"@type": "City", "name": ad.city}, "priceCurrency": site.currency,
                     **({"price": values["price"]} if values["price"] is not None else {})}}
    desc = html.escape(values["text"]).replace("\n", "<br>")
    body = f"""<div data-testid="image-galery-container">{photos}</div>
<div data-testid="ad-footer-bar-section"><span>ID: {ad.id}</span></div>
<div data-testid="main">
  <span data-cy="ad-posted-at" data-testid="ad-posted-at">{site.say("posted")} {site.date(created)}</span>
  <div data-cy="offer_title" data-testid="offer_title"><h4>{html.escape(values["title"])}</h4></div>
  <div data-testid="ad-price-container"><h3>{html.escape(_price_display(values["price"], site))}</h3></div>
  <div data-testid="ad-parameters-container"><p>{site.say("private")}</p><p>{site.say("condition")}</p></div>
  <div data-cy="ad_description" data-testid="ad_description"><h3>{site.say("description")}</h3><div>{desc}</div></div>
</div>
<aside data-testid="aside">
  <div data-cy="seller_card" data-testid="seller_card">
    <a data-testid="user-profile-link" href="{request.site_url}/list/user/{seller_id}/"><h4 data-testid="user-profile-user-name">{html.escape(seller_name)}</h4></a>
    <button data-testid="show-phone">{site.say("show_phone")}</button>
  </div>
  <div data-testid="map-aside-section"><p>{html.escape(s["location"]["pathName"])}</p></div>
</aside>"""
    head = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
    doc = {"ad": {"ad": s, "breadcrumbs": [{"label": CATEGORIES[ad.category][2], "href": "/" + CATEGORIES[ad.category][1]}]}}
    return DemoResponse.html(_layout(site, ui_lang, f"{values['title']}: {ad.city} — {site.brand}", body, doc, head))


def _user_page(request: DemoRequest, state: DemoState, site: Site, seller_id: int, ui_lang: str) -> DemoResponse:
    key = next((k for k, v in SELLERS.items() if v[0] == seller_id), None)
    if key is None:
        return DemoResponse.html(_layout(site, ui_lang, site.say("not_found"), "<h1>404</h1>", None), status=404)
    ads = [a for a in ADS if a.seller == key and a.site == site.code and a.online(state.day)]
    cards = "\n".join(_card_html(request, site, a, state.day) for a in ads)
    body = f'<h1 data-testid="user-profile-user-name">{html.escape(SELLERS[key][1])}</h1><div>{cards}</div>'
    return DemoResponse.html(_layout(site, ui_lang, f"{SELLERS[key][1]} — {site.brand}", body, None))


# --------------------------------------------------------------------------- API

def _api(request: DemoRequest, state: DemoState, site: Site, path: str) -> DemoResponse:
    match = re.match(r"^/api/v1/offers/(\d+)/?$", path)
    if match:
        ad = _find(site, int(match.group(1)))
        if ad is None or not ad.online(state.day):
            return DemoResponse.json({"error": {"status": 404, "title": "Not Found", "detail": "Ad not found"}}, 404)
        return DemoResponse.json({"data": api_offer(request, site, ad, state.day)})
    offset = max(0, request.int_arg("offset", 0))
    limit = request.int_arg("limit", PAGE_SIZE)
    if not 1 <= limit <= 50:
        return DemoResponse.json({"error": {"status": 400, "title": "Invalid request",
                                            "detail": "limit must be between 1 and 50"}}, 400)
    region = next((slug for slug, (rid, _, _) in site.regions.items() if str(rid) == request.arg("region_id")), None)
    category = next((key for key, (cid, _, _) in CATEGORIES.items() if str(cid) == request.arg("category_id")), None)
    ads = search(state, site, request.arg("query", "") or "", region, category)
    cap = result_cap(state)
    capped = ads[:cap]
    chunk = capped[offset: offset + limit] if offset < cap else []
    params = {k: v[0] for k, v in request.query.items()}
    links = {"self": {"href": f"{request.site_url}/api/v1/offers/?{urlencode(params)}"},
             "first": {"href": f"{request.site_url}/api/v1/offers/?{urlencode({**params, 'offset': 0})}"}}
    if offset + limit < len(capped):
        links["next"] = {"href": f"{request.site_url}/api/v1/offers/?{urlencode({**params, 'offset': offset + limit})}"}
    return DemoResponse.json({
        "data": [api_offer(request, site, ad, state.day) for ad in chunk],
        "metadata": {"total_elements": len(capped), "visible_total_count": len(ads),
                     "promoted": [a.id for a in chunk if a.promoted], "search_id": "demo", "adverts": {}},
        "links": links,
    })


# --------------------------------------------------------------------------- photos and layout

def _image(path: str) -> DemoResponse:
    match = re.match(r"^/img/(\d+)/(\d+)\.jpg$", path)
    if not match:
        return DemoResponse.not_found()
    return DemoResponse(200, {"Content-Type": "image/jpeg", "Cache-Control": "max-age=86400"},
                        render_photo(int(match.group(1)), int(match.group(2))))


_photo_cache: dict[tuple[int, int], bytes] = {}


def render_photo(ad_id: int, n: int) -> bytes:
    """A small deterministic JPEG standing in for the seller's photo."""
    key = (ad_id, n)
    if key in _photo_cache:
        return _photo_cache[key]
    from PIL import Image, ImageDraw

    digest = hashlib.sha256(f"{ad_id}:{n}".encode()).digest()
    img = Image.new("RGB", (320, 240), (digest[0], digest[1], digest[2]))
    draw = ImageDraw.Draw(img)
    for i in range(4):
        x, y = digest[3 + i] % 280, digest[7 + i] % 200
        draw.ellipse((x, y, x + 20 + digest[11 + i] % 60, y + 20 + digest[15 + i] % 60),
                     fill=(255 - digest[0], digest[5 + i], 120))
    draw.text((8, 220), f"OLX demo {ad_id}/{n}", fill=(255, 255, 255))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    _photo_cache[key] = out.getvalue()
    return _photo_cache[key]


def _layout(site: Site, ui_lang: str, title: str, body: str, state_doc: dict | None, head: str = "") -> str:
    state_js = ""
    if state_doc is not None:
        encoded = json.dumps(json.dumps(state_doc, ensure_ascii=False), ensure_ascii=False).replace("</", "<\\/")
        state_js = f"<script>window.__PRERENDERED_STATE__= {encoded};\n window.__TAURUS__ = {{}};</script>"
    lang = {"kk": "kk", "uz": "uz", "uk": "uk"}.get(ui_lang, "ru")
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title data-rh="true">{html.escape(title)}</title>
<meta data-rh="true" http-equiv="Content-Language" content="{lang}"/>
{head}
</head><body>
<header data-testid="header"><a data-testid="olx-logo-link" href="/">{site.brand}</a>
<form data-testid="search-form"><input data-testid="search-input" data-cy="search-bar-input" name="q"></form></header>
<div id="mainContent">{body}</div>
<footer><p>Демо-площадка SaigaWatch: все объявления вымышлены.</p></footer>
{state_js}
</body></html>"""
