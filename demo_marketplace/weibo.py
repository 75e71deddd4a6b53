"""Demo Weibo mobile API: /weibo/api/container/getIndex search, /weibo/statuses/extend, and the visitor-page redirect;
the pages parsed posts link to: /weibo/detail/<id> (404 once deleted) and /weibo/u/<uid>, open to anonymous browsers.

Requests without a `SUB=` cookie (or with `demo_block=1`) are redirected to /weibo/passport/visitor, as
m.weibo.cn sends anonymous clients to passport.weibo.com.
"""
from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass
from urllib.parse import parse_qs, quote

from demo_marketplace.server import DemoRequest, DemoResponse, DemoState, online_on
from demo_marketplace.telegram_posts import make_jpeg

PREFIXES = ["/weibo"]
PAGE_SIZE = 10
EPOCH = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.timezone.utc)
USERS = {
    7001: "西北药材老张", 7002: "羚羊角丝批发", 7003: "环球时报-生态", 7004: "手工山羊角梳", 7005: "中药养生小课堂",
    7006: "海关发布", 7007: "收藏爱好者阿明",
}


@dataclass
class Mblog:
    id: int
    user: int
    text: str
    day: int = 0
    until: int | None = None
    long_tail: str = ""  # extra text only shown by statuses/extend
    pics: int = 0
    region: str = ""
    retweet_of: int | None = None


_POSTS = [
    (7001, "出售正宗赛加羚羊角，整支，带血丝，价格私聊。微信: zhang_yaocai88", "整支约260克，另有羚羊角丝、羚羊角粉，量大从优。电话 139 1234 5678", 2, "甘肃"),
    (7002, "羚羊角丝现货，一两起批，包邮。", "货源来自哈萨克斯坦，品质保证，需要的加VX：lyjs_pifa", 1, "新疆"),
    (7007, "收购老羚羊角，价格从优，有货的朋友联系QQ 2876543210", "", 0, "广东"),
    (7001, "羚羊角片 50g，清热平肝，欢迎咨询", "", 1, "甘肃"),
    (7002, "高价回收赛加羚羊角，全国上门", "", 0, "新疆"),
    (7003, "海关查获走私赛加羚羊角 300 余支，案件已移交缉私部门", "据介绍，赛加羚羊为国家一级保护动物，其制品严禁非法买卖。", 1, "北京"),
    (7006, "【打击走私】霍尔果斯口岸查获羚羊角制品，涉案价值超百万元", "", 1, "新疆"),
    (7003, "保护赛加羚羊：哈萨克斯坦种群数量回升至280万只", "专家呼吁继续严厉打击羚羊角非法贸易。", 0, "北京"),
    (7004, "手工山羊角梳子，天然山羊角，送礼佳品", "", 2, "浙江"),
    (7004, "山羊角工艺品摆件，牛角梳批发", "", 1, "浙江"),
    (7005, "羚羊感冒片怎么吃？说明书解读", "羚羊感冒片为中成药，含羚羊角粉（人工替代品）。", 0, "上海"),
    (7005, "鹿茸的功效与禁忌", "", 0, "上海"),
    (7007, "分享一下我收藏的牛角雕刻", "", 1, "广东"),
]


def build() -> list[Mblog]:
    """All demo mblogs, oldest first."""
    posts: list[Mblog] = []
    for round_ in range(3):
        for n, (uid, text, tail, pics, region) in enumerate(_POSTS):
            day = -12 + round_ * 4 + n // 5 if round_ < 2 else n // 4
            posts.append(Mblog(id=4900000000000000 + len(posts) * 1000 + 7, user=uid, text=text, day=day, long_tail=tail,
                               pics=pics, region=region, until=1 if (round_, n) == (0, 4) else None))
    posts.append(Mblog(id=4900000000900007, user=7003, text="转发：大家注意，这种是违法的！", day=0, retweet_of=posts[0].id))
    return posts


def online(day: int) -> list[Mblog]:
    """The demo posts online on a simulated day."""
    return online_on(build(), day)


def _posts(state: DemoState) -> list[Mblog]:
    return state.cache("weibo:posts", build)


def _visible(state: DemoState) -> list[Mblog]:
    return online_on(_posts(state), state.day)


