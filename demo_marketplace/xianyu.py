"""The demo Xianyu/Goofish: the mtop search API (signed, session cookies required), item pages, photos.

Paths below the `/xianyu` prefix:
- `POST|GET /h5/mtop.taobao.idlemtopsearch.pc.search/1.0/?appKey&t&sign&...` with `data={"keyword",
  "pageNumber","rowsPerPage"}` (form body or query). Like the real gateway it needs the session cookies
  `_m_h5_tk` (token_expiry) and `cookie2`, and `sign = md5(token&t&appKey&data)`; otherwise it answers
  FAIL_SYS_TOKEN_EMPTY / FAIL_SYS_SESSION_EXPIRED / FAIL_SYS_ILLEGAL_ACCESS. An expired `_m_h5_tk`
  gets FAIL_SYS_TOKEN_EXOIRED with a fresh token in Set-Cookie, as on the real site. 6 results a page.
- `POST|GET /h5/mtop.taobao.idle.pc.detail/1.0/` with `data={"itemId"}`, the same session and signature
  checks: an item on sale answers `data.itemDO` (itemStatus 0) and `data.sellerDO`; after its last online
  day an item answers what its `gone` says: "sold" / "off_shelf" (itemStatus 2 / 1, still described) or
  "deleted" (`FAIL_BIZ_ITEM_NOT_EXIST::宝贝不存在`, also for ids that never existed).
  Items with `searchable: [first, last]` stay on sale but drop out of the search results after `last`
  (as restricted goods do when the platform quietly de-ranks them).
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

from demo_marketplace.server import DemoRequest, DemoResponse, DemoState

PREFIXES = ["/xianyu"]
API = "mtop.taobao.idlemtopsearch.pc.search"
DETAIL_API = "mtop.taobao.idle.pc.detail"
# itemDO.itemStatus / itemStatusStr of an item that is no longer on sale, by its `gone` value
GONE_STATUS = {"off_shelf": (1, "已下架"), "sold": (2, "已卖出")}
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


def searchable(item: dict, day: int) -> bool:
    """Online and surfaced by search (an item may stay on sale yet drop out of the results)."""
    first, last = item.get("searchable") or item["online"]
    return online(item, day) and first <= day and (last is None or day <= last)


def published_ms(item: dict, state: DemoState) -> int:
    d0 = state.cache("xianyu:day0", lambda: dt.datetime.now(BEIJING).date() - dt.timedelta(days=7))
    offset, hm = item["published"]
    day = d0 + dt.timedelta(days=offset)
    hh, mm = map(int, hm.split(":"))
    return int(dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=BEIJING).timestamp() * 1000)


def sign(token: str, t: str, app_key: str, data: str) -> str:
    """The mtop request signature: md5 of "token&t&appKey&data"."""
    return hashlib.md5(f"{token}&{t}&{app_key}&{data}".encode("utf-8")).hexdigest()


def mtop(ret: str, data: dict | None = None, api: str = API, **headers: str) -> DemoResponse:
    return DemoResponse.json({"api": api, "data": data or {}, "ret": [ret], "v": "1.0"}, headers=headers or None)


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


def gateway(request: DemoRequest, state: DemoState, api: str) -> tuple[DemoResponse | None, str]:
    """The mtop gateway's checks (session cookies, token expiry, signature): (refusal or None, the data string)."""
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
        return mtop("FAIL_SYS_TOKEN_EMPTY::令牌为空", api=api,
                    **{"Set-Cookie": f"_m_h5_tk={new}_9999999999999; Path=/"}), data_raw
    if cookies.get("cookie2") is None:
        return mtop("FAIL_SYS_SESSION_EXPIRED::Session过期", api=api), data_raw
    token, _, expiry = tk.value.partition("_")
    now_ms = int(time.time() * 1000)
    if not expiry.isdigit() or int(expiry) < now_ms:
        # like the real gateway: the signing token is short-lived; a fresh one comes back as a cookie
        fresh = hashlib.md5(f"{cookies['cookie2'].value}:{now_ms // 3_600_000}".encode()).hexdigest()
        return mtop("FAIL_SYS_TOKEN_EXOIRED::令牌过期", api=api,
                    **{"Set-Cookie": f"_m_h5_tk={fresh}_{now_ms + 3_600_000}; Path=/"}), data_raw
    if request.arg("sign") != sign(token, request.arg("t", ""), request.arg("appKey", ""), data_raw):
        return mtop("FAIL_SYS_ILLEGAL_ACCESS::非法请求", api=api), data_raw
    return None, data_raw


