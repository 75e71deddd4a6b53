"""Parser for VK API responses (wall.get, newsfeed.search with extended=1) and VK API errors."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

from crawler.contacts import extract_contacts
from crawler.items import ListingItem
from crawler.parsers import ParseError, ParseResult
from crawler.parsers.telegram import title_of
from crawler.social import web_base

PLATFORM = "vk"
VK = "https://vk.com"
_VK_DOMAINS = ("vk.com", "vk.ru", "vkontakte.ru")


def site_of(api_url: str) -> str:
    """The web site of the posts in a response: https://vk.com for api.vk.com, else the API's own root
    (http://127.0.0.1:<port>/vk for the demo marketplace's http://127.0.0.1:<port>/vk/method/...)."""
    return web_base(api_url, VK, _VK_DOMAINS, ("/method/",))

#: VK API error codes the spider reacts to: rate errors are retried later, the others stop the source.
RATE_ERRORS = {6: "too many requests per second", 9: "flood control"}
STOP_ERRORS = {5: "user authorization failed (token missing, wrong or expired)", 14: "captcha needed", 29: "rate limit reached (daily quota)"}
KNOWN_ERRORS = {**RATE_ERRORS, **STOP_ERRORS, 15: "access denied", 18: "page deleted or banned", 30: "profile is private", 100: "invalid parameter"}


@dataclass
class VkError:
    code: int
    message: str

    @property
    def is_rate(self) -> bool:
        return self.code in RATE_ERRORS

    def reason(self) -> str:
        return f"vk error {self.code}: {self.message}"


def load(body: bytes, url: str) -> dict:
    """The decoded JSON object of a VK API response; ParseError when it is not JSON."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"{url}: expected a VK API JSON response ({{\"response\": ...}} or {{\"error\": ...}}): {exc}") from None
    if not isinstance(data, dict):
        raise ParseError(f"{url}: expected a VK API JSON object, got {type(data).__name__}")
    return data


def api_error(data: dict) -> VkError | None:
    """The API error object of a response, if it is one."""
    err = data.get("error")
    if not isinstance(err, dict):
        return None
    code = int(err.get("error_code", 0) or 0)
    message = str(err.get("error_msg") or KNOWN_ERRORS.get(code, "unknown error"))
    return VkError(code, message)


def parse(body: bytes, url: str, *, status: int = 200, content_type: str | None = None,
          now: dt.datetime | None = None) -> ParseResult:
    """Posts of a wall.get or newsfeed.search response; an API error becomes a 'blocked' result with its code."""
    data = load(body, url)
    err = api_error(data)
    if err is not None:
        return ParseResult(kind="blocked", block_reason=err.reason())
    payload = data.get("response", data if "items" in data else None)
    if isinstance(payload, list):  # wall.getById without extended=1
        payload = {"items": payload}
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise ParseError(f"{url}: expected a VK API response with response.items[] (wall.get or newsfeed.search)")
    path = urlsplit(url).path
    is_search = "newsfeed.search" in path
    by_id = "wall.getById" in path
    profiles = {p["id"]: p for p in payload.get("profiles") or [] if isinstance(p, dict) and "id" in p}
    groups = {g["id"]: g for g in payload.get("groups") or [] if isinstance(g, dict) and "id" in g}
    result = ParseResult(kind="search" if is_search else "channel")
    total = payload.get("total_count", payload.get("count"))
    result.total = int(total) if isinstance(total, int) else None
    seen: set[str] = set()
    site = site_of(url)
    for index, post in enumerate(payload["items"]):
        try:
            items = post_items(post, profiles, groups, site)
        except (KeyError, TypeError, ValueError) as exc:
            result.errors.append(f"items[{index}]: {exc!r}")
            continue
        for item in items:
            if item.platform_listing_id in seen:
                continue
            seen.add(item.platform_listing_id)
            item.search_url = url
            result.items.append(item)
    if by_id:
        result.kind = "listing" if result.items else "empty"
        result.items = result.items[:1]  # the post itself, not the originals it reposts
        return result
    if not payload["items"]:
        result.kind = "empty"
    result.next_page = _next_page(url, payload, is_search)
    return result


def _next_page(url: str, payload: dict, is_search: bool) -> str | None:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    if is_search:
        next_from = payload.get("next_from")
        if not next_from or not payload["items"]:
            return None
        query["start_from"] = str(next_from)
    else:
        offset = int(query.get("offset") or 0) + len(payload["items"])
        count = payload.get("count")
        if not payload["items"] or (isinstance(count, int) and offset >= count):
            return None
        query["offset"] = str(offset)
    return parts._replace(query=urlencode(query)).geturl()


def post_items(post: dict, profiles: dict, groups: dict, site: str = VK) -> list[ListingItem]:
    """The post as a ListingItem, followed by the original posts it reposts (copy_history); URLs on `site`."""
    originals = [p for p in post.get("copy_history") or [] if isinstance(p, dict)]
    item = _item(post, profiles, groups, site)
    out = [item]
    if originals:
        copies = []
        for original in originals:
            orig_item = _item(original, profiles, groups, site)
            orig_item.extra["reposted_by"] = item.platform_listing_id
            copies.append(orig_item)
            out.append(orig_item)
        first = copies[0]
        item.extra["copy_of"] = [c.platform_listing_id for c in copies]
        item.extra["copy_history"] = [
            {"id": c.platform_listing_id, "url": c.url, "author": c.seller_name, "author_id": c.seller_platform_id, "text": c.text}
            for c in copies
        ]
        # The repost carries the original's words, so the classifier and the analyst see what was shared.
        shared = "\n\n".join(c.text for c in copies if c.text)
        item.text = f"{item.text}\n\n{shared}".strip() if shared else item.text
        item.title = item.title or first.title
        item.photo_urls = item.photo_urls + [u for c in copies for u in c.photo_urls if u not in item.photo_urls]
        contacts = extract_contacts(item.text)
        item.phones, item.handles = contacts.phones, contacts.handles
        if item.price is None and first.price is not None:
            item.price, item.currency, item.price_text = first.price, first.currency, first.price_text
    return out


def _item(post: dict, profiles: dict, groups: dict, site: str) -> ListingItem:
    owner_id = int(post["owner_id"] if "owner_id" in post else post["source_id"])
    post_id = int(post["id"])
    from_id = int(post.get("from_id") or owner_id)
    text = str(post.get("text") or "").strip()
    author_name, author_url, author_screen = _author(from_id, profiles, groups, site)
    photos: list[str] = []
    documents: list[dict] = []
    links: list[dict] = []
    videos: list[dict] = []
    price = currency = price_text = None
    market: list[dict] = []
    for att in post.get("attachments") or []:
        kind = att.get("type")
        obj = att.get(kind) or {}
        if kind == "photo":
            best = largest_photo(obj)
            if best:
                photos.append(best)
        elif kind == "doc":
            documents.append({"title": obj.get("title"), "url": obj.get("url"), "ext": obj.get("ext"), "size": obj.get("size")})
            preview = ((obj.get("preview") or {}).get("photo") or {})
            best = largest_photo(preview)
            if best:
                photos.append(best)
        elif kind == "link":
            links.append({"url": obj.get("url"), "title": obj.get("title"), "description": obj.get("description")})
            best = largest_photo(obj.get("photo") or {})
            if best:
                photos.append(best)
        elif kind == "video":
            videos.append({"title": obj.get("title"), "id": f"{obj.get('owner_id')}_{obj.get('id')}"})
            best = largest_photo(obj) or _largest_from_list(obj.get("image") or [])
            if best:
                photos.append(best)
        elif kind == "market":
            market.append({"title": obj.get("title"), "description": obj.get("description")})
            amount = (obj.get("price") or {})
            if amount and price is None:
                try:
                    price = int(amount.get("amount")) / 100
                except (TypeError, ValueError):
                    price = None
                currency = ((amount.get("currency") or {}).get("name")) or None
                price_text = amount.get("text")
            best = obj.get("thumb_photo")
            if best:
                photos.append(best)
    if not text and market:
        text = "\n".join(filter(None, [market[0].get("title"), market[0].get("description")]))
    date = post.get("date")
    posted_at = dt.datetime.fromtimestamp(int(date), tz=dt.timezone.utc) if date else None
    edited = post.get("edited")
    extra: dict = {"owner_id": owner_id, "post_id": post_id, "from_id": from_id}
    if isinstance(post.get("views"), dict) and "count" in post["views"]:
        extra["views"] = int(post["views"]["count"])
    for counter in ("likes", "reposts", "comments"):
        if isinstance(post.get(counter), dict) and "count" in post[counter]:
            extra[counter] = int(post[counter]["count"])
    extra["edited"] = bool(edited)
    if post.get("signer_id"):
        signer = int(post["signer_id"])
        extra["signer"] = {"id": signer, "name": _author(signer, profiles, groups, site)[0]}
    if post.get("marked_as_ads"):
        extra["marked_as_ads"] = True
    if post.get("is_pinned"):
        extra["pinned"] = True
    if documents:
        extra["documents"] = documents
    if links:
        extra["links"] = links
    if videos:
        extra["videos"] = videos
    if market:
        extra["market"] = market
    if author_screen:
        extra["author_screen_name"] = author_screen
    contacts = extract_contacts(text)
    return ListingItem(
        platform=PLATFORM,
        platform_listing_id=f"{owner_id}_{post_id}",
        url=f"{site}/wall{owner_id}_{post_id}",
        title=title_of(text) or (links[0]["title"] if links and links[0].get("title") else ""),
        text=text,
        price=price,
        currency=currency,
        price_text=price_text,
        seller_platform_id=str(from_id),
        seller_name=author_name,
        seller_url=author_url,
        phones=contacts.phones,
        handles=contacts.handles,
        posted_at=posted_at,
        refreshed_at=dt.datetime.fromtimestamp(int(edited), tz=dt.timezone.utc) if isinstance(edited, int) and edited > 1 else None,
        photo_urls=list(dict.fromkeys(photos)),
        extra=extra,
    )


def _author(author_id: int, profiles: dict, groups: dict, site: str) -> tuple[str | None, str, str | None]:
    if author_id < 0:
        group = groups.get(-author_id) or {}
        screen = group.get("screen_name")
        return group.get("name"), f"{site}/{screen}" if screen else f"{site}/club{-author_id}", screen
    profile = profiles.get(author_id) or {}
    name = " ".join(filter(None, [profile.get("first_name"), profile.get("last_name")])) or None
    screen = profile.get("screen_name")
    return name, f"{site}/{screen}" if screen else f"{site}/id{author_id}", screen


def largest_photo(photo: dict) -> str | None:
    """The URL of the largest size of a VK photo object (new `sizes[]` or old `photo_NNN` keys)."""
    if not isinstance(photo, dict):
        return None
    best = _largest_from_list(photo.get("sizes") or [])
    if best:
        return best
    sized = [(int(k.split("_")[1]), v) for k, v in photo.items() if k.startswith("photo_") and k.split("_")[1].isdigit() and v]
    return max(sized)[1] if sized else None


def _largest_from_list(sizes: list) -> str | None:
    candidates = [s for s in sizes if isinstance(s, dict) and s.get("url")]
    if not candidates:
        return None
    return max(candidates, key=lambda s: (s.get("width") or 0) * (s.get("height") or 0))["url"]
