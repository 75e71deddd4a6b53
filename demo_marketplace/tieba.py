"""Demo Baidu Tieba: mobile forum lists (/tieba/mo/q/m?kw=), desktop search (/tieba/f/search/res?qw=), 百度安全验证,
and the pages parsed threads link to: /tieba/p/<tid> (404 once deleted) and /tieba/home/main?un=<author>."""
from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from urllib.parse import quote

from demo_marketplace.server import DemoRequest, DemoResponse, DemoState, online_on
from demo_marketplace.telegram_posts import make_jpeg

PREFIXES = ["/tieba"]
FORUM_PAGE = 15
SEARCH_PAGE = 10
EPOCH = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone.utc)
CHINA = dt.timezone(dt.timedelta(hours=8))


@dataclass
class Thread:
    tid: int
    forum: str
    author: str
    title: str
    content: str
    day: int = 0
    until: int | None = None
    pics: int = 0
    replies: int = 0
    pinned: bool = False


FORUMS = {
    "羚羊角": [
        ("药材商小李", "出售羚羊角整支，正品赛加羚羊", "整支出，有意者加微信 lyj_xiaoli2026，非诚勿扰", 1),
        ("回收老物件", "收羚羊角，老货新货都要", "价格好说，电话 186 0000 1234", 0),
        ("新疆阿达", "羚羊角丝一斤起批", "哈萨克斯坦货源，量大价优，QQ 3456789012", 2),
        ("路人甲", "请问羚羊角怎么辨别真假？", "家里老人说要买点，怕买到假的山羊角", 0),
        ("护林员老王", "赛加羚羊是保护动物，买卖违法！", "大家不要购买羚羊角制品，举报电话12369", 0),
        ("小药童", "羚羊角粉多少钱一克", "求推荐靠谱的店", 0),
    ],
    "中药材": [
        ("本草堂", "鹿茸切片批发", "吉林梅花鹿茸，一手货源", 1),
        ("中医爱好者", "羚羊感冒片和银翘片哪个好", "孩子发烧，医生开了羚羊感冒片", 0),
        ("药农张哥", "出羚羊角片，量少", "自家存货，50克，私聊", 1),
        ("养生堂", "水牛角代替羚羊角可以吗", "看书上说水牛角可以替代", 0),
    ],
    "手工": [
        ("梳子匠人", "山羊角梳子手工打磨", "天然山羊角，每把不同纹理", 2),
        ("木雕小陈", "牛角雕刻摆件成品展示", "接定制", 1),
        ("老物件收藏", "收藏的羚羊造型铜摆件", "老物件，仅展示不出售", 1),
    ],
}