def search(request: DemoRequest, state: DemoState) -> DemoResponse:
    refusal, data_raw = gateway(request, state, API)
    if refusal is not None:
        return refusal
    try:
        data = json.loads(data_raw)
        keyword = str(data["keyword"]).strip()
        page = max(1, int(data.get("pageNumber", 1)))
    except (ValueError, KeyError, TypeError):
        return mtop("FAIL_SYS_PARAMPARSE_ERROR::参数解析错误")
    words = [w for w in re.split(r"\s+", keyword) if w]
    found = [i for i in items() if searchable(i, state.day) and words and all(w in i["title"] for w in words)]
    found.sort(key=lambda i: published_ms(i, state), reverse=True)
    chunk = found[(page - 1) * ROWS: page * ROWS]
    has_next = page * ROWS < len(found)
    return mtop("SUCCESS::调用成功", {
        "resultList": [result_entry(i, request, state, keyword, page, n) for n, i in enumerate(chunk)],
        "resultInfo": {"hasNextPage": has_next, "searchResControlFields": {
            "numFound": len(found), "nextPage": has_next, "hasItems": bool(chunk)}},
        "filterBar": {}, "tabList": [], "topList": [], "needDecryptKeys": [],
    })


def detail(request: DemoRequest, state: DemoState) -> DemoResponse:
    """The item detail API: itemDO/sellerDO while on sale; sold/off shelf status or "not exist" afterwards."""
    refusal, data_raw = gateway(request, state, DETAIL_API)
    if refusal is not None:
        return refusal
    try:
        item_id = str(json.loads(data_raw)["itemId"]).strip()
    except (ValueError, KeyError, TypeError):
        return mtop("FAIL_SYS_PARAMPARSE_ERROR::参数解析错误", api=DETAIL_API)
    item = next((i for i in items() if i["id"] == item_id), None)
    first, last = item["online"] if item is not None else (0, None)
    gone = item.get("gone", "deleted") if item is not None else "deleted"
    if item is None or state.day < first or (not online(item, state.day) and gone not in GONE_STATUS):
        return mtop("FAIL_BIZ_ITEM_NOT_EXIST::宝贝不存在", api=DETAIL_API)
    status, status_str = (0, "在售") if online(item, state.day) else GONE_STATUS[gone]
    return mtop("SUCCESS::调用成功", detail_data(item, request, state, status, status_str), api=DETAIL_API)


def detail_data(item: dict, request: DemoRequest, state: DemoState, status: int, status_str: str) -> dict:
    """`data` of a detail answer in the shape of the real PC detail API (the fields SaigaWatch reads, and some)."""
    price_yuan = str(int(float(item["price"]) * (10_000 if item.get("unit") == "万" else 1)))
    title = item["title"].split("\n", 1)[0]
    seller_number = int(hashlib.md5(item["seller"]["id"].encode()).hexdigest()[:10], 16)
    return {
        "b2cBuyerDO": {"buyQualificationActList": [], "isFirstOrderUser": False, "favored": False},
        "itemDO": {
            "itemId": int(item["id"]), "title": title, "desc": item["title"], "titleIsUserInput": False,
            "soldPrice": price_yuan, "originalPrice": "0", "transportFee": "0.00", "priceUnit": "元",
            "itemStatus": status, "itemStatusStr": status_str, "quantity": 1 if status == 0 else 0,
            "gmtCreate": published_ms(item, state), "wantCnt": item.get("want", 0), "browseCnt": 40 + item.get("want", 0) * 7,
            "collectCnt": item.get("want", 0) // 2, "categoryId": 50023914, "itemType": "detailCommonBuy",
            "imageInfos": [{"major": True, "type": 0, "url": f"{request.site_url}/img/{item['id']}.jpg",
                            "widthSize": 480, "heightSize": 640, "labels": []}],
            "trackParams": {"itemId": item["id"], "sellerId": str(seller_number)},
        },
        "sellerDO": {
            "sellerId": seller_number, "nick": item["seller"]["nick"], "publishCity": item["area"],
            "city": item["area"], "userRegDay": 800, "hasSoldNumInteger": 3, "zhimaAuth": True,
        },
    }


def block_page(request: DemoRequest, state: DemoState) -> DemoResponse:
    """Risk control: what the gateway answers when it wants a slider captcha."""
    api = DETAIL_API if DETAIL_API in request.subpath else API
    return mtop("FAIL_SYS_USER_VALIDATE::哎哟喂,被挤爆啦,请稍后重试",
                {"url": f"{request.site_url}/punish?x5secdata=demo&x5step=1"}, api=api)


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
    if sub == f"/h5/{DETAIL_API}/1.0":
        return detail(request, state)
    if sub == "/item":
        return item_page(request, state)
    m = re.fullmatch(r"/img/(\d+)\.jpg", sub)
    if m:
        from demo_marketplace.avito import photo

        body = state.cache(f"xianyu:img:{m.group(1)}", lambda: photo(480, 640, int(m.group(1)) % 10_000_019, 0))
        return DemoResponse(200, {"Content-Type": "image/jpeg"}, body)
    if sub in ("", "/"):
        return DemoResponse.html('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>闲鱼 (SaigaWatch 演示)'
                                 "</title></head><body><h1>闲鱼 — 演示</h1><p>搜索接口: /h5/" + API + "/1.0/</p></body></html>")
    return DemoResponse.not_found()
