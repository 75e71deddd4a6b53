"""Demo t.me: /telegram/s/<channel> previews with ?before= pagination, ?q= search, single posts at /telegram/<channel>/<id>
(404 once deleted), photos and a flood-wait page. Post and channel links point at this server, as t.me's point at t.me."""
from __future__ import annotations

import dataclasses
import html
from urllib.parse import quote

from demo_marketplace.server import DemoRequest, DemoResponse, DemoState, online_on
from demo_marketplace.telegram_posts import CHANNELS, Post, build, make_jpeg

PREFIXES = ["/telegram"]
PAGE_SIZE = 20


def _posts(state: DemoState) -> dict[str, list[Post]]:
    return state.cache("telegram:posts", build)


def visible(posts: list[Post], day: int) -> list[Post]:
    """Posts online on a simulated day (as edited by then), oldest first."""
    return [dataclasses.replace(p, text=p.edit[1], edited=True) if p.edit and day >= p.edit[0] else p
            for p in online_on(posts, day)]


def handle(request: DemoRequest, state: DemoState) -> DemoResponse:
    sub = request.subpath
    if sub.startswith("/img/"):
        return _image(sub[len("/img/"):])
    parts = [p for p in sub.split("/") if p]
    if len(parts) == 2 and parts[0] == "s":
        return _channel_page(request, state, parts[1])
    if len(parts) == 1:
        return _plain_page(request, state, parts[0])
    if len(parts) == 2 and parts[1].isdigit():
        return _single_post(request, state, parts[0], int(parts[1]))
    return DemoResponse.not_found()


def block_page(request: DemoRequest, state: DemoState) -> DemoResponse:
    """What t.me answers when asked too often: a bare 429 page."""
    return DemoResponse.html("<html><head><title>Too Many Requests</title></head><body>Too Many Requests: retry after 30</body></html>",
                             429, {"Retry-After": "30"})


def _image(name: str) -> DemoResponse:
    if name == "phone-card.jpg":
        body = make_jpeg("РОГА САЙГИ", ["Звоните:", "+7 701 234 56 78"], size=(640, 300))
    else:
        body = make_jpeg("", [], seed=sum(map(ord, name)))
    return DemoResponse(200, {"Content-Type": "image/jpeg"}, body)


def _channel_page(request: DemoRequest, state: DemoState, name: str) -> DemoResponse:
    all_posts = _posts(state)
    key = name.lower()
    if key not in all_posts:
        return DemoResponse.redirect(f"{request.site_url}/{quote(name)}")
    online = visible(all_posts[key], state.day)
    query = (request.arg("q") or "").strip()
    if query:
        words = query.lower().split()
        online = [p for p in online if not p.service and all(w in html.unescape(p.text).lower() for w in words)]
    before = request.int_arg("before", 0)
    if before:
        online = [p for p in online if p.id < before]
    page = online[-PAGE_SIZE:]
    older = len(online) > len(page)
    return DemoResponse.html(render_channel(request.site_url, key, page, older, query, len(all_posts[key])))


def _plain_page(request: DemoRequest, state: DemoState, name: str) -> DemoResponse:
    if name.lower() in _posts(state):
        info = CHANNELS[name.lower()]
        body = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram: Contact @{name}</title></head>
<body><div class="tgme_page_wrap"><div class="tgme_page"><div class="tgme_page_title"><span dir="auto">{html.escape(info['title'])}</span></div>
<div class="tgme_page_extra">@{name}</div><a class="tgme_action_button_new" href="{request.site_url}/s/{name}">Preview channel</a></div></div></body></html>"""
        return DemoResponse.html(body)
    body = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram: Contact @{html.escape(name)}</title></head>
<body><div class="tgme_page_wrap"><div class="tgme_page"><div class="tgme_page_description">If you have <strong>Telegram</strong>, you can contact <a class="tgme_username_link" href="tg://resolve?domain={html.escape(name)}">@{html.escape(name)}</a> right away.</div></div></div></body></html>"""
    return DemoResponse.html(body)


