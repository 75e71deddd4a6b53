"""Demo Kufar (kufar.by): the Belarusian Next.js classifieds, its search and ad pages with `__NEXT_DATA__`.

Paths below the `/kufar` prefix:
- `GET /l?query=...&cursor=...`: search; `props.initialState.listing` holds `ads[]`, `total` and `pagination[]`
  (prev/self/next), the next page being a base64 JSON cursor (`{"t": "abs", "f": true, "o": offset, "p": page}`).
  An unreadable cursor answers HTTP 400. PAGE_SIZE is smaller than the real site's 30 so the demo pages.
- `GET /item/<id>`: the ad page, `props.initialState.adView.data` (the card's fields plus `body`); a withdrawn or
  unknown ad answers 404.
- `GET /gallery/adim1/<a>/<b>/<id>-<n>.jpg`: photos (rms.kufar.by/v1/gallery/ on the real site).

Prices are strings in minor units (`"210000"` is 2,100.00 BYN) or the text «Договорная».
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import html
import json
import re
from dataclasses import dataclass, field

from demo_marketplace.auctions import at, stem
from demo_marketplace.server import DemoRequest, DemoResponse, DemoState
from demo_marketplace.telegram_posts import make_jpeg

PREFIXES = ["/kufar"]
ZONE = "Europe/Minsk"
PAGE_SIZE = 3
USD_RATE = 3.25  # BYN per USD for the `price_usd` field
ITEM_PATH = re.compile(r"^/item/(\d+)/?$")
PHOTO_PATH = re.compile(r"^/gallery/adim1/[0-9a-f]{2}/[0-9a-f]{2}/(\d+)-(\d+)\.jpg$")

REGIONS = {"Минск": "7", "Брестская": "1", "Гомельская": "3", "Гродненская": "4", "Могилёвская": "5",
           "Витебская": "2"}


@dataclass
class KufarAd:
    """One demo Kufar ad and its history over the simulated days."""

    id: int
    subject: str
    body: str
    price: int | None  # BYN kopecks (minor units); None: «Договорная»
    seller: tuple[str, str]  # (account id, name)
    region: str
    area: str
    category: str
    day: int = -2  # listed on this simulated day
    until: int | None = None  # withdrawn after this day (404 from the next day)
    changes: dict[int, int] = field(default_factory=dict)  # day → new price (minor units)
    photos: int = 1
    hour: str = "10:00"  # local time of listing
    condition: str = "Б/у"

    def price_on(self, day: int) -> int | None:
        price = self.price
        for change_day in sorted(self.changes):
            if change_day <= day:
                price = self.changes[change_day]
        return price

    def online(self, day: int) -> bool:
        return self.day <= day and (self.until is None or day <= self.until)


ALES, NATALLIA, VIKTAR, SKUPKA, HANNA, PAVEL, ZMITSER = (
    ("7410031", "Алесь"), ("7410032", "Наталья"), ("7410033", "Виктор"), ("7410034", "Скупка «Трофей»"),
    ("7410035", "Ганна"), ("7410036", "Павел"), ("7410037", "Змитер"))

ADS = [
    # offers of saiga horn
    KufarAd(305001, "Рога сайгака, пара, 27 см", "Продам рога сайгака, пара, 27 и 28 см, светлые. Привезены из "
            "Калмыкии в 1990-х. Самовывоз Гомель, звоните +375 29 611-22-33.", 180000, ALES, "Гомельская", "Гомель",
            "Коллекционирование", photos=2, changes={1: 160000}),
    KufarAd(305002, "Рог сайги старый, из коллекции деда", "Рог сайги один, 25 см, без трещин. Цена договорная, "
            "пишите в Viber.", None, VIKTAR, "Брестская", "Пинск", "Антиквариат", day=-1),
    KufarAd(305003, "Рога сайгака 2 шт, Калмыкия", "Два рога сайгака (антилопа сайга). Торг. Отправлю Европочтой.",
            250000, ZMITSER, "Витебская", "Орша", "Антиквариат", until=0, photos=2),
    KufarAd(305004, "Стружка рога сайги, 50 г", "Стружка из рога сайги для отваров, 50 г. Доставка по Беларуси.",
            9000, HANNA, "Могилёвская", "Бобруйск", "Здоровье", day=1),
    KufarAd(305005, "Куплю рога сайгака, дорого", "Куплю рога сайгака и сайги в любом количестве, расчёт сразу. "
            "Минск и области. +375 44 705-18-90", None, SKUPKA, "Минск", "Минск", "Услуги", photos=0),
    # look-alikes
    KufarAd(305010, "Статуэтка «Сайгак», фарфор", "Фарфоровая статуэтка антилопы сайгак, 1970-е, без сколов.",
            4500, NATALLIA, "Минск", "Минск", "Антиквариат"),
    KufarAd(305011, "Рога косули на щите", "Рога косули на дубовом щите, охотничий трофей.", 12000, PAVEL,
            "Гродненская", "Лида", "Охота и рыбалка"),
    KufarAd(305012, "Карабин Сайга-МК, чехол", "Чехол и ремень для карабина Сайга-МК. Сам карабин не продаётся.",
            6000, PAVEL, "Гродненская", "Гродно", "Охота и рыбалка"),
    KufarAd(305013, "Рога антилопы (муляж), декор", "Муляж рогов антилопы из полимера для интерьера.", 3500,
            NATALLIA, "Минск", "Минск", "Интерьер"),
    # ordinary goods
    KufarAd(305020, "Велосипед «Аист», подростковый", "Велосипед Аист, 24 дюйма, катались одно лето.", 15000,
            HANNA, "Могилёвская", "Могилёв", "Велосипеды"),
    KufarAd(305021, "Мёд липовый, 3 л", "Мёд свой, липовый, урожай этого года. Брест.", 4000, VIKTAR, "Брестская",
            "Брест", "Продукты"),
    KufarAd(305022, "Шкаф-купе, белый", "Шкаф-купе 180 см, самовывоз.", 20000, ALES, "Гомельская", "Мозырь",
            "Мебель", condition="Б/у"),
]


def _ads(state: DemoState) -> list[KufarAd]:
    return state.cache("kufar:ads", lambda: list(ADS))


def search(ads: list[KufarAd], query: str, day: int) -> list[KufarAd]:
    """Online ads with every query word (by its stem) in the subject or body, newest first."""
    words = [w for w in re.split(r"\W+", query.lower()) if w]
    found = [ad for ad in ads if ad.online(day) and words
             and all(stem(w) in f"{ad.subject} {ad.body}".lower() for w in words)]
    return sorted(found, key=lambda ad: (-ad.day, -ad.id))


def _money(minor: int | None, rate: float = 1.0) -> str:
    return "Договорная" if minor is None else str(int(round(minor / rate)))


def _photo_path(ad: KufarAd, n: int) -> str:
    return f"adim1/{ad.id % 256:02x}/{n * 16 + ad.id % 16:02x}/{ad.id}-{n + 1}.jpg"


def ad_json(request: DemoRequest, state: DemoState, ad: KufarAd, full: bool) -> dict:
    """An ad as the listing (`full` False) or the ad page (`full`: with `body`) carries it."""
    price = ad.price_on(state.day)
    listed = at(state, ad.day, ad.hour, ZONE).astimezone(dt.timezone.utc)
    data = {
        "ad_id": ad.id, "account_id": ad.seller[0], "ad_link": f"{request.site_url}/item/{ad.id}",
        "subject": ad.subject, "list_time": listed.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "price_byn": _money(price), "price_usd": "0" if price is None else _money(price, USD_RATE),
        "currency": "BYR", "body_short": ad.body[:60], "company_ad": ad.seller is SKUPKA, "paid_services": [],
        "account_parameters": [{"pl": "Имя", "vl": ad.seller[1], "p": "name", "v": ad.seller[1]}],
        "ad_parameters": [
            {"pl": "Область", "vl": ad.region, "p": "region", "v": REGIONS[ad.region]},
            {"pl": "Город / Район", "vl": ad.area, "p": "area", "v": str(sum(map(ord, ad.area)) % 1000)},
            {"pl": "Категория", "vl": ad.category, "p": "category", "v": str(ad.id // 100)},
            {"pl": "Состояние", "vl": ad.condition, "p": "condition", "v": "1"},
        ],
        "images": [{"id": str(ad.id * 10 + n), "media_storage": "rms", "path": _photo_path(ad, n)}
                   for n in range(ad.photos)],
    }
    if full:
        data["body"] = ad.body
    return data


def cursor(offset: int, page: int) -> str:
    raw = json.dumps({"t": "abs", "f": True, "o": offset, "p": page}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def read_cursor(token: str) -> int:
    """The offset a cursor points at; ValueError for one this site never issued."""
    try:
        data = json.loads(base64.b64decode(token, validate=True))
        offset = int(data["o"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValueError(token) from exc
    if offset < 0:
        raise ValueError(token)
    return offset


def _page(title: str, next_data: dict, status: int = 200) -> DemoResponse:
    state = json.dumps(next_data, ensure_ascii=False).replace("</", "<\\/")
    return DemoResponse.html(
        f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{html.escape(title)} | Куфар</title>'
        f'</head><body><div id="__next"><main><h1>{html.escape(title)}</h1></main></div>'
        f'<script id="__NEXT_DATA__" type="application/json">{state}</script></body></html>', status=status)


def search_page(request: DemoRequest, state: DemoState) -> DemoResponse:
    query = request.arg("query", "") or ""
    try:
        offset = read_cursor(request.arg("cursor") or "") if request.arg("cursor") else 0
    except ValueError:
        return DemoResponse.html("<html><body><h1>400 Bad Request</h1></body></html>", status=400)
    found = search(_ads(state), query, state.day)
    shown = found[offset: offset + PAGE_SIZE]
    page = offset // PAGE_SIZE + 1
    pagination = [
        {"label": "prev", "num": page - 1, "token": cursor(offset - PAGE_SIZE, page - 1) if page > 1 else None},
        {"label": "self", "num": page, "token": None},
    ]
    if offset + PAGE_SIZE < len(found):
        pagination.append({"label": "next", "num": page + 1, "token": cursor(offset + PAGE_SIZE, page + 1)})
    listing = {"ads": [ad_json(request, state, ad, full=False) for ad in shown], "total": len(found),
               "pagination": pagination}
    title = f"{query} — объявления" if found else "Ничего не найдено"
    return _page(title, {"props": {"pageProps": {}, "initialState": {"listing": listing}}, "page": "/l",
                         "query": {"query": query}, "buildId": "kufar-demo"})


def ad_page(request: DemoRequest, state: DemoState, ad_id: int) -> DemoResponse:
    ad = next((x for x in _ads(state) if x.id == ad_id), None)
    if ad is None or not ad.online(state.day):
        return DemoResponse.html("<html><head><title>Объявление не найдено | Куфар</title></head><body>"
                                 "<h1>Объявление не найдено</h1></body></html>", status=404)
    view = {"data": ad_json(request, state, ad, full=True), "loading": False}
    return _page(ad.subject, {"props": {"pageProps": {}, "initialState": {
        "adView": view, "listing": {"ads": [], "total": 0, "pagination": []}}}, "page": "/item/[id]",
        "query": {"id": str(ad.id)}, "buildId": "kufar-demo"})


def handle(request: DemoRequest, state: DemoState) -> DemoResponse:
    sub = request.subpath
    if sub in ("/l", "/l/"):
        return search_page(request, state)
    match = ITEM_PATH.match(sub)
    if match:
        return ad_page(request, state, int(match.group(1)))
    match = PHOTO_PATH.match(sub)
    if match:
        ad = next((x for x in _ads(state) if x.id == int(match.group(1))), None)
        if ad is None:
            return DemoResponse.not_found()
        data = make_jpeg(ad.subject, [f"kufar #{ad.id}"], seed=ad.id + int(match.group(2)))
        return DemoResponse(200, {"Content-Type": "image/jpeg"}, data)
    return DemoResponse.not_found()
