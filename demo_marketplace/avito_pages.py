"""HTML of the demo Avito: search pages (mfe-state / __initialData__ / data-marker DOM), ad pages, block pages.

The structure follows real avito.ru pages (see PLATFORMS.md); every text is the project's own.
"""
from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

MOSCOW = ZoneInfo("Europe/Moscow")
MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"]
PHOTO_SIZES = ((208, 156), (432, 324), (640, 480))


@dataclass
class AdView:
    """One listing as the demo site shows it on a given day."""

    id: int
    title: str
    description: str
    price: int | None
    city: str
    city_slug: str
    address: str
    category: str
    seller_id: str
    seller_name: str
    posted: dt.datetime  # aware, Moscow
    photos: list[dict[str, str]]  # size → absolute URL
    url_path: str  # with the mount prefix, e.g. /avito/elista/kollektsionirovanie/roga_sayki_4101000001
    views: int


def price_string(price: int | None) -> str:
    return f"{price:,}".replace(",", "\xa0") + "\xa0₽" if price is not None else "Цена не указана"


def date_text(posted: dt.datetime, today: dt.date | None, with_v: bool = True) -> str:
    """«сегодня в 10:15», «вчера в 10:15», «23 ноября в 10:15» relative to the simulated today (None: absolute)."""
    hm = posted.strftime("%H:%M")
    sep = " в " if with_v else " "
    if today is None:
        pass
    elif posted.date() == today:
        return f"сегодня{sep}{hm}"
    elif posted.date() == today - dt.timedelta(days=1):
        return f"вчера{sep}{hm}"
    return f"{posted.day} {MONTHS[posted.month - 1]}{sep}{hm}"


def profile_path(ad: AdView) -> str:
    """The seller's public profile path, under the same mount prefix as the ad."""
    return f"{ad.url_path.rsplit('/', 3)[0]}/user/{ad.seller_id}/profile"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _head(title: str) -> str:
    return (
        '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title>"
        '<meta property="og:site_name" content="Авито"><link rel="stylesheet" href="/s/common.css"></head>'
    )


def _header(site_url: str, query: str = "") -> str:
    return (
        '<div data-marker="header/navbar" class="index-header-A1b2c"><a data-marker="search-form/logo" href="'
        f'{_e(site_url)}/">Авито</a><form data-marker="search-form" action="{_e(site_url)}/rossiya">'
        f'<input data-marker="search-form/suggest" name="q" value="{_e(query)}">'
        '<button data-marker="search-form/submit-button" type="submit">Найти</button></form></div>'
    )


# --------------------------------------------------------------------------- search pages


def catalog_item(ad: AdView) -> dict:
    """An entry of `data.catalog.items[]` in the embedded search state."""
    return {
        "type": "item",
        "id": ad.id,
        "categoryId": 36,
        "locationId": 600000 + sum(map(ord, ad.city_slug)),
        "isVerifiedItem": False,
        "urlPath": ad.url_path,
        "title": ad.title,
        "description": ad.description[:160],
        "category": {"slug": ad.category},
        "location": {"name": ad.city},
        "addressDetailed": {"locationName": ad.city},
        "geo": {"formattedAddress": ad.address, "geoReferences": []},
        "sortTimeStamp": int(ad.posted.timestamp() * 1000),
        "priceDetailed": {
            "enabled": ad.price is not None,
            "fullString": price_string(ad.price),
            "string": price_string(ad.price),
            "value": ad.price,
            "postfix": "",
            "hasValue": ad.price is not None,
        },
        "images": ad.photos,
        "imagesCount": len(ad.photos),
        "iva": {
            "UserInfoStep": [{"componentData": {"component": "seller", "payload": {
                "name": ad.seller_name, "link": profile_path(ad),
            }}}],
            "DateInfoStep": [{"componentData": {"component": "text", "payload": {"absolute": date_text(ad.posted, ad.posted.date(), False)}}}],
        },
    }


