"""Demo Meshok (meshok.net): the Russian collectibles auction's JSON API and its server-rendered item pages.

Paths below the `/meshok` prefix:
- `POST /api/command/lots/get-items` with `{sellerMode, filter: {searchString, status, page, pageSize, sort}, includes}`
  → `{correlationId, result: {lots: [...], lastSortValues}}`; active lots only. A filter it rejects (pageSize over
  100, an unknown status) answers HTTP 418 `{error: {name: "CommandValidationError", errors: [{message}]}}`.
- `POST /api/command/lots/get-lot-by-id` with `{lotId}` → `{result: {lot}}` (status active or finished); a withdrawn
  or unknown lot answers 404 `{error: {name: "NotFound"}}`.
- `GET /item/<id>_<Slug>` (or `/item/<id>`): the Nuxt-rendered page with hashed class names, `og:title`,
  `product:price:*` meta and microdata; `/pics/<id>_<n>.jpg`: photos.
"""
from __future__ import annotations

import datetime as dt
import html
import re
import uuid

from demo_marketplace.auctions import Lot, at, ends_at, search
from demo_marketplace.server import DemoRequest, DemoResponse, DemoState
from demo_marketplace.telegram_posts import make_jpeg

PREFIXES = ["/meshok"]
ZONE = "Europe/Moscow"
MAX_PAGE_SIZE = 100
ITEM_PATH = re.compile(r"^/item/(\d+)(?:_[\w-]*)?/?$")
PIC_PATH = re.compile(r"^/pics/(\d+)_(\d+)\.jpg$")

M1, M2, M3, M4, M5 = ((5601, "Степной_антиквар"), (5602, "kollektsia63"), (5603, "znachki_ural"),
                      (5604, "volga_stepi"), (5605, "Охотничьи_трофеи"))
ELISTA, ASTRAKHAN, SAMARA, PERM, VOLGOGRAD = (("Элиста", "Калмыкия"), ("Астрахань", "Астраханская область"),
                                             ("Самара", "Самарская область"), ("Пермь", "Пермский край"),
                                             ("Волгоград", "Волгоградская область"))

LOTS = [
    Lot(310100501, "Рог сайгака, натуральный, 30 см", "Рог сайгака (сайга), натуральный, длина 30 см. "
        "Из старой коллекции. Пересылка почтой, оплата на карту.", 5000, M1, ELISTA, day=-3, end_day=1,
        end_time="18:00", bid_days=[-2, 0, 1], step=600, photos=2),
    Lot(310100502, "Рога сайги, пара, старые", "Пара рогов сайги, светлые, 26 и 27 см. Писать в WhatsApp "
        "+7 917 000-11-22.", 8000, M4, ASTRAKHAN, day=-2, end_day=0, end_time="20:00", bid_days=[-1, 0, 0],
        step=1000, photos=2),
    Lot(310100503, "Сайгак рог (сайгачий), для коллекции", "Рог сайгака, 23 см, без повреждений.", 3500, M1,
        ELISTA, day=0, end_day=3, bid_days=[1, 2], step=300),
    Lot(310100504, "Рог сайги — продам срочно", "Продаю рог сайги, отдам недорого, самовывоз Волгоград.", 2500, M5,
        VOLGOGRAD, day=-1, end_day=4, bid_days=[], until=0, kind="fixedPrice"),
    Lot(310100510, "Нэцкэ «Антилопа сайгак», пластик", "Фигурка нэцкэ, сайгак, пластик под кость. Не рог.",
        900, M2, SAMARA, day=-3, end_day=5, bid_days=[], kind="fixedPrice"),
    Lot(310100511, "Рог горного козла (муляж сайгака)", "Рог козла, похож на рог сайгака, но это не сайга. "
        "Для интерьера.", 1200, M5, VOLGOGRAD, day=-2, end_day=2, bid_days=[0]),
    Lot(310100512, "Значок «Сайгак. Калмыкия» СССР", "Значок, алюминий, 1970-е.", 150, M3, PERM, day=-1,
        end_day=1, end_time="10:00", bid_days=[0], step=20),
    Lot(310100520, "Монета 10 рублей 2009 Калмыкия", "Монета Республика Калмыкия, обиходная.", 40, M3, PERM,
        day=-2, end_day=3, bid_days=[0, 1], step=5),
    Lot(310100521, "Открытка «Заповедник Чёрные земли»", "Открытка 1980-х, сайгаки в степи.", 60, M2, SAMARA,
        day=-3, end_day=2, bid_days=[]),
]


def _lots(state: DemoState) -> list[Lot]:
    return state.cache("meshok:lots", lambda: list(LOTS))


