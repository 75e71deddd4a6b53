"""Demo Violity (violity.com): a Ukrainian collectibles auction with search cards and lot pages in two layouts.

Paths below the `/violity` prefix:
- `/ru/search/result?query=<q>[&page=N]` (or `/ua/...`): active lots, 10 a page, `article.tr` cards, a `rel=next` link;
- `/ru/<lotId>-<slug>` (or `/ua/...`): a lot page; even ids in the older layout (`h1.page_title`,
  `div.finish_time span`, `div.c_price_button span`, `div.cur_price p`), odd ids in the newer one (`h1`,
  `.price_block`, `.eLocation`, `.eDescription`, `a.user_seller`); an ended lot says «Торги завершены»;
  a withdrawn lot answers 404;
- `/ru/user/<id>`: a seller's page; `/img/<lotId>_<n>.jpg`: photos.
The "block" fault serves a Cloudflare «Just a moment...» challenge.
"""
from __future__ import annotations

import html
import re

from demo_marketplace.auctions import Lot, ends_at, search
from demo_marketplace.server import DemoRequest, DemoResponse, DemoState
from demo_marketplace.telegram_posts import make_jpeg

PREFIXES = ["/violity"]
PAGE_SIZE = 10
ZONE = "Europe/Kyiv"
UAH_PER_USD = 41.5
LOT_PATH = re.compile(r"^/(ru|ua)/(\d+)-[\w-]*$")
USER_PATH = re.compile(r"^/(ru|ua)/user/(\d+)$")
IMG_PATH = re.compile(r"^/img/(\d+)_(\d+)\.jpg$")

S1, S2, S3, S4, S5, S6 = ((77101, "stepnyak_ua"), (77102, "bronza_kyiv"), (77103, "numizmat_odesa"),
                          (77104, "step_kolektsiya"), (77105, "okhota_trofei"), (77106, "antikvar_kherson"))
KHERSON, KYIV, ODESA, SKADOVSK, KHARKIV = (("Херсон", "Херсонська обл."), ("Київ", "м. Київ"),
                                          ("Одеса", "Одеська обл."), ("Скадовськ", "Херсонська обл."),
                                          ("Харків", "Харківська обл."))

LOTS = [
    # saiga horn, Russian and Ukrainian wording; several end during the demo's days
    Lot(90100100, "Рог сайгака старый, 28 см", "Рог сайгака из старой коллекции. Длина 28 см, вес 210 г. "
        "Отправка Новой почтой по предоплате. Тел. 067 123 45 67", 1500, S1, KHERSON,
        day=-4, end_day=0, end_time="21:00", bid_days=[-2, -1, 0], step=300, photos=2),
    Lot(90100101, "Ріг сайгака, пара", "Пара рогів сайгака. Стан як на фото, без тріщин. Пишіть у Viber.",
        3000, S4, SKADOVSK, day=-3, end_day=1, end_time="22:00", bid_days=[-1, 0, 1, 1], step=250, photos=2),
    Lot(90100102, "Роги сайги (сайгачий ріг), 3 шт.", "Сайгачий ріг, три штуки, довжина 24–30 см. "
        "Продаю разом. Відправка по Україні.", 4500, S6, KHERSON, day=-1, end_day=3, bid_days=[0, 1], step=500),
    Lot(90100103, "Рога сайги натуральные, на подставке", "Пара рогов сайги на деревянной подставке. "
        "Натуральные, не реплика. Торг уместен.", 6000, S5, KHARKIV, day=0, end_day=2, end_time="19:30",
        bid_days=[1, 2], step=400, photos=3),
    Lot(90100104, "Рог сайгака (сайга) для коллекции", "Старый рог сайгака, 25 см, светлый. "
        "Снял с продажи другой площадки, тут дешевле.", 2200, S1, KHERSON, day=-2, end_day=4, bid_days=[], until=0),
    # look-alikes: replicas, figurines, other horns
    Lot(90100110, "Рог сайгака — муляж из смолы", "Реплика, литьё из смолы, для музейной экспозиции. "
        "Не натуральный рог.", 350, S2, KYIV, day=-3, end_day=2, bid_days=[0]),
    Lot(90100111, "Статуэтка «Сайгак», бронза", "Бронзовая статуэтка антилопы сайгак, высота 12 см. Без рогов "
        "настоящих, всё литьё.", 1150, S2, KYIV, day=-5, end_day=0, end_time="18:00", bid_days=[-3, 0], step=150),
    Lot(90100112, "Рог козла горного, резной", "Рог горного козла с резьбой, 40 см. Сувенир.", 900, S5, KHARKIV,
        day=-2, end_day=5, bid_days=[1]),
    Lot(90100113, "Книга «Сайгак» (1985)", "Монография о сайгаке, издательство «Наука», 1985. Состояние хорошее.",
        180, S3, ODESA, day=-1, end_day=3, bid_days=[]),
    # ordinary collectibles
    Lot(90100120, "Монета 1 гривна 1995", "Монета 1 гривна 1995 года, обиходная.", 60, S3, ODESA, day=-2,
        end_day=1, end_time="12:00", bid_days=[0], step=10),
    Lot(90100121, "Значок «Охотник-рыболов» СССР", "Значок, тяжёлый металл, эмаль.", 120, S5, KHARKIV, day=-1,
        end_day=4, bid_days=[0, 1], step=20),
    Lot(90100122, "Марка «Сайгак» 1976, чистая", "Почтовая марка СССР «Фауна: сайгак», 1976, негашёная.",
        45, S3, ODESA, day=-3, end_day=2, bid_days=[]),
]


