"""Demo VK API: /vk/method/wall.get and /vk/method/newsfeed.search in the real response shape, with API errors on request;
the web pages the parsed posts link to: /vk/wall<owner>_<id> (404 once deleted) and /vk/<screen_name> or /vk/id<n>.

Errors on request (for tests): a `domain`/`q` of `__error_<code>` answers that VK error every time;
`<name>__flaky_<code>` answers it on the first request for each offset/start_from, then the data of <name>;
the query flag `demo_error=<code>` works on any call. A call without a token (`access_token` or `Authorization: Bearer`) answers error 5,
the token `expired` too.
"""
from __future__ import annotations

import datetime as dt
import html
import zlib
import re
from dataclasses import dataclass, field

from demo_marketplace.server import DemoRequest, DemoResponse, DemoState, online_on
from demo_marketplace.avito import photo as avito_photo

PREFIXES = ["/vk"]
EPOCH = dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.timezone.utc)
ERROR_MESSAGES = {
    5: "User authorization failed: no access_token passed.",
    6: "Too many requests per second",
    9: "Flood control",
    14: "Captcha needed",
    29: "Rate limit reached",
    100: "One of the parameters specified was missing or invalid",
}

GROUPS = {
    1001: {"name": "Барахолка Атырау | Объявления", "screen_name": "baraholka_atyrau"},
    1002: {"name": "Охотники Казахстана", "screen_name": "ohotniki_kz"},
    1003: {"name": "Сувениры степи", "screen_name": "suveniry_stepi"},
    1004: {"name": "Народная медицина Востока", "screen_name": "vostok_medicina"},
}
PROFILES = {
    501: ("Ерлан", "Б."), 502: ("Марат", "К."), 503: ("Светлана", "Ю."), 504: ("Айдос", "Т."), 505: ("Дмитрий", "П."),
    506: ("Бадма", "Н."),
}
# VK photos that are the very picture of an Avito ad's photo: {"<group>_<post>_<n>": (avito listing id, photo n)}
SAME_PHOTO_AS_AVITO: dict[str, tuple[int, int]] = {}


@dataclass
class WallPost:
    owner_id: int
    id: int
    from_id: int
    text: str
    day: int = 0
    until: int | None = None
    photos: int = 0
    market_price: int | None = None  # tenge
    doc: str | None = None
    link: tuple[str, str] | None = None
    repost_of: tuple[int, int] | None = None
    views: int = 100
    edited: bool = False
    signer: int | None = None
    extra: dict = field(default_factory=dict)


_OFFERS = [
    (501, "Продам рога сайги, 3 пары, Атырау. Звоните 8 702 333 44 55", 0),
    (502, "Куплю рога сайгака, дорого. Пишите в ЛС или WhatsApp wa.me/77023334455", 0),
    (503, "Рог сайги 1 шт, 290 г, есть фото. Торг уместен", 95000),
    (504, "Киік мүйізі сатылады, бағасы 150 000 тг. +7 707 111 22 33", 150000),
    (505, "Отдам старые рога антилопы-сайгака, остались от отца", 0),
    (501, "Продам р.о.г.а с.а.й.г.и, только серьёзным покупателям, @atyrau_horn", 0),
    (502, "Стружка рога сайгака, 100 г — 40 000 тг, отправлю почтой", 40000),
]
_CONFOUNDERS = [
    (503, "Продам детскую коляску, состояние отличное, 35 000 тг", 35000),
    (504, "Карабин Сайга-410К, охотничий, с документами. Торг", 0),
    (505, "Продаю диван и два кресла, самовывоз", 20000),
    (501, "Сдаётся квартира посуточно в центре Атырау", 0),
]
_HUNT = [
    "В Западно-Казахстанской области задержаны браконьеры с 40 рогами сайги",
    "Сайга-12 после тюнинга: отзывы владельцев",
    "Запрет на добычу сайги продлён до 2030 года — приказ МЭПР",
    "Выставка охотничьего оружия в Алматы: Сайга, Вепрь, Бекас",
    "Поголовье сайгаков растёт: в чём причина и что делать фермерам",
]
_SOUVENIR = [
    "Брелок «Сайгак» из кожи, 2 000 тг",
    "Керамическая фигурка сайги, ручная работа",
    "Открытки «Животные Красной книги Казахстана», набор 12 шт",
]
_MEDICINE = [
    "Лин Ян Гань Мао Пянь — таблетки с рогом антилопы от жара. Аптека, по рецепту",
    "Панты марала: польза и противопоказания",
    "Продам порошок рога сайги для лечения от температуры у детей, 20 г",
    "Настойка из рогов оленя, 0,5 л",
]