def handle(request: DemoRequest, state: DemoState) -> DemoResponse:
    sub = request.subpath
    if sub.startswith("/passport/visitor"):
        return visitor_page()
    if sub.startswith("/img/"):
        return DemoResponse(200, {"Content-Type": "image/jpeg"}, make_jpeg("", [], seed=len(sub)))
    if sub.startswith("/detail/") or sub.startswith("/u/"):
        return _web_page(request, state, sub)
    cookie = request.headers.get("cookie", "")
    if "SUB=" not in cookie or request.arg("demo_block"):
        target = quote(request.site_url + sub, safe="")
        return DemoResponse.redirect(f"{request.site_url}/passport/visitor?entry=miniblog&url={target}")
    if sub == "/api/container/getIndex":
        return _get_index(request, state)
    if sub == "/statuses/extend":
        return _extend(request, state)
    return DemoResponse.not_found()


def block_page(request: DemoRequest, state: DemoState) -> DemoResponse:
    """The fault 'block' on Weibo: the redirect to the visitor system."""
    return DemoResponse.redirect(f"{request.site_url}/passport/visitor?entry=miniblog")


def visitor_page() -> DemoResponse:
    return DemoResponse.html("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sina Visitor System</title></head>
<body><script>var url = "https://passport.weibo.com/visitor/genvisitor";</script><p>Sina Visitor System</p></body></html>""")


def _search_query(request: DemoRequest) -> str:
    containerid = request.arg("containerid") or ""
    # containerid=100103type=1&q=<q> (itself URL-encoded in the real request)
    inner = parse_qs(containerid.split("type=1&", 1)[-1] if "type=1&" in containerid else containerid)
    return (inner.get("q") or [""])[0]


def _get_index(request: DemoRequest, state: DemoState) -> DemoResponse:
    query = _search_query(request).strip()
    if not query:
        return DemoResponse.json({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}})
    hits = [p for p in _visible(state) if query in p.text or query in p.long_tail]
    hits.sort(key=lambda p: (p.day, p.id), reverse=True)
    page = max(request.int_arg("page", 1), 1)
    chunk = hits[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    if not chunk:
        return DemoResponse.json({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}})
    by_id = {p.id: p for p in _posts(state)}
    cards = [{"card_type": 9, "itemid": f"seqid:{p.id}", "mblog": _mblog(request, p, by_id)} for p in chunk]
    more = page * PAGE_SIZE < len(hits)
    return DemoResponse.json({"ok": 1, "data": {
        "cardlistInfo": {"containerid": request.arg("containerid"), "v_p": 42, "show_style": 1, "total": len(hits),
                         "page": page + 1 if more else None},
        "cards": [{"card_type": 11, "card_group": cards[:3]}] + cards[3:],
        "scheme": "sinaweibo://cardlist",
    }})


def _created_at(p: Mblog) -> str:
    stamp = (EPOCH + dt.timedelta(days=p.day, minutes=p.id % 600)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    return stamp.strftime("%a %b %d %H:%M:%S +0800 %Y")


def _mblog(request: DemoRequest, p: Mblog, by_id: dict) -> dict:
    is_long = bool(p.long_tail)
    text = html.escape(p.text).replace("\n", "<br />")
    if is_long:
        text += f' ...<a href="/status/{p.id}">全文</a>'
    pid_list = [f"demo{p.id}x{n}" for n in range(p.pics)]
    mblog = {
        "visible": {"type": 0, "list_id": 0}, "created_at": _created_at(p), "id": str(p.id), "mid": str(p.id),
        "bid": f"N{p.id % 100000}", "text": text, "textLength": len(p.text + p.long_tail) * 2, "source": "微博 weibo.com",
        "pic_ids": pid_list, "pic_num": p.pics, "isLongText": is_long, "region_name": f"发布于 {p.region}" if p.region else "",
        "user": {"id": p.user, "screen_name": USERS[p.user], "profile_url": f"{request.site_url}/u/{p.user}",
                 "verified": p.user in (7003, 7006), "followers_count": 1200 + p.user},
        "reposts_count": p.id % 9, "comments_count": p.id % 13, "attitudes_count": p.id % 31, "edit_config": {"edited": False},
    }
    if p.pics:
        mblog["pics"] = [{"pid": pid, "url": f"{request.site_url}/img/{pid}.jpg", "size": "orj360",
                          "large": {"size": "large", "url": f"{request.site_url}/img/{pid}-large.jpg"}} for pid in pid_list]
    if p.retweet_of and p.retweet_of in by_id:
        mblog["retweeted_status"] = _mblog(request, by_id[p.retweet_of], by_id)
    return mblog


def _web_page(request: DemoRequest, state: DemoState, sub: str) -> DemoResponse:
    """m.weibo.cn/detail/<id> (the post, its data also in `$render_data` as on Weibo) and m.weibo.cn/u/<uid>."""
    kind, _, ident = sub.strip("/").partition("/")
    by_id = {p.id: p for p in _posts(state)}
    if kind == "detail":
        post = next((p for p in _visible(state) if str(p.id) == ident), None)
        if post is None:
            return _page("微博-出错了", '<div class="h5-4con">该微博不存在或已被删除</div>', 404)
        status = _mblog(request, post, by_id)
        data = json.dumps([{"status": status}], ensure_ascii=False).replace("</", "<\\/")
        return _page(f"{USERS[post.user]}的微博", render_post(request, post, by_id) + f"<script>var $render_data = {data}[0] || {{}};</script>")
    if kind == "u" and ident.isdigit() and int(ident) in USERS:
        uid = int(ident)
        posts = sorted((p for p in _visible(state) if p.user == uid), key=lambda p: (p.day, p.id), reverse=True)[:10]
        return _page(f"{USERS[uid]}的微博", f'<h1 class="m-text-cut">{html.escape(USERS[uid])}</h1>'
                     + "".join(render_post(request, p, by_id) for p in posts))
    return _page("微博-出错了", '<div class="h5-4con">页面不存在</div>', 404)


def render_post(request: DemoRequest, p: Mblog, by_id: dict) -> str:
    """A post as m.weibo.cn shows it: author, time, full text, pictures, a quoted original for reposts."""
    pics = "".join(f'<img class="m-img-box" width="200" src="{request.site_url}/img/demo{p.id}x{n}-large.jpg" alt="">' for n in range(p.pics))
    quoted = ""
    if p.retweet_of and p.retweet_of in by_id:
        o = by_id[p.retweet_of]
        quoted = (f'<div class="retweet"><a href="{request.site_url}/u/{o.user}">@{html.escape(USERS[o.user])}</a>: '
                  f'{html.escape(o.text + o.long_tail)} <a href="{request.site_url}/detail/{o.id}">原微博</a></div>')
    region = f" 发布于 {html.escape(p.region)}" if p.region else ""
    return (f'<div class="card m-panel card9" data-id="{p.id}"><header class="weibo-top"><a class="m-text-cut" href="{request.site_url}/u/{p.user}">'
            f'{html.escape(USERS[p.user])}</a><div class="time">{_created_at(p)}{region}</div></header>'
            f'<article class="weibo-main"><div class="weibo-text">{html.escape(p.text + p.long_tail)}</div>{quoted}'
            f'<div class="weibo-media">{pics}</div></article>'
            f'<footer class="m-ctrl-box">转发 {p.id % 9} · 评论 {p.id % 13} · 赞 {p.id % 31}</footer></div>')


def _page(title: str, body: str, status: int = 200) -> DemoResponse:
    return DemoResponse.html(f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;background:#f2f2f2;margin:0}}#app{{max-width:640px;margin:0 auto;background:#fff;padding:12px}}
.card{{border-bottom:8px solid #f2f2f2;padding:12px 0}}.m-text-cut{{font-weight:bold;color:#333}}.time{{color:#929292;font-size:12px}}
.weibo-text{{margin:8px 0;font-size:16px;line-height:1.6}}.retweet{{background:#f7f7f7;padding:8px}}.m-ctrl-box{{color:#929292;font-size:13px}}</style></head>
<body><div id="app">{body}</div></body></html>""", status)


def _extend(request: DemoRequest, state: DemoState) -> DemoResponse:
    wanted = request.arg("id") or ""
    for p in _visible(state):
        if str(p.id) == wanted:
            full = html.escape(p.text + p.long_tail).replace("\n", "<br />")
            return DemoResponse.json({"ok": 1, "data": {"ok": 1, "longTextContent": full, "reposts_count": p.id % 9,
                                                         "comments_count": p.id % 13, "attitudes_count": p.id % 31}})
    return DemoResponse.json({"ok": 0, "msg": "该微博不存在", "data": {}})