def _card(ad: AdView, today: dt.date) -> str:
    """One `div[data-marker=item]` search card."""
    photo = ad.photos[0] if ad.photos else {}
    srcset = ", ".join(f"{photo[f'{w}x{h}']} {w}w" for w, h in PHOTO_SIZES if f"{w}x{h}" in photo)
    price_meta = (
        f'<meta itemprop="priceCurrency" content="RUB"><meta itemprop="price" content="{ad.price}">'
        if ad.price is not None else '<meta itemprop="priceCurrency" content="RUB"><meta itemprop="price" content="0">'
    )
    seller_link = profile_path(ad)
    return (
        f'<div data-marker="item" data-item-id="{ad.id}" id="i{ad.id}" class="iva-item-root-Se7z4 items-item-My3ih" '
        'itemscope itemtype="http://schema.org/Product">'
        '<div class="iva-item-content-OWwoq"><div class="iva-item-slider-BOsti">'
        f'<a data-marker="item-photo" href="{_e(ad.url_path)}"><ul class="photo-slider-list-OYxYt">'
        + (f'<li data-marker="slider-image/image-{_e(photo.get("640x480", ""))}"><img itemprop="image" '
           f'src="{_e(photo.get("208x156", ""))}" srcset="{_e(srcset)}" alt="{_e(ad.title)}"></li>' if photo else "")
        + '</ul></a></div><div class="iva-item-body-GQomw">'
        f'<div class="iva-item-titleStep-zichc"><a data-marker="item-title" href="{_e(ad.url_path)}" itemprop="url" '
        f'title="{_e(ad.title)}"><h3 itemprop="name" class="styles-module-root-s4tZ2">{_e(ad.title)}</h3></a></div>'
        f'<div class="iva-item-priceStep-KSzj4"><p data-marker="item-price">{price_meta}'
        f'<strong class="styles-module-root-LEIrw"><span>{_e(price_string(ad.price))}</span></strong></p></div>'
        f'<div class="iva-item-descriptionStep-C0ty1"><meta itemprop="description" content="{_e(ad.description[:160])}">'
        f'<p class="styles-module-root-_KFFt">{_e(ad.description[:160])}</p></div>'
        f'<div class="geo-root-zPwRk"><p data-marker="item-address"><span>{_e(ad.city)}</span></p></div>'
        f'<div class="iva-item-dateInfoStep-_acjp"><p data-marker="item-date">{_e(date_text(ad.posted, None, False))}</p></div>'
        f'<div class="iva-item-userInfoStep-Sd_s_"><a data-marker="seller-link/link" href="{_e(seller_link)}">'
        f'<p data-marker="seller-info/name">{_e(ad.seller_name)}</p></a></div>'
        "</div></div></div>"
    )


def _pagination(search_url: str, query: dict, page: int, pages: int) -> str:
    def link(p: int) -> str:
        return f"{search_url}?{urlencode({**query, 'p': p})}" if p > 1 else f"{search_url}?{urlencode(query)}"

    parts = ['<nav aria-label="Пагинация" data-marker="pagination-button">']
    if page > 1:
        parts.append(f'<a data-marker="pagination-button/prevPage" href="{_e(link(page - 1))}">‹ Пред.</a>')
    for p in range(1, pages + 1):
        if p == page:
            parts.append(f'<span data-marker="pagination-button/page({p})" aria-current="page">{p}</span>')
        else:
            parts.append(f'<a data-marker="pagination-button/page({p})" href="{_e(link(p))}">{p}</a>')
    if page < pages:
        parts.append(f'<a data-marker="pagination-button/nextPage" href="{_e(link(page + 1))}">След. ›</a>')
    parts.append("</nav>")
    return "".join(parts)


def search_page(*, site_url: str, path_prefix: str, query_text: str, ads: list[AdView], total: int, page: int,
                pages: int, today: dt.date, markup: str = "mfe", extra_query: dict | None = None,
                region: str = "rossiya") -> str:
    """A results page. markup: "mfe" (current), "initial" (older __initialData__), "dom" (no embedded JSON)."""
    query = {"q": query_text, **(extra_query or {})}
    search_url = f"{path_prefix}/{region}"
    state = {
        "catalog": {"items": [catalog_item(a) for a in ads], "extraBlockItems": []},
        "totalCount": total,
        "searchCore": {"query": query_text, "categoryId": None, "locationId": 621540, "page": page},
        "pager": {"current": page, "pages": pages},
    }
    title = f"«{query_text}» — объявления на Авито во всех регионах"
    out = [_head(title), '<body><div id="app" class="index-root-KVurS">', _header(site_url, query_text)]
    out.append(f'<h1 data-marker="page-title/text">Объявления по запросу «{_e(query_text)}» во всех регионах</h1>')
    out.append(f'<span data-marker="page-title/count">{total}</span>')
    out.append('<div data-marker="catalog-serp" class="items-items-pZX46">')
    out.extend(_card(a, today) for a in ads)
    out.append("</div>")
    if pages > 1:
        out.append(_pagination(search_url, query, page, pages))
    out.append("</div>")
    if markup == "mfe":
        payload = {"i18n": {"locale": "ru"}, "data": state}
        out.append('<script type="mime/invalid" data-mfe-state="true">'
                   + html.escape(json.dumps(payload, ensure_ascii=False), quote=True) + "</script>")
        out.append('<script type="mime/invalid" data-mfe-state="true">{&quot;sandbox&quot;:true}</script>')
    elif markup == "initial":
        payload = {"@avito/bx-single-page:4.12.0": {"data": state}, "user": None}
        out.append('<script>window.__initialData__ = "' + quote(json.dumps(payload, ensure_ascii=False), safe="")
                   + '";window.__mfe__ = {};</script>')
    out.append("</body></html>")
    return "".join(out)