def _single_post(request: DemoRequest, state: DemoState, name: str, post_id: int) -> DemoResponse:
    posts = _posts(state).get(name.lower(), [])
    for post in visible(posts, state.day):
        if post.id == post_id:
            return DemoResponse.html(render_channel(request.site_url, name.lower(), [post], False, "", len(posts)))
    return DemoResponse.html("<html><head><title>Telegram</title></head><body><div class='tgme_page'>Post not found</div></body></html>", 404)


_STYLE = ("body{font-family:sans-serif;background:#d8e3c9;margin:0}.tgme_header{background:#fff;padding:10px 16px;font-weight:bold}"
          ".tgme_header a,.tgme_channel_info a{color:#168acd;text-decoration:none}.tgme_right_column{display:none}"
          ".tgme_main{max-width:640px;margin:16px auto}.tgme_widget_message_wrap{margin:8px 0}"
          ".tgme_widget_message_user{display:none}.tgme_widget_message_bubble{background:#fff;border-radius:12px;padding:10px 14px}"
          ".tgme_widget_message_owner_name{color:#2481cc;font-weight:bold;text-decoration:none}"
          ".tgme_widget_message_text{margin:6px 0;line-height:1.45;white-space:normal}"
          ".tgme_widget_message_photo_wrap{display:inline-block;width:300px!important;height:200px;background-size:cover;margin:4px 4px 0 0}"
          ".tgme_widget_message_footer{color:#8c9aa8;font-size:13px;text-align:right}.tgme_widget_message_date{color:#8c9aa8}"
          ".tgme_widget_message_views{margin-right:6px}.copyonly{display:none}")


def render_channel(site: str, name: str, posts: list[Post], older: bool, query: str, total: int) -> str:
    """A t.me/s/<channel> page in the real markup."""
    info = CHANNELS[name]
    title = html.escape(info["title"])
    messages = "".join(render_post(site, name, info["title"], p) for p in posts)
    more = ""
    if older and posts:
        q = f"q={quote(query)}&" if query else ""
        more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a href="/telegram/s/{name}?{q}before={posts[0].id}" '
                f'class="tme_messages_more js-messages_more" data-before="{posts[0].id}"></a></div>')
    prev_link = f'<link rel="prev" href="/telegram/s/{name}?before={posts[0].id}">' if older and posts and not query else ""
    search_note = ""
    if query:
        search_note = f'<div class="tgme_channel_history_search_label">Search results for «{html.escape(query)}»</div>'
        if not posts:
            search_note += '<div class="tgme_widget_message_centered">No posts found</div>'
    return f"""<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <title>{title} – Telegram</title>
    <meta property="og:title" content="{title}">
    <meta property="og:site_name" content="Telegram">
    <link rel="canonical" href="/s/{name}">
    {prev_link}
    <style>{_STYLE}</style>
  </head>
  <body class="widget_frame_base tgme_webpreview_body">
<header class="tgme_header search_collapsed">
  <div class="tgme_header_info">
    <a class="tgme_header_link" href="{site}/{name}">
      <div class="tgme_header_title_wrap"><div class="tgme_header_title"><span dir="auto">{title}</span></div></div>
      <div class="tgme_header_counter">{1000 + total * 37} subscribers</div>
    </a>
  </div>
</header>
<aside class="tgme_right_column">
  <section class="tgme_channel_info">
    <div class="tgme_channel_info_header">
      <div class="tgme_channel_info_header_title"><span dir="auto">{title}</span></div>
      <div class="tgme_channel_info_header_username"><a href="{site}/{name}">@{name}</a></div>
    </div>
    <div class="tgme_channel_info_description">{html.escape(info['about'])}</div>
  </section>
</aside>
<main class="tgme_main" data-url="/{name}">
  <div class="tgme_container">
    {search_note}
    <section class="tgme_channel_history js-message_history">
      {more}{messages}
    </section>
  </div>
</main>
  </body>
</html>
"""