def _lots(state: DemoState) -> list[Lot]:
    return state.cache("violity:lots", lambda: list(LOTS))


def _money(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _lot_path(request: DemoRequest, lot: Lot, lang: str = "ru") -> str:
    return f"{request.prefix}/{lang}/{lot.id}-{lot.slug}"


def _page(title: str, body: str, canonical: str | None = None) -> str:
    link = f'<link rel="canonical" href="{html.escape(canonical)}">' if canonical else ""
    return (f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{html.escape(title)}</title>{link}'
            f'</head><body><header class="top_line"><a class="logo" href="/">Violity</a></header>{body}</body></html>')


def search_page(request: DemoRequest, state: DemoState, lang: str) -> DemoResponse:
    query = request.arg("query", "") or ""
    page = max(1, request.int_arg("page", 1))
    found = search(_lots(state), query, state.day)
    if not found:
        return DemoResponse.html(_page("Результаты поиска — Violity", '<main class="search_result">'
                                       '<div class="search_empty">По вашему запросу ничего не найдено</div></main>'))
    shown = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    cards = []
    for lot in shown:
        path = _lot_path(request, lot, lang)
        cards.append(
            f'<article class="tr" data-id="{lot.id}">'
            f'<div class="photo"><a href="{path}"><img src="{request.prefix}/img/{lot.id}_0.jpg" '
            f'data-src="{request.prefix}/img/{lot.id}_0.jpg" alt=""></a></div>'
            f'<div class="title"><a href="{path}">{html.escape(lot.title)}</a></div>'
            f'<div class="price"><div class="current"><p>{_money(lot.price(state.day))} грн</p></div>'
            f'<div class="bids">Ставок: <span>{lot.bids(state.day)}</span></div></div>'
            f'<div class="seller"><a href="{request.prefix}/{lang}/user/{lot.seller[0]}"><u>'
            f'{html.escape(lot.seller[1])}</u></a></div></article>')
    nav = ""
    if page * PAGE_SIZE < len(found):
        nxt = f"{request.prefix}/{lang}/search/result?query={html.escape(query)}&amp;page={page + 1}"
        nav = f'<nav class="pagination"><span class="active">{page}</span><a class="next" rel="next" href="{nxt}">→</a></nav>'
    body = (f'<main class="search_result"><div class="search_info">Найдено лотов: {len(found)}</div>'
            f'<section class="lots_list">{"".join(cards)}</section>{nav}</main>')
    return DemoResponse.html(_page(f"Результаты поиска: {query} — Violity", body))


def lot_page(request: DemoRequest, state: DemoState, lot: Lot, lang: str) -> DemoResponse:
    day = state.day
    price = lot.price(day)
    end = ends_at(state, lot, ZONE).strftime("%d.%m.%Y, %H:%M:%S")
    photos = "".join(f'<img src="/img/placeholder.gif" data-src="{request.prefix}/img/{lot.id}_{n}.jpg">'
                     for n in range(lot.photos))
    paragraphs = "".join(f"<p>{html.escape(p.strip())}.</p>" for p in lot.text.rstrip(".").split(". ") if p.strip())
    canonical = request.site_url + f"/{lang}/{lot.id}-{lot.slug}"
    seller_path = f"{request.prefix}/{lang}/user/{lot.seller[0]}"
    if lot.id % 2 == 0:  # the older layout
        status = ('<div class="finish_time lot_status">Торги завершены <span>' + end + '</span></div>' if lot.ended(day)
                  else f'<div class="finish_time">Окончание торгов: <span>{end}</span></div>')
        body = (f'<div class="lot_page" data-lot-id="{lot.id}"><h1 class="page_title">{html.escape(lot.title)}</h1>'
                f'<div class="slider_frame">{photos}</div><div class="lot_info">{status}'
                f'<div class="c_price_button">Текущая цена: <span>{_money(price)} грн</span></div>'
                f'<div class="cur_price"><p>≈ {price / UAH_PER_USD:.0f} $</p></div>'
                f'<div class="bids">Ставок: <span class="bids_count">{lot.bids(day)}</span></div>'
                f'<div class="seller">Продавец: <a href="{seller_path}"><u>{html.escape(lot.seller[1])}</u></a></div>'
                f'</div><div class="lot_description">{paragraphs}</div></div>')
    else:  # the newer layout
        status = ('<div class="finish_time lot_status">Торги завершено</div>' if lot.ended(day)
                  else f'<div class="finish_time">Закінчення торгів: <span>{end}</span></div>')
        body = (f'<div class="lot_wrapper" data-lot-id="{lot.id}"><h1>{html.escape(lot.title)}</h1>'
                f'<div class="price_block"><div class="current">{_money(price)} грн</div>'
                f'<div class="usd">$ {price / UAH_PER_USD:.0f}</div></div>{status}'
                f'<div class="bids"><span>{lot.bids(day)}</span> ставок</div>'
                f'<div class="eLocation">{html.escape(lot.city[1])}, {html.escape(lot.city[0])}</div>'
                f'<div class="eDescription">{html.escape(lot.text)}</div>'
                f'<a class="user_seller" href="{seller_path}">{html.escape(lot.seller[1])}</a>'
                f'<div class="slider_frame">{photos}</div></div>')
    return DemoResponse.html(_page(f"{lot.title} — Violity", body, canonical))


def block_page(request: DemoRequest, state: DemoState) -> DemoResponse:
    """Cloudflare's browser check, as Violity sometimes answers plain clients."""
    body = ('<div class="main-wrapper" role="main"><h1 class="zone-name-title h1">violity.com</h1>'
            '<h2 id="challenge-running">Checking if the site connection is secure</h2>'
            '<form id="challenge-form" action="?__cf_chl_f_tk=demo" method="POST"></form></div>')
    return DemoResponse.html(f'<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>{body}</body></html>',
                             status=403)


def handle(request: DemoRequest, state: DemoState) -> DemoResponse:
    sub = request.subpath
    if sub in ("/", ""):
        return DemoResponse.redirect(f"{request.prefix}/ru/search/result?query=")
    match = re.match(r"^/(ru|ua)/search/result/?$", sub)
    if match:
        return search_page(request, state, match.group(1))
    match = LOT_PATH.match(sub)
    if match:
        lot = next((x for x in _lots(state) if x.id == int(match.group(2))), None)
        if lot is None or not lot.online(state.day):
            return DemoResponse.html(_page("Лот не найден — Violity", '<div class="lot_not_found">Лот не найден</div>'),
                                     status=404)
        return lot_page(request, state, lot, match.group(1))
    match = USER_PATH.match(sub)
    if match:
        own = [x for x in _lots(state) if x.seller[0] == int(match.group(2)) and x.online(state.day)]
        if not own:
            return DemoResponse.not_found("no such seller")
        links = "".join(f'<li><a href="{_lot_path(request, x, match.group(1))}">{html.escape(x.title)}</a></li>'
                        for x in own)
        return DemoResponse.html(_page(f"{own[0].seller[1]} — Violity", f"<h1>{html.escape(own[0].seller[1])}</h1>"
                                                                         f'<ul class="seller_lots">{links}</ul>'))
    match = IMG_PATH.match(sub)
    if match:
        lot = next((x for x in _lots(state) if x.id == int(match.group(1))), None)
        if lot is None:
            return DemoResponse.not_found()
        data = make_jpeg(lot.title, [f"violity #{lot.id}"], seed=lot.id + int(match.group(2)))
        return DemoResponse(200, {"Content-Type": "image/jpeg"}, data)
    return DemoResponse.not_found()