def no_results_page(*, site_url: str, query_text: str) -> str:
    """The «Ничего не найдено» page (an empty catalog in the state, and the message in the DOM)."""
    payload = {"data": {"catalog": {"items": [], "extraBlockItems": []}, "totalCount": 0,
                        "searchCore": {"query": query_text}}}
    return (
        _head(f"«{query_text}» — объявления на Авито")
        + '<body><div id="app">' + _header(site_url, query_text)
        + '<div data-marker="search-empty-result" class="no-results-root-x1"><h2 class="no-results-title-Xa1">'
        "Ничего не найдено в выбранной области поиска</h2><p>Попробуйте изменить запрос или расширить область поиска.</p></div>"
        '</div><script type="mime/invalid" data-mfe-state="true">'
        + html.escape(json.dumps(payload, ensure_ascii=False), quote=True) + "</script></body></html>"
    )


# --------------------------------------------------------------------------- ad pages


def ad_page(ad: AdView, *, site_url: str, today: dt.date, now: dt.datetime, closed: bool = False) -> str:
    """An ad page with `data-marker="item-view/..."` attributes and `window.__initialData__`.

    `closed`: the page Avito keeps showing for a while after the ad is taken down («снято с публикации»).
    """
    desc_html = "".join(f"<p>{_e(p)}</p>" for p in ad.description.split("\n") if p)
    dtext = date_text(ad.posted, today)
    profile = profile_path(ad)
    buyer_item = {
        "item": {
            "id": ad.id,
            "title": ad.title,
            "description": desc_html,
            "price": ad.price,
            "formattedPrice": {"formatedString": price_string(ad.price), "value": ad.price, "currencySign": "₽"},
            "address": ad.address,
            "location": {"name": ad.city, "slug": ad.city_slug},
            "category": {"slug": ad.category},
            "imageUrls": ad.photos,
            "sortFormatedDate": dtext,
            "url": ad.url_path,
            "isClosed": closed,
            "isActive": not closed,
        },
        "seller": {"name": ad.seller_name},
        "favoriteSeller": {"userKey": ad.seller_id, "publicProfileLink": profile + "?src=item"},
        "viewStat": {"totalViews": ad.views, "todayViews": ad.views % 17},
        "closedItem": closed,
    }
    initial = {
        "@avito/bx-item-view:3.330.0": {
            "buyerItem": buyer_item,
            "proxyHeaders": {"date": now.astimezone(dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")},
        },
        "user": None,
    }
    gallery = "".join(
        f'<div class="image-frame-wrapper-_NvbY" data-title="{_e(ad.title)}" data-url="{_e(p["640x480"])}" '
        f'data-image-id="{i}" data-marker="image-frame/image-wrapper"><img src="{_e(p["640x480"])}" alt="{_e(ad.title)}"></div>'
        for i, p in enumerate(ad.photos[:1])
    )
    previews = "".join(
        f'<li data-marker="image-preview/item"><img src="{_e(p["208x156"])}" alt="{_e(ad.title)}"></li>' for p in ad.photos
    )
    price_block = (
        f'<div data-marker="item-view/item-price-container" itemprop="offers" itemscope itemtype="http://schema.org/Offer">'
        f'<meta itemprop="priceCurrency" content="RUB"><span content="{ad.price if ad.price is not None else ""}" itemprop="price" '
        f'data-marker="item-view/item-price">{_e(price_string(ad.price))}</span></div>'
    )
    return (
        _head(f"{ad.title} купить в {ad.city} | Авито")
        + '<body><div id="app">' + _header(site_url)
        + '<div data-marker="item-navigation"><div data-marker="breadcrumbs" itemscope itemtype="http://schema.org/BreadcrumbList">'
        f'<a href="{_e(site_url)}/{_e(ad.city_slug)}">{_e(ad.city)}</a></div></div>'
        + ('<div data-marker="item-view/closed-warning" class="style-closed-warning-Z1q">Объявление снято с публикации</div>'
           if closed else "")
        + '<div class="style-item-view-Ke1rc" itemscope itemtype="http://schema.org/Product">'
        f'<div class="style-title-info-_liyt"><h1 itemprop="name" data-marker="item-view/title-info">{_e(ad.title)}</h1></div>'
        + price_block
        + f'<div data-marker="item-view/gallery">{gallery}<ul data-marker="image-preview/preview-wrapper">{previews}</ul></div>'
        '<div class="style-item-map-_iJ31"><div itemprop="address" itemscope itemtype="http://schema.org/PostalAddress">'
        f'<span class="style-item-address__string-wt61A">{_e(ad.address)}</span></div></div>'
        '<div class="style-item-description-pL_gy"><div class="style-item-description-title-EIMTF">Описание</div>'
        f'<div data-marker="item-view/item-description" itemprop="description">{desc_html}</div></div>'
        '<article class="style-item-footer-Ufxh_"><p>'
        f'<span data-marker="item-view/item-id">№\xa0<!-- -->{ad.id}</span>'
        f'<span data-marker="item-view/item-date"> · <!-- -->{_e(dtext)}</span>'
        f'<span> · <span data-marker="item-view/total-views">{ad.views}<!-- -->\xa0<!-- -->просмотров</span></span></p></article>'
        '<div data-marker="item-view/seller-info"><div data-marker="seller-info/name">'
        f'<a data-marker="seller-link/link" href="{_e(profile)}"><span>{_e(ad.seller_name)}</span></a></div>'
        '<div data-marker="seller-info/label">Частное лицо</div></div>'
        "</div></div>"
        '<script>window.__initialData__ = "' + quote(json.dumps(initial, ensure_ascii=False), safe="") + '";</script>'
        "</body></html>"
    )


# --------------------------------------------------------------------------- block pages


def block_page() -> str:
    """«Доступ ограничен: проблема с IP» with a captcha, in the structure of the real firewall page."""
    return (
        '<!DOCTYPE html><html lang="ru"><head><meta charset="UTF-8"><title>Доступ ограничен: проблема с IP</title>'
        "<style>.firewall-container{margin:30px auto;width:500px}.firewall-title{font-size:24px}</style></head>"
        '<body><div class="firewall-container"><div class="firewall-icon"></div>'
        '<h2 class="firewall-title">Доступ ограничен: проблема с IP</h2>'
        '<form class="form js-submit js-firewall-form" autocomplete="off">'
        '<div id="geetest_captcha"><p class="text">Демо-сайт SaigaWatch: слишком много запросов с вашего адреса. '
        'Нажмите кнопку ниже, чтобы продолжить.</p><input type="hidden" name="captcha-response"></div>'
        '<fieldset style="display:none" id="inner-captcha" class="js-form-captcha form-fieldset form-captcha">'
        '<input type="text" class="form-captcha-input js-captcha-input" name="captcha"></fieldset>'
        '<div class="form-action"><button class="button" type="submit" name="submit">Продолжить</button></div></form>'
        '<p class="text firewall-p-bold">Почему так случилось</p>'
        "<p class=\"text\">С этого адреса пришло слишком много запросов подряд. Подождите немного.</p>"
        "</div></body></html>"
    )


def captcha_429_page() -> str:
    """The short captcha page Avito serves with HTTP 429 when requests come too fast."""
    return (
        '<!DOCTYPE html><html lang="ru"><head><meta charset="UTF-8"><title>Подтвердите, что вы не робот</title></head>'
        '<body><div class="firewall-container"><h2 class="firewall-title">Подтвердите, что вы не робот</h2>'
        '<form class="js-firewall-form"><div class="h-captcha" data-sitekey="demo-sitekey"></div>'
        '<textarea name="h-captcha-response" style="display:none"></textarea></form></div></body></html>'
    )
