"""The demo Avito: search with pagination → ad pages, photos, a block page and a 429 captcha path.

Paths below the `/avito` prefix:
- `/rossiya?q=<query>[&p=N]` (or `/<city_slug>?q=`): search, 10 results a page, newest first. Demo-only
  `demo_markup=mfe|initial|dom` picks the embedded-state generation the page is rendered in.
- `/<city>/<category>/<slug>_<id>`: an ad page; once taken down, «снято с публикации» for
  CLOSED_PAGE_DAYS days, then 404 «Такой страницы нет».
- `/user/<seller>/profile`, `/img/<id>_<n>_<w>x<h>.jpg`: seller pages and photos.
- `/blocked` (403) and `/too-many-requests` (429): the block and captcha pages; the "block" fault
  kind serves the same firewall page on any path.
- `POST /__rate-limit-after/<n>` (or `rate_limit_after(state, n)`): after n more requests every page
  answers 429 with the captcha page, as Avito does a few minutes into a crawl (`.../off` ends it).
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
from functools import lru_cache
from pathlib import Path

from demo_marketplace import avito_pages as pages
from demo_marketplace.server import DemoRequest, DemoResponse, DemoState

PREFIXES = ["/avito"]
PAGE_SIZE = 10
CLOSED_PAGE_DAYS = 2  # an ad taken down shows «снято с публикации» for this many days, then 404
CONTENT = Path(__file__).with_name("avito_listings.json")
AD_PATH = re.compile(r"^/([a-z0-9-]+)/([a-z_]+)/([a-z0-9_.-]+)_(\d+)$")
IMG_PATH = re.compile(r"^/img/(\d+)_(\d+)_(\d+)x(\d+)\.jpg$")


@lru_cache(maxsize=1)
def listings() -> list[dict]:
    """The demo listings (content file), loaded once."""
    return json.loads(CONTENT.read_text(encoding="utf-8"))["listings"]


def day_zero(state: DemoState) -> dt.date:
    """The calendar date of simulated day 0: a week before the server started, so dates look recent."""
    return state.cache("avito:day0", lambda: dt.datetime.now(pages.MOSCOW).date() - dt.timedelta(days=7))


def online(listing: dict, day: int) -> bool:
    first, last = listing["online"]
    return first <= day and (last is None or day <= last)


def view(listing: dict, request: DemoRequest, state: DemoState) -> pages.AdView:
    """A listing as shown on the current simulated day (price changes applied, URLs absolute)."""
    d0 = day_zero(state)
    offset, hm = listing["posted"]
    hh, mm = map(int, hm.split(":"))
    day = d0 + dt.timedelta(days=offset)
    posted = dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=pages.MOSCOW)
    price = listing["price"]
    change = listing.get("price_change")
    if change and state.day >= change["day"]:
        price = change["price"]
    slug = _slug(listing["title"])
    photos = [
        {f"{w}x{h}": f"{request.site_url}/img/{listing['id']}_{n}_{w}x{h}.jpg" for w, h in pages.PHOTO_SIZES}
        for n in range(listing.get("photos", 1))
    ]
    return pages.AdView(
        id=listing["id"], title=listing["title"], description=listing["description"], price=price,
        city=listing["city"], city_slug=listing["city_slug"], address=listing["address"], category=listing["category"],
        seller_id=listing["seller"]["id"], seller_name=listing["seller"]["name"], posted=posted, photos=photos,
        url_path=f"{request.prefix}/{listing['city_slug']}/{listing['category']}/{slug}_{listing['id']}",
        views=listing["id"] % 500 + 20 * max(state.day, 0),
    )


def today(state: DemoState) -> dt.date:
    return day_zero(state) + dt.timedelta(days=state.day)


def now(state: DemoState) -> dt.datetime:
    d = today(state)
    return dt.datetime(d.year, d.month, d.day, 21, 0, tzinfo=pages.MOSCOW)


def matches(listing: dict, query: str) -> bool:
    """Avito-like loose matching: every query word's stem occurs in the title or description."""
    haystack = f"{listing['title']} {listing['description']}".lower().replace("ё", "е")
    words = [w for w in re.findall(r"\w+", query.lower().replace("ё", "е")) if len(w) > 1]
    return bool(words) and all(w[: max(3, len(w) - 2)] in haystack for w in words)