def render_post(site: str, channel: str, channel_title: str, post: Post) -> str:
    """One div.tgme_widget_message in the real structure."""
    service = " service_message" if post.service else ""
    owner = (f'<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" '
             f'href="{site}/{channel}"><span dir="auto">{html.escape(channel_title)}</span></a></div>')
    fwd = ""
    if post.forwarded_from:
        src, src_title = post.forwarded_from
        fwd = (f'<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from <a class="tgme_widget_message_forwarded_from_name" '
               f'href="https://t.me/{src}/3"><span dir="auto">{html.escape(src_title)}</span></a></div>')
    media = ""
    if post.photos:
        wraps = "".join(
            f'<a class="tgme_widget_message_photo_wrap{" grouped_media_wrap blured js-message_photo" if post.album else ""}" '
            f'href="{site}/{channel}/{post.id}" style="width:480px;background-image:url(\'{site}/img/{p}\')">'
            f'<div class="tgme_widget_message_photo" style="padding-top:66.6%"></div></a>'
            for p in post.photos
        )
        media = f'<div class="tgme_widget_message_grouped_wrap js-message_grouped_wrap" data-margin-w="2"><div class="tgme_widget_message_grouped js-message_grouped">{wraps}</div></div>' if post.album else wraps
    if post.video:
        media += (f'<a class="tgme_widget_message_video_player" href="{site}/{channel}/{post.id}">'
                  f'<i class="tgme_widget_message_video_thumb" style="background-image:url(\'{site}/img/{channel}-{post.id}-video.jpg\')"></i></a>')
    doc = ""
    if post.document:
        doc = (f'<a class="tgme_widget_message_document_wrap" href="{site}/{channel}/{post.id}">'
               f'<div class="tgme_widget_message_document_icon accent_bg"></div><div class="tgme_widget_message_document">'
               f'<div class="tgme_widget_message_document_title accent_color" dir="auto">{html.escape(post.document[0])}</div>'
               f'<div class="tgme_widget_message_document_extra" dir="auto">{html.escape(post.document[1])}</div></div></a>')
    text = f'<div class="tgme_widget_message_text js-message_text" dir="auto">{post.text}</div>' if post.text else ""
    preview = ""
    if post.preview:
        url, site_name, ptitle = post.preview
        preview = (f'<a class="tgme_widget_message_link_preview" href="{html.escape(url)}">'
                   f'<div class="link_preview_site_name accent_color" dir="auto">{html.escape(site_name)}</div>'
                   f'<div class="link_preview_title" dir="auto">{html.escape(ptitle)}</div>'
                   f'<div class="link_preview_description" dir="auto">{html.escape(ptitle)} — подробнее на сайте</div></a>')
    stamp = post.posted_at
    edited = "edited &nbsp;" if post.edited else ""
    views = "" if post.service else f'<span class="tgme_widget_message_views">{post.views}</span><span class="copyonly"> views</span>'
    return f"""<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message text_not_supported_wrap js-widget_message{service}" data-post="{channel}/{post.id}">
  <div class="tgme_widget_message_user"><a href="{site}/{channel}"><i class="tgme_widget_message_user_photo bgcolor2" data-content="{channel[0].upper()}"></i></a></div>
  <div class="tgme_widget_message_bubble">
    {owner}
    {fwd}
    {media}
    {doc}
    {text}
    {preview}
    <div class="tgme_widget_message_footer compact js-message_footer">
      <div class="tgme_widget_message_info short js-message_info">
        {views}<span class="tgme_widget_message_meta">{edited}<a class="tgme_widget_message_date" href="{site}/{channel}/{post.id}"><time datetime="{stamp.isoformat()}" class="time">{stamp:%H:%M}</time></a></span>
      </div>
    </div>
  </div>
</div></div>"""