def build() -> dict[int, list[WallPost]]:
    """Walls by owner id (negative = community), each newest last."""
    walls: dict[int, list[WallPost]] = {-gid: [] for gid in GROUPS}

    def add(gid: int, from_id: int, text: str, **kw) -> WallPost:
        wall = walls[-gid]
        post = WallPost(owner_id=-gid, id=100 + len(wall) * 3, from_id=from_id, text=text, **kw)
        wall.append(post)
        return post

    for i in range(33):
        uid, text, price = (_OFFERS + _CONFOUNDERS)[i % 11]
        add(1001, uid, text, day=-15 + i // 2 if i < 30 else i - 30, photos=1 + i % 3 if i % 2 == 0 else 0,
            market_price=price or None, views=150 + i * 17, edited=i % 10 == 3, until=1 if i == 12 else None)
    for i, text in enumerate(_HUNT * 2):
        add(1002, -1002, text, day=-12 + i, photos=1 if i % 3 == 0 else 0, views=3000 + i * 200,
            link=("https://example.org/ohota/%d" % i, text[:50]) if i % 4 == 1 else None, signer=505 if i == 2 else None)
    # A repost: the hunters' community shares a seller's post (the copy carries the original).
    add(1002, -1002, "Смотрите, что продают у нас в барахолке. Куда смотрит инспекция?", day=0, repost_of=(-1001, 100))
    # The Avito seller "Бадма" posts the same photo of the same horns here (cross-platform linking demo).
    cross = add(1001, 506, "Есть рог сайгака, как на фото. Отдам недорого, пишите в личку", day=0, photos=1,
                views=64)
    SAME_PHOTO_AS_AVITO[f"1001_{cross.id}_0"] = (4101000001, 0)
    for i, text in enumerate(_SOUVENIR * 2):
        add(1003, -1003, text, day=-6 + i, photos=1, market_price=2000 + i * 500)
    for i, text in enumerate(_MEDICINE * 2):
        add(1004, -1004, text, day=-8 + i, doc="инструкция.pdf" if i % 3 == 0 else None)
    return walls


def _walls(state: DemoState) -> dict[int, list[WallPost]]:
    return state.cache("vk:walls", build)


def _visible(posts: list[WallPost], day: int) -> list[WallPost]:
    return online_on(posts, day)


def handle(request: DemoRequest, state: DemoState) -> DemoResponse:
    sub = request.subpath
    if sub.startswith("/img/"):
        name = sub[len("/img/"):]
        _walls(state)  # builds SAME_PHOTO_AS_AVITO
        same = SAME_PHOTO_AS_AVITO.get(name.rsplit("_", 1)[0])
        if same is not None:
            return DemoResponse(200, {"Content-Type": "image/jpeg"}, avito_photo(640, 480, *same))
        # every other photo is its own picture (distinct shapes, so perceptual hashes differ)
        return DemoResponse(200, {"Content-Type": "image/jpeg"}, avito_photo(320, 240, zlib.crc32(name.encode()) % 999_983, 1))
    if not sub.startswith("/method/"):
        return _web_page(request, state, sub)
    method = sub[len("/method/"):]
    target = request.arg("domain") or request.arg("q") or ""
    forced = request.arg("demo_error")
    if forced and forced.isdigit():
        return error(int(forced), request, method)
    if target.startswith("__error_") and target[8:].isdigit():
        return error(int(target[8:]), request, method)
    flaky = re.fullmatch(r"(.*)__flaky_(\d+)", target)
    if flaky:
        key = f"vk:flaky:{method}:{target}:{request.arg('offset')}:{request.arg('start_from')}"
        with state.lock:
            seen = state._cache.get(key)
            state._cache[key] = True
        if not seen:
            return error(int(flaky.group(2)), request, method)
        request.query = {**request.query, ("domain" if request.arg("domain") else "q"): [flaky.group(1)]}
    token = request.arg("access_token") or request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not token:
        return error(5, request, method)
    if token == "expired":
        return DemoResponse.json({"error": {"error_code": 5, "error_msg": "User authorization failed: access_token has expired.",
                                            "request_params": []}})
    if method == "wall.getById":
        return _get_by_id(request, state)
    if method == "wall.get":
        return _wall_get(request, state)
    if method == "newsfeed.search":
        return _newsfeed_search(request, state)
    return error(100, request, method)


_WALL = re.compile(r"^/wall(-?\d+)_(\d+)/?$")


