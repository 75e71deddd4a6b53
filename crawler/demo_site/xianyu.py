"""The demo Xianyu/Goofish: the mtop search API (signed, session cookies required), item pages, photos.

Paths below the `/xianyu` prefix:
- `POST|GET /h5/mtop.taobao.idlemtopsearch.pc.search/1.0/?appKey&t&sign&...` with `data={"keyword",
  "pageNumber","rowsPerPage"}` (form body or query). Like the real gateway it needs the session cookies
  `_m_h5_tk` (token_expiry) and `cookie2`, and `sign = md5(token&t&appKey&data)`; otherwise it answers
  FAIL_SYS_TOKEN_EMPTY / FAIL_SYS_SESSION_EXPIRED / FAIL_SYS_ILLEGAL_ACCESS. An expired `_m_h5_tk`
  gets FAIL_SYS_TOKEN_EXOIRED with a fresh token in Set-Cookie, as on the real site. 6 results a page.
- the "block" fault kind answers the risk-control FAIL_SYS_USER_VALIDATE (slider) JSON.
- `/item?id=<id>` (a plain item page) and `/img/<id>.jpg`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
import time
from functools import lru_cache
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from crawler.demo_site.server import DemoRequest, DemoResponse, DemoState

PREFIXES = ["/xianyu"]
API = "mtop.taobao.idlemtopsearch.pc.search"
APP_KEY = "34839810"
ROWS = 6
BEIJING = ZoneInfo("Asia/Shanghai")
CONTENT = Path(__file__).with_name("xianyu_listings.json")


@lru_cache(maxsize=1)
def items() -> list[dict]:
    return json.loads(CONTENT.read_text(encoding="utf-8"))["items"]


def online(item: dict, day: int) -> bool:
    first, last = item["online"]
    return first <= day and (last is None or day <= last)


def published_ms(item: dict, state: DemoState) -> int:
    d0 = state.cache("xianyu:day0", lambda: dt.datetime.now(BEIJING).date() - dt.timedelta(days=7))
    offset, hm = item["published"]
    day = d0 + dt.timedelta(days=offset)
    hh, mm = map(int, hm.split(":"))
    return int(dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=BEIJING).timestamp() * 1000)


def sign(token: str, t: str, app_key: str, data: str) -> str:
    """The mtop request signature: md5 of "token&t&appKey&data"."""
    return hashlib.md5(f"{token}&{t}&{app_key}&{data}".encode("utf-8")).hexdigest()


def mtop(ret: str, data: dict | None = None, **headers: str) -> DemoResponse:
    return DemoResponse.json({"api": API, "data": data or {}, "ret": [ret], "v": "1.0"}, headers=headers or None)


def result_entry(item: dict, request: DemoRequest, state: DemoState, keyword: str, page: int, index: int) -> dict:
    """One `resultList[]` entry in the shape of the real PC search answer."""
    unit = item.get("unit")
    parts = [{"text": "¥", "type": "sign"}]
    integer, _, decimal = item["price"].partition(".")
    parts.append({"text": integer, "type": "integer"})
    if decimal:
        parts.append({"text": "." + decimal, "type": "decimal"})
    if unit:
        parts.append({"text": unit, "type": "unit"})
    price_yuan = str(int(float(item["price"]) * (10_000 if unit == "万" else 1)))
    one_line = item["title"].replace("\n", "")
    args = {
        "item_type": "goods", "keyword": keyword, "price": price_yuan, "wantNum": str(item.get("want", 0)),
        "id": item["id"], "item_id": item["id"], "seller_id": item["seller"]["id"],
        "publishTime": str(published_ms(item, state)), "page": str(page), "index": str(index),
        "search_from_page": "pcSearch", "tagname": "", "card_type": "idlefish_search_item_new_tags",
    }
    return {
        "data": {
            "item": {"main": {
                "clickParam": {"arg1": "Item", "args": args, "page": "Page_xySearchResult"},
                "exContent": {
                    "area": item["area"],
                    "detailPageType": "detailCommonBuy",
                    "detailParams": {"itemId": item["id"], "title": item["title"], "userNick": item["seller"]["nick"],
                                     "soldPrice": price_yuan, "isVideo": "false"},
                    "hideUserInfo": False,
                    "isAliMaMaAD": False,
                    "itemId": item["id"],
                    "jump2XianYuHao": {"clickParam": {"arg1": "Jump2User", "args": {
                        "item_id": item["id"], "seller_id": item["seller"]["id"]}}},
                    "picUrl": f"{request.site_url}/img/{item['id']}.jpg",
                    "picWidth": 164.0,
                    "picHeight": 218.0,
                    "price": parts,
                    "priceTag": [],
                    "richTitle": [{"data": {"bold": True, "text": one_line}, "type": "Text"}],
                    "title": one_line,
                    "titleSpan": {"bold": True, "content": one_line},
                    "userNickName": item["seller"]["nick"],
                    "want": f"{item['want']}人想要" if item.get("want") else "",
                },
                "targetUrl": f"fleamarket://item?id={item['id']}",
            }},
            "template": {"name": "idlefish_search_item_new_tags", "version": "1736911114165"},
        },
        "style": "flow",
        "type": "DX",
    }


def search(request: DemoRequest, state: DemoState) -> DemoResponse:
    form = parse_qs(request.body.decode("utf-8", "replace")) if request.body else {}
    data_raw = (form.get("data") or request.query.get("data") or [""])[0]
    cookies = SimpleCookie()
    try:
        cookies.load(request.headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header is simply "no session"
        pass
    tk = cookies.get("_m_h5_tk")
    if tk is None or "_" not in tk.value:
        new = hashlib.md5(str(state.day).encode()).hexdigest()
        return mtop("FAIL_SYS_TOKEN_EMPTY::令牌为空", **{"Set-Cookie": f"_m_h5_tk={new}_9999999999999; Path=/"})
    if cookies.get("cookie2") is None:
        return mtop("FAIL_SYS_SESSION_EXPIRED::Session过期")
    token, _, expiry = tk.value.partition("_")
    now_ms = int(time.time() * 1000)
    if not expiry.isdigit() or int(expiry) < now_ms:
        # like the real gateway: the signing token is short-lived; a fresh one comes back as a cookie
        fresh = hashlib.md5(f"{cookies['cookie2'].value}:{now_ms // 3_600_000}".encode()).hexdigest()
        return mtop("FAIL_SYS_TOKEN_EXOIRED::令牌过期",
                    **{"Set-Cookie": f"_m_h5_tk={fresh}_{now_ms + 3_600_000}; Path=/"})
    if request.arg("sign") != sign(token, request.arg("t", ""), request.arg("appKey", ""), data_raw):
        return mtop("FAIL_SYS_ILLEGAL_ACCESS::非法请求")
    try:
        data = json.loads(data_raw)
        keyword = str(data["keyword"]).strip()
        page = max(1, int(data.get("pageNumber", 1)))
    except (ValueError, KeyError, TypeError):
        return mtop("FAIL_SYS_PARAMPARSE_ERROR::参数解析错误")
    words = [w for w in re.split(r"\s+", keyword) if w]
    found = [i for i in items() if online(i, state.day) and words and all(w in i["title"] for w in words)]
    found.sort(key=lambda i: published_ms(i, state), reverse=True)
    chunk = found[(page - 1) * ROWS: page * ROWS]
    has_next = page * ROWS < len(found)
    return mtop("SUCCESS::调用成功", {
        "resultList": [result_entry(i, request, state, keyword, page, n) for n, i in enumerate(chunk)],
        "resultInfo": {"hasNextPage": has_next, "searchResControlFields": {
            "numFound": len(found), "nextPage": has_next, "hasItems": bool(chunk)}},
        "filterBar": {}, "tabList": [], "topList": [], "needDecryptKeys": [],
    })


def block_page(request: DemoRequest, state: DemoState) -> DemoResponse:
    """Risk control: what the gateway answers when it wants a slider captcha."""
    return mtop("FAIL_SYS_USER_VALIDATE::哎哟喂,被挤爆啦,请稍后重试",
                {"url": f"{request.site_url}/punish?x5secdata=demo&x5step=1"})


def item_page(request: DemoRequest, state: DemoState) -> DemoResponse:
    item = next((i for i in items() if i["id"] == request.arg("id")), None)
    if item is None or not online(item, state.day):
        return DemoResponse.html("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>闲鱼</title></head>"
                                 "<body><p>宝贝不存在或已下架</p></body></html>", status=404)
    title, _, body = item["title"].partition("\n")
    return DemoResponse.html(
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}_闲鱼</title></head>'
        f'<body><div class="item-main"><h1>{html.escape(title)}</h1><div class="price">¥{html.escape(item["price"])}'
        f'{html.escape(item.get("unit", ""))}</div><div class="desc">{html.escape(body)}</div>'
        f'<div class="seller">{html.escape(item["seller"]["nick"])} · {html.escape(item["area"])}</div>'
        f'<img src="{request.site_url}/img/{item["id"]}.jpg"></div></body></html>'
    )


def handle(request: DemoRequest, state: DemoState) -> DemoResponse:
    sub = request.subpath.rstrip("/")
    if sub == f"/h5/{API}/1.0":
        return search(request, state)
    if sub == "/item":
        return item_page(request, state)
    m = re.fullmatch(r"/img/(\d+)\.jpg", sub)
    if m:
        from crawler.demo_site.avito import photo

        body = state.cache(f"xianyu:img:{m.group(1)}", lambda: photo(480, 640, int(m.group(1)) % 10_000_019, 0))
        return DemoResponse(200, {"Content-Type": "image/jpeg"}, body)
    if sub in ("", "/"):
        return DemoResponse.html('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>闲鱼 (SaigaWatch 演示)'
                                 "</title></head><body><h1>闲鱼 — 演示</h1><p>搜索接口: /h5/" + API + "/1.0/</p></body></html>")
    return DemoResponse.not_found()