def _iso(value) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def lot_json(request: DemoRequest, state: DemoState, lot: Lot, full: bool) -> dict:
    """A lot as the API returns it; `full` adds the description and status (get-lot-by-id)."""
    day = state.day
    data = {
        "id": lot.id, "title": lot.title, "price": lot.price(day), "startPrice": lot.start_price, "currency": "RUB",
        "type": lot.kind, "beginDate": _iso(at(state, lot.day, "09:00", ZONE)), "endDate": _iso(ends_at(state, lot, ZONE)),
        "bidsCount": lot.bids(day), "soldQuantity": 1 if lot.ended(day) and lot.bids(day) else 0,
        "seller": {"id": lot.seller[0], "displayName": lot.seller[1], "rating": lot.seller[0] % 97},
        "city": {"name": lot.city[0], "region": lot.city[1], "country": "Россия"},
        "pictures": [{"url": f"{request.site_url}/pics/{lot.id}_{n}.jpg"} for n in range(lot.photos)],
    }
    if full:
        data["description"] = lot.text
        data["status"] = "finished" if lot.ended(day) else "active"
    return data


def _answer(result: dict) -> DemoResponse:
    return DemoResponse.json({"correlationId": str(uuid.uuid4()), "result": result})


def _rejected(message: str) -> DemoResponse:
    return DemoResponse.json({"correlationId": str(uuid.uuid4()), "error": {
        "name": "CommandValidationError", "errors": [{"message": message}]}}, status=418)


def get_items(request: DemoRequest, state: DemoState) -> DemoResponse:
    try:
        body = request.json() or {}
        flt = body.get("filter") or {}
        page, size = int(flt.get("page", 1)), int(flt.get("pageSize", 20))
    except (ValueError, TypeError, AttributeError):
        return _rejected("request body must be a JSON object with a filter")
    if size > MAX_PAGE_SIZE or size < 1:
        return _rejected(f"filter.pageSize must be between 1 and {MAX_PAGE_SIZE}")
    if flt.get("status", "active") != "active":
        return _rejected("filter.status must be one of: active")
    found = search(_lots(state), str(flt.get("searchString") or ""), state.day)
    shown = found[(page - 1) * size: page * size]
    last = [shown[-1].id] if shown else []
    return _answer({"lots": [lot_json(request, state, x, full=False) for x in shown], "lastSortValues": last})


def get_lot(request: DemoRequest, state: DemoState) -> DemoResponse:
    try:
        lot_id = int((request.json() or {}).get("lotId"))
    except (ValueError, TypeError, AttributeError):
        return _rejected("lotId must be a number")
    lot = next((x for x in _lots(state) if x.id == lot_id), None)
    if lot is None or not lot.online(state.day):
        return DemoResponse.json({"correlationId": str(uuid.uuid4()), "error": {"name": "NotFound"}}, status=404)
    return _answer({"lot": lot_json(request, state, lot, full=True)})


def item_page(request: DemoRequest, state: DemoState, lot: Lot) -> DemoResponse:
    """The item page a browser sees (evidence screenshots): hashed classes, og/product meta and microdata."""
    price = lot.price(state.day)
    status = "Торги завершены" if lot.ended(state.day) else f"До конца торгов: {ends_at(state, lot, ZONE):%d.%m.%Y %H:%M}"
    pics = "".join(f'<img class="image_7f3a1" src="{request.prefix}/pics/{lot.id}_{n}.jpg" alt="">'
                   for n in range(lot.photos))
    title = html.escape(lot.title)
    page = (f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{title}. Мешок</title>'
            f'<meta property="og:title" content="{title}">'
            f'<meta property="product:price:amount" content="{price}">'
            f'<meta property="product:price:currency" content="RUB"></head><body><div id="__nuxt">'
            f'<div class="itemCard_03768" itemscope itemtype="https://schema.org/Product">'
            f'<h1 class="titleText_6853f" itemprop="name">{title}</h1><div class="gallery_1b2c9">{pics}</div>'
            f'<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
            f'<span class="price_a91d0" itemprop="price" content="{price}">{price} ₽</span>'
            f'<meta itemprop="priceCurrency" content="RUB"></div>'
            f'<div class="status_c41e2">{status}; ставок: {lot.bids(state.day)}</div>'
            f'<div class="seller_5e6f7">{html.escape(lot.seller[1])}, {html.escape(lot.city[0])}</div>'
            f'<div class="description_2d4e8" itemprop="description">{html.escape(lot.text)}</div>'
            f'</div></div></body></html>')
    return DemoResponse.html(page)


def handle(request: DemoRequest, state: DemoState) -> DemoResponse:
    sub = request.subpath
    if request.method == "POST" and sub == "/api/command/lots/get-items":
        return get_items(request, state)
    if request.method == "POST" and sub == "/api/command/lots/get-lot-by-id":
        return get_lot(request, state)
    match = ITEM_PATH.match(sub)
    if match:
        lot = next((x for x in _lots(state) if x.id == int(match.group(1))), None)
        if lot is None or not lot.online(state.day):
            return DemoResponse.html("<html><head><title>Лот не найден. Мешок</title></head><body>"
                                     "<h1>Лот не найден</h1></body></html>", status=404)
        return item_page(request, state, lot)
    match = PIC_PATH.match(sub)
    if match:
        lot = next((x for x in _lots(state) if x.id == int(match.group(1))), None)
        if lot is None:
            return DemoResponse.not_found()
        data = make_jpeg(lot.title, [f"meshok #{lot.id}"], seed=lot.id + int(match.group(2)))
        return DemoResponse(200, {"Content-Type": "image/jpeg"}, data)
    return DemoResponse.not_found()