def _web_page(request: DemoRequest, state: DemoState, sub: str) -> DemoResponse:
    """vk.com's web pages for a post (wall-1001_100) and an author (baraholka_atyrau, club1001, id501)."""
    walls = _walls(state)
    m = _WALL.match(sub)
    if m:
        owner, pid = int(m.group(1)), int(m.group(2))
        post = next((p for p in _visible(walls.get(owner, []), state.day) if p.id == pid), None)
        if post is None:
            return _page("Запись удалена", '<div class="message_page_body">Запись удалена или ещё не опубликована.</div>', 404)
        return _page(_author_name(post.from_id), render_post(request, post))
    name = sub.strip("/").lower()
    for gid, group in GROUPS.items():
        if name in (group["screen_name"], f"club{gid}", f"public{gid}"):
            posts = list(reversed(_visible(walls[-gid], state.day)))[:10]
            body = f'<h1 class="page_name">{html.escape(group["name"])}</h1>' + "".join(render_post(request, p) for p in posts)
            return _page(group["name"], body)
    if name.startswith("id") and name[2:].isdigit() and int(name[2:]) in PROFILES:
        return _page(_author_name(int(name[2:])), f'<h1 class="page_name">{html.escape(_author_name(int(name[2:])))}</h1>')
    return DemoResponse.not_found()


def _author_name(author_id: int) -> str:
    if author_id < 0:
        return GROUPS.get(-author_id, {}).get("name", f"club{-author_id}")
    first, last = PROFILES.get(author_id, (f"id{author_id}", ""))
    return f"{first} {last}".strip()


def render_post(request: DemoRequest, post: WallPost) -> str:
    """A wall post as vk.com shows it: author, date, text, photos, views."""
    when = (EPOCH + dt.timedelta(days=post.day, minutes=post.id)).strftime("%d.%m.%Y %H:%M")
    photos = "".join(f'<img class="page_post_thumb" width="302" src="{request.site_url}/img/{-post.owner_id}_{post.id}_{n}_x.jpg" alt="">'
                     for n in range(post.photos))
    price = f'<div class="wall_market_price">{post.market_price:,} ₸</div>'.replace(",", " ") if post.market_price else ""
    return (f'<div class="post" id="post{post.owner_id}_{post.id}" data-post-id="{post.owner_id}_{post.id}">'
            f'<div class="post_author"><a class="author" href="{request.site_url}/{"club" + str(-post.from_id) if post.from_id < 0 else "id" + str(post.from_id)}">'
            f'{html.escape(_author_name(post.from_id))}</a></div>'
            f'<div class="post_date"><a class="post_link" href="{request.site_url}/wall{post.owner_id}_{post.id}">{when}</a></div>'
            f'<div class="wall_post_text">{html.escape(post.text)}</div>{price}<div class="page_post_sized_thumbs">{photos}</div>'
            f'<div class="like_views">{post.views} просмотров</div></div>')


def _page(title: str, body: str, status: int = 200) -> DemoResponse:
    return DemoResponse.html(f"""<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{html.escape(title)} | ВКонтакте</title>
<style>body{{font-family:sans-serif;background:#edeef0;margin:0}}#page_body{{max-width:640px;margin:20px auto;background:#fff;padding:16px;border-radius:8px}}
.post{{border-bottom:1px solid #e7e8ec;padding:12px 0}}.author{{font-weight:bold;color:#2a5885}}.post_date a{{color:#939393;font-size:13px}}
.wall_post_text{{margin:8px 0;white-space:pre-wrap}}.wall_market_price{{font-weight:bold}}.like_views{{color:#939393;font-size:13px}}</style></head>
<body><div id="page_header">ВКонтакте</div><div id="page_body">{body}</div></body></html>""", status)


def error(code: int, request: DemoRequest, method: str) -> DemoResponse:
    """A VK API error object (HTTP 200, as the real API answers)."""
    params = [{"key": "method", "value": method}, {"key": "v", "value": request.arg("v", "5.131")}]
    body: dict = {"error": {"error_code": code, "error_msg": ERROR_MESSAGES.get(code, "Unknown error"), "request_params": params}}
    if code == 14:
        body["error"]["captcha_sid"] = "238947238947"
        body["error"]["captcha_img"] = f"{request.site_url}/captcha.php?sid=238947238947"
    return DemoResponse.json(body)


def _owner(request: DemoRequest) -> int | None:
    owner = request.arg("owner_id")
    if owner and owner.lstrip("-").isdigit():
        return int(owner)
    domain = (request.arg("domain") or "").lower()
    for gid, group in GROUPS.items():
        if group["screen_name"] == domain or domain == f"club{gid}" or domain == f"public{gid}":
            return -gid
    return None


def _wall_get(request: DemoRequest, state: DemoState) -> DemoResponse:
    owner = _owner(request)
    walls = _walls(state)
    if owner is None or owner not in walls:
        return DemoResponse.json({"error": {"error_code": 100, "error_msg": "One of the parameters specified was missing or invalid: owner_id not integer"}})
    posts = list(reversed(_visible(walls[owner], state.day)))  # newest first, as VK
    count = min(max(request.int_arg("count", 20), 1), 100)
    offset = max(request.int_arg("offset", 0), 0)
    page = posts[offset: offset + count]
    return DemoResponse.json({"response": _payload(request, state, page, total=len(posts))})