def search(request: DemoRequest, state: DemoState) -> DemoResponse:
    query = (request.arg("q") or "").strip()
    page = max(1, request.int_arg("p", 1))
    markup = request.arg("demo_markup", "mfe")
    found = [l for l in listings() if online(l, state.day) and matches(l, query)]
    views = sorted((view(l, request, state) for l in found), key=lambda a: (a.posted, a.id), reverse=True)
    pages_total = max(1, -(-len(views) // PAGE_SIZE))
    if not views or page > pages_total:
        return DemoResponse.html(pages.no_results_page(site_url=request.site_url, query_text=query))
    chunk = views[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    extra = {k: v[0] for k, v in request.query.items() if k not in ("q", "p") and v}  # kept in pagination links
    return DemoResponse.html(pages.search_page(
        site_url=request.site_url, path_prefix=request.prefix, query_text=query, ads=chunk, total=len(views),
        page=page, pages=pages_total, today=today(state), markup=markup, extra_query=extra,
        region=request.subpath.strip("/") or "rossiya",
    ))


def ad(request: DemoRequest, state: DemoState, listing_id: int) -> DemoResponse:
    listing = next((l for l in listings() if l["id"] == listing_id), None)
    closed = listing is not None and listing["online"][1] is not None and 0 < state.day - listing["online"][1] <= CLOSED_PAGE_DAYS
    if listing is None or (not online(listing, state.day) and not closed):
        return DemoResponse.html(
            '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Ошибка 404. Страница не найдена — Авито</title>'
            '</head><body><h1>Такой страницы нет</h1><p>Возможно, объявление удалено или вы ошиблись в адресе.</p></body></html>',
            status=404,
        )
    return DemoResponse.html(pages.ad_page(view(listing, request, state), site_url=request.site_url,
                                           today=today(state), now=now(state), closed=closed))


def photo(width: int, height: int, listing_id: int, n: int) -> bytes:
    """A deterministic JPEG for one listing photo (shapes differ per listing, so perceptual hashes differ)."""
    from PIL import Image, ImageDraw

    seed = listing_id * 31 + n * 7
    img = Image.new("RGB", (width, height), (200 + seed % 55, 190 + seed % 40, 170 + seed % 60))
    draw = ImageDraw.Draw(img)
    for k in range(4):
        x = (seed * (k + 3)) % max(1, width - width // 4)
        y = (seed * (k + 5)) % max(1, height - height // 4)
        shade = (seed * (k + 1)) % 120
        draw.ellipse((x, y, x + width // 4, y + height // 3), fill=(shade, shade // 2 + 60, 40 + k * 30))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=70)
    return out.getvalue()


def block_page(request: DemoRequest, state: DemoState) -> DemoResponse:
    """The firewall page served for the "block" fault and on /blocked."""
    return DemoResponse.html(pages.block_page(), status=403)


def rate_limit_after(state: DemoState, requests: int | None) -> None:
    """Answer 429 + captcha to every Avito request after `requests` more (None: never), like the real site."""
    with state.lock:
        state.cache("avito:budget", dict)["left"] = requests


def _over_budget(state: DemoState) -> bool:
    with state.lock:
        budget = state.cache("avito:budget", dict)
        if budget.get("left") is None:
            return False
        if budget["left"] <= 0:
            return True
        budget["left"] -= 1
        return False


def handle(request: DemoRequest, state: DemoState) -> DemoResponse:
    sub = request.subpath.rstrip("/") or "/"
    m = re.fullmatch(r"/__rate-limit-after/(\d+|off)", sub)
    if m and request.method == "POST":
        rate_limit_after(state, None if m.group(1) == "off" else int(m.group(1)))
        return DemoResponse.json({"rate_limit_after": m.group(1)})
    if not sub.startswith("/img/") and _over_budget(state):  # photos come from Avito's CDN, not rate-limited
        return DemoResponse.html(pages.captcha_429_page(), status=429, headers={"Retry-After": "60"})
    if sub == "/":
        return DemoResponse.html(
            '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Авито (демо SaigaWatch)</title></head><body>'
            f'<h1>Авито — демо</h1><form action="{request.site_url}/rossiya"><input name="q"><button>Найти</button></form>'
            "</body></html>"
        )
    if sub == "/blocked":
        return block_page(request, state)
    if sub == "/too-many-requests":
        return DemoResponse.html(pages.captcha_429_page(), status=429, headers={"Retry-After": "60"})
    m = IMG_PATH.match(sub)
    if m:
        listing_id, n, w, h = map(int, m.groups())
        if (w, h) not in pages.PHOTO_SIZES:
            return DemoResponse.not_found("no such photo size")
        body = state.cache(f"avito:img:{sub}", lambda: photo(w, h, listing_id, n))
        return DemoResponse(200, {"Content-Type": "image/jpeg", "Cache-Control": "max-age=86400"}, body)
    m = re.match(r"^/user/([a-z0-9]+)/profile$", sub)
    if m:
        own = [l for l in listings() if l["seller"]["id"] == m.group(1) and online(l, state.day)]
        if not own:
            return DemoResponse.not_found("no such seller")
        name = own[0]["seller"]["name"]
        items = "".join(f'<li><a href="{view(l, request, state).url_path}">{l["title"]}</a></li>' for l in own)
        return DemoResponse.html(f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{name} — профиль на Авито'
                                 f'</title></head><body><h1 data-marker="profile/name">{name}</h1><ul>{items}</ul></body></html>')
    m = AD_PATH.match(sub)
    if m:
        return ad(request, state, int(m.group(4)))
    if re.fullmatch(r"/[a-z-]+", sub) and request.arg("q") is not None:
        return search(request, state)
    return DemoResponse.html('<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Ошибка 404</title></head>'
                             "<body><h1>Такой страницы нет</h1></body></html>", status=404)


TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
                     "u", "f", "h", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya"]))


def _slug(title: str) -> str:
    text = "".join(TRANSLIT.get(c, c) for c in title.lower())
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:60] or "item"