def build() -> list[Thread]:
    """All demo threads, oldest first."""
    threads: list[Thread] = []
    tid = 8100000000
    for round_ in range(3):
        for forum, rows in FORUMS.items():
            for n, (author, title, content, pics) in enumerate(rows):
                tid += 137
                day = -10 + round_ * 3 + n // 3 if round_ < 2 else n // 2
                threads.append(Thread(tid, forum, author, title + ("" if round_ == 0 else f"（{round_ + 1}）"), content,
                                      day=day, pics=pics, replies=(tid // 7) % 40, until=1 if (round_, n, forum) == (0, 1, "羚羊角") else None))
    threads.append(Thread(8100009999, "羚羊角", "吧主", "【吧规】禁止发布违法交易信息", "违者删帖封号", day=-30, pinned=True))
    return threads


def online(day: int) -> list[Thread]:
    """The demo threads online on a simulated day."""
    return online_on(build(), day)


def _threads(state: DemoState) -> list[Thread]:
    return state.cache("tieba:threads", build)


def _visible(state: DemoState) -> list[Thread]:
    return online_on(_threads(state), state.day)


def handle(request: DemoRequest, state: DemoState) -> DemoResponse:
    sub = request.subpath
    if request.arg("demo_block"):
        return block_page(request, state)
    if sub.startswith("/img/"):
        return DemoResponse(200, {"Content-Type": "image/jpeg"}, make_jpeg("", [], seed=len(sub)))
    if sub == "/mo/q/m" and request.arg("kw"):
        return _forum(request, state)
    if sub == "/f/search/res":
        return _search(request, state)
    if sub.startswith("/p/") and sub[3:].strip("/").isdigit():
        return _thread_page(request, state, int(sub[3:].strip("/")))
    if sub == "/home/main" and request.arg("un"):
        return _home_page(request, state, request.arg("un") or "")
    return DemoResponse.not_found()


def _thread_page(request: DemoRequest, state: DemoState, tid: int) -> DemoResponse:
    """tieba.baidu.com/p/<tid>: the thread's first floor; Baidu's «该贴已被删除» with 404 once it is gone."""
    thread = next((t for t in _visible(state) if t.tid == tid), None)
    if thread is None:
        return _page("贴吧404", '<div class="page404">很抱歉，该贴已被删除。</div>', 404)
    pics = "".join(f'<img class="BDE_Image" width="300" src="{request.site_url}/img/{tid}_{n}.jpg">' for n in range(thread.pics))
    body = (f'<div class="card_title"><a class="card_title_fname" href="{request.site_url}/mo/q/m?kw={quote(thread.forum)}">{html.escape(thread.forum)}吧</a></div>'
            f'<h1 class="core_title_txt">{html.escape(thread.title)}</h1>'
            f'<div class="l_post j_l_post" data-tid="{tid}"><div class="d_author"><a class="p_author_name j_user_card" '
            f'href="{request.site_url}/home/main?un={quote(thread.author)}">{html.escape(thread.author)}</a></div>'
            f'<div class="d_post_content j_d_post_content">{html.escape(thread.content)}<br>{pics}</div>'
            f'<div class="post-tail-wrap"><span class="tail-info">1楼</span><span class="tail-info">{_when(thread):%Y-%m-%d %H:%M}</span></div></div>'
            f'<div class="l_reply_num">回复贴：{thread.replies}</div>')
    return _page(f"{thread.title}_{thread.forum}吧_百度贴吧", body)


def _home_page(request: DemoRequest, state: DemoState, author: str) -> DemoResponse:
    threads = [t for t in _visible(state) if t.author == author]
    if not threads:
        return _page("贴吧404", '<div class="page404">抱歉，您访问的用户已被屏蔽。</div>', 404)
    rows = "".join(f'<li><a href="{request.site_url}/p/{t.tid}">{html.escape(t.title)}</a> — {html.escape(t.forum)}吧</li>' for t in threads)
    return _page(f"{author}的贴吧", f'<h1 class="userinfo_username">{html.escape(author)}</h1><ul class="thread_list">{rows}</ul>')


def _page(title: str, body: str, status: int = 200) -> DemoResponse:
    return DemoResponse.html(f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;background:#f5f5f5;margin:0}}#container{{max-width:720px;margin:16px auto;background:#fff;padding:16px}}
.core_title_txt{{font-size:20px}}.d_post_content{{margin:12px 0;font-size:15px;line-height:1.6}}.tail-info{{color:#999;font-size:12px;margin-right:8px}}</style></head>
<body><div id="container">{body}</div></body></html>""", status)


def block_page(request: DemoRequest, state: DemoState) -> DemoResponse:
    """Baidu's security check page («百度安全验证»)."""
    return DemoResponse.html("""<!DOCTYPE html><html><head><meta charset="utf-8"><title>百度安全验证</title></head>
<body><div class="timeout hide"><div class="timeout-img"></div><div class="timeout-title">网络不给力，请稍后重试</div></div>
<div class="mod-vcodes"><p class="mod-title">请完成下方验证后继续操作</p><div id="vcode_spin"></div></div></body></html>""")


def _when(t: Thread) -> dt.datetime:
    return (EPOCH + dt.timedelta(days=t.day, minutes=(t.tid // 137) % 600)).astimezone(CHINA)


def _forum(request: DemoRequest, state: DemoState) -> DemoResponse:
    kw = (request.arg("kw") or "").removesuffix("吧")
    threads = [t for t in _visible(state) if t.forum == kw]
    threads.sort(key=lambda t: (not t.pinned, -t.day, -t.tid))
    pn = max(request.int_arg("pn", 0), 0)
    page = threads[pn: pn + FORUM_PAGE]
    now = (EPOCH + dt.timedelta(days=state.day, hours=12)).astimezone(CHINA)
    items = []
    for t in page:
        when = _when(t)
        shown = when.strftime("%H:%M") if when.date() == now.date() else when.strftime("%m-%d")
        icon = '<span class="ti_title_icon ti_icon_zhiding">置顶</span>' if t.pinned else ""
        pics = ""
        if t.pics:
            imgs = "".join(f'<img class="j_media_thumb_holder medias_img medias_thumb_holder" src="//tb2.bdstatic.com/loading.png" '
                           f'data-url="{request.site_url}/img/{t.tid}_{n}.jpg" data-canclick="1" />' for n in range(t.pics))
            pics = f'<div class="medias_wrap clearfix"><div class="medias_one_pic">{imgs}</div></div>'
        home = "/home/main?un=" + quote(t.author)
        items.append(f"""<li class="tl_shadow tl_shadow_new"><div class="ti_infos clearfix"><div class="ti_avatar" data-url="{home}"><img src="//tb.example/avatar.png" alt=""></div><div class="ti_author_time" data-url="{home}"><div class="ti_author_icons clearfix"><span class="ti_author">{html.escape(t.author)}</span></div><span class="ti_time">{shown}</span></div></div><a href="{request.prefix}/p/{t.tid}?lp=5028&amp;mo_device=1&amp;is_jingpost=0" class="j_common ti_item" tid="{t.tid}"><div class="ti_title">{icon}<span>{html.escape(t.title)}</span></div>{pics}<div class="ti_zan_reply clearfix"><div class="ti_func_btn btn_reply j_ti_reply"><span class="btn_icon">{t.replies}</span></div></div></a></li>""")
    more = ""
    if pn + FORUM_PAGE < len(threads):
        more = f'<a class="next" href="{request.prefix}/mo/q/m?kw={quote(kw)}&amp;pn={pn + FORUM_PAGE}">下一页</a>'
    body = f"""<!DOCTYPE HTML><html><!--STATUS OK--><head><meta charset="utf-8"><meta content="width=device-width,initial-scale=1,user-scalable=no" name="viewport"><title>{html.escape(kw)}吧_百度贴吧</title></head>
<body><div id="frslistcontent"><ul id="frs_list" class="threads_list">{''.join(items)}</ul>{more}</div></body></html>"""
    return DemoResponse.html(body)


def _search(request: DemoRequest, state: DemoState) -> DemoResponse:
    qw = (request.arg("qw") or "").strip()
    hits = [t for t in _visible(state) if qw and (qw in t.title or qw in t.content)]
    hits.sort(key=lambda t: (-t.day, -t.tid))
    pn = max(request.int_arg("pn", 1), 1)
    page = hits[(pn - 1) * SEARCH_PAGE: pn * SEARCH_PAGE]
    posts = []
    for t in page:
        pid = t.tid * 10 + 3
        home = "/home/main?un=" + quote(t.author)
        pics = "".join(f'<img class="p_pic" original="{request.site_url}/img/{t.tid}_{n}.jpg" src="{request.site_url}/img/{t.tid}_{n}.jpg">' for n in range(t.pics))
        hl = html.escape(t.title).replace(html.escape(qw), f"<em>{html.escape(qw)}</em>") if qw else html.escape(t.title)
        posts.append(f"""<div class="s_post"><span class="p_title"><a data-tid="{t.tid}" data-fid="{abs(hash(t.forum)) % 100000}" class="bluelink" href="{request.prefix}/p/{t.tid}?pid={pid}&amp;cid=#{pid}" target="_blank">{hl}</a></span><div class="p_content">{html.escape(t.content)}</div>{f'<div class="p_mediaCont">{pics}</div>' if pics else ''}
贴吧：<a data-fid="1" class="p_forum" href="/f?kw={quote(t.forum)}" target="_blank"><font class="p_violet">{html.escape(t.forum)}</font></a>作者：<a href="{home}" target="_blank"><font class="p_violet">{html.escape(t.author)}</font></a><font class="p_green p_date">{_when(t):%Y-%m-%d %H:%M}</font></div>""")
    pager = ""
    if pn * SEARCH_PAGE < len(hits):
        pager = f'<div class="pager pager-search"><a href="{request.prefix}/f/search/res?isnew=1&amp;qw={quote(qw)}&amp;pn={pn + 1}" class="next">下一页&gt;</a></div>'
    noresult = "" if posts else '<div class="search_noresult">抱歉，没有找到与“' + html.escape(qw) + '”相关的结果。</div>'
    body = f"""<!DOCTYPE html><html><head><meta charset="UTF-8"><title>百度贴吧_全吧搜索</title></head>
<body><div class="s_container"><div class="s_main">{noresult}<div class="s_post_list">{''.join(posts)}</div>{pager}</div></div></body></html>"""
    return DemoResponse.html(body)