def _get_by_id(request: DemoRequest, state: DemoState) -> DemoResponse:
    wanted = set((request.arg("posts") or "").split(","))
    page = [p for wall in _walls(state).values() for p in _visible(wall, state.day) if f"{p.owner_id}_{p.id}" in wanted]
    payload = _payload(request, state, page, total=len(page))
    del payload["count"]
    return DemoResponse.json({"response": payload})


def _newsfeed_search(request: DemoRequest, state: DemoState) -> DemoResponse:
    words = (request.arg("q") or "").lower().split()
    hits = []
    for wall in _walls(state).values():
        for post in _visible(wall, state.day):
            if words and all(w in post.text.lower() for w in words):
                hits.append(post)
    hits.sort(key=lambda p: _date(p), reverse=True)
    count = min(max(request.int_arg("count", 30), 1), 200)
    start = request.int_arg("start_from", 0)
    page = hits[start: start + count]
    payload = _payload(request, state, page, total=len(hits))
    payload["total_count"] = len(hits)
    del payload["count"]
    payload["count"] = len(hits)
    if start + count < len(hits):
        payload["next_from"] = str(start + count)
    return DemoResponse.json({"response": payload})


def _date(post: WallPost) -> int:
    return int((EPOCH + dt.timedelta(days=post.day, minutes=post.id)).timestamp())


def _payload(request: DemoRequest, state: DemoState, page: list[WallPost], total: int) -> dict:
    walls = _walls(state)
    items = []
    authors: set[int] = set()
    for post in page:
        items.append(_post_json(request, post, walls, authors))
    profiles = [{"id": uid, "first_name": PROFILES[uid][0], "last_name": PROFILES[uid][1], "screen_name": f"id{uid}",
                 "photo_50": f"{request.site_url}/img/u{uid}.jpg"} for uid in sorted(a for a in authors if a > 0)]
    groups = [{"id": gid, "name": g["name"], "screen_name": g["screen_name"], "is_closed": 0, "type": "page",
               "photo_50": f"{request.site_url}/img/g{gid}.jpg"} for gid, g in GROUPS.items() if -gid in authors]
    return {"count": total, "items": items, "profiles": profiles, "groups": groups}


def _post_json(request: DemoRequest, post: WallPost, walls: dict, authors: set[int]) -> dict:
    authors.update({post.from_id, post.owner_id})
    attachments = []
    for n in range(post.photos):
        sizes = [{"type": t, "url": f"{request.site_url}/img/{-post.owner_id}_{post.id}_{n}_{t}.jpg", "width": w, "height": h}
                 for t, w, h in (("s", 75, 50), ("x", 604, 403), ("y", 807, 538))]
        attachments.append({"type": "photo", "photo": {"id": 457000000 + post.id * 10 + n, "album_id": -7, "owner_id": post.owner_id,
                                                        "date": _date(post), "sizes": sizes, "text": ""}})
    if post.market_price:
        attachments.append({"type": "market", "market": {
            "id": 9000 + post.id, "owner_id": post.owner_id, "title": post.text[:40], "description": post.text,
            "price": {"amount": str(post.market_price * 100), "currency": {"id": 398, "name": "KZT"},
                      "text": f"{post.market_price:,} ₸".replace(",", " ")},
            "thumb_photo": f"{request.site_url}/img/market_{post.id}.jpg"}})
    if post.doc:
        attachments.append({"type": "doc", "doc": {"id": 6000 + post.id, "owner_id": post.owner_id, "title": post.doc, "size": 120400,
                                                    "ext": "pdf", "url": f"{request.site_url}/doc/{post.id}.pdf", "type": 1}})
    if post.link:
        attachments.append({"type": "link", "link": {"url": post.link[0], "title": post.link[1], "caption": "example.org", "description": ""}})
    item = {
        "id": post.id, "from_id": post.from_id, "owner_id": post.owner_id, "date": _date(post), "marked_as_ads": 0,
        "post_type": "post", "text": post.text, "attachments": attachments,
        "post_source": {"type": "vk"}, "comments": {"count": post.id % 7}, "likes": {"count": post.id % 23},
        "reposts": {"count": post.id % 3}, "views": {"count": post.views},
    }
    if post.edited:
        item["edited"] = _date(post) + 3600
    if post.signer:
        item["signer_id"] = post.signer
        authors.add(post.signer)
    if post.repost_of:
        owner, pid = post.repost_of
        original = next((p for p in walls.get(owner, []) if p.id == pid), None)
        if original is not None:
            item["copy_history"] = [_post_json(request, original, walls, authors)]
            item["copy_history"][0]["post_type"] = "post"
    return item
