"""Parse a page of a configured site: tell its kind (search, listing, blocked, empty) and read every item's fields."""
from __future__ import annotations

import datetime as dt
import string
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from config.site_spec import CORE_FIELDS, FieldSpec, PageSpec, Reader, SiteSpec
from crawler.items import ListingItem
from crawler.parsers import ParseError, ParseResult
from crawler.site.page import MISSING, Page, raw_text, read_nodes
from crawler.site.values import Price, ValueError_, convert


@dataclass
class SiteParseResult(ParseResult):
    """A ParseResult plus, per item, which fields were found and which failed to parse."""

    found: list[dict[str, Any]] = field(default_factory=list)  # per item: field → value as read
    missing: Counter = field(default_factory=Counter)  # field → items without it
    unparsed: Counter = field(default_factory=Counter)  # field → values found but unreadable (left empty)


class _Formatter(string.Formatter):
    def get_value(self, key, args, kwargs):
        value = kwargs.get(key)
        if value in (None, ""):
            raise KeyError(key)
        return value


class SiteParser:
    """The parser of one site spec; `parse(body, url)` has the signature of every platform parser."""

    def __init__(self, spec: SiteSpec, base_url: str | None = None, api_url: str | None = None):
        self.spec = spec
        self.base_url = (base_url or spec.base_url).rstrip("/")
        self.api_url = (api_url or spec.api_url or self.base_url).rstrip("/")

    def __call__(self, body: bytes, url: str, *, status: int = 200, content_type: str | None = None,
                 now=None) -> SiteParseResult:
        return self.parse(body, url, content_type=content_type)

    # ------------------------------------------------------------------ kinds

    def parse(self, body: bytes, url: str, *, content_type: str | None = None) -> SiteParseResult:
        """The same contract as every parser module's parse(): the HTTP Content-Type decides the charset."""
        page = Page(body, url, self.spec.state, content_type=content_type)
        for marker in self.spec.blocked:
            if self._marker(marker, page):
                return SiteParseResult("blocked", block_reason=f"block page at {url} ({_describe(marker)})")
        if self.spec.error is not None:
            messages = [raw_text(v, self.spec.error) for v in read_nodes(self.spec.error, None, page)]
            if messages:
                raise ParseError(f"the site answered an error: {'; '.join(str(m) for m in messages)[:300]}")
        nodes = read_nodes(self.spec.list.items, None, page) if self.spec.list.items else []
        if len(nodes) == 1 and isinstance(nodes[0], list):  # a JSON path naming the list itself
            nodes = nodes[0]
        if nodes:
            return self._search(page, nodes)
        if self.spec.detail is not None:
            result = self._listing(page)
            if result is not None:
                return result
        for marker in self.spec.empty:  # after cards and lot: an empty JSON list can mark "no results"
            if self._marker(marker, page):
                return SiteParseResult("empty", total=0)
        tried = [f"list.items ({_describe(self.spec.list.items)})" if self.spec.list.items else None,
                 "detail.fields.id" if self.spec.detail is not None else None]
        detail = (f"state {self.spec.state.script_id or self.spec.state.variable} not found; "
                  if self.spec.state is not None and page.json_doc is MISSING else "")
        raise ParseError(f"the page matches none of the configured readers ({detail}nothing at "
                         f"{' or '.join(t for t in tried if t)}): has the markup changed?")

    def _search(self, page: Page, nodes: list[Any]) -> SiteParseResult:
        result = SiteParseResult("search")
        is_card = self.spec.detail is not None
        for node in nodes:
            try:
                self._add_item(result, self.spec.list, node, page, is_card)
            except Exception as exc:  # noqa: BLE001 - one bad card never aborts the page
                result.errors.append(f"card skipped: {type(exc).__name__}: {exc}")
        if self.spec.list.total is not None:
            total, _ = self._field("total", self.spec.list.total, None, page, {}, result)
            if isinstance(total, (int, float)):
                result.total = int(total)
        if self.spec.list.next_page is not None:
            nxt, _ = self._field("next_page", self.spec.list.next_page, None, page, {}, result)
            result.next_page = nxt if isinstance(nxt, str) and nxt else None
        if not result.items and not result.errors:
            result.errors.append("cards found but none had an id")
        return result

    def _listing(self, page: Page) -> SiteParseResult | None:
        spec = self.spec.detail
        assert spec is not None
        node: Any = None
        if spec.root is not None:
            roots = read_nodes(spec.root, None, page)
            if not roots:
                return None
            node = roots[0]
        result = SiteParseResult("listing")
        self._add_item(result, spec, node, page, False)
        return result if result.items else None

    def _marker(self, reader: Reader, page: Page) -> bool:
        """A blocked/empty marker is present: its reader finds something (with type bool or a regex: a true value)."""
        if reader.type != "bool" and reader.regex is None:
            return bool(read_nodes(reader, None, page))
        try:
            return bool(self._read(reader, None, page, {}))
        except ValueError_:
            return False

    # ------------------------------------------------------------------ fields

    def _add_item(self, result: SiteParseResult, spec: PageSpec, node: Any, page: Page, is_card: bool) -> None:
        values: dict[str, Any] = {}
        templates = {k: v for k, v in spec.fields.items() if _is_template(v)}
        for name, fspec in spec.fields.items():
            if name not in templates:
                values[name], _ = self._field(name, fspec, node, page, values, result)
        for name, fspec in templates.items():
            values[name], _ = self._field(name, fspec, node, page, values, result)
        if values.get("id") in (None, ""):
            return
        item = self._item(values, page, is_card)
        result.items.append(item)
        shown = {k: (v.amount if isinstance(v, Price) else v) for k, v in values.items()}
        result.found.append(shown)
        for name in spec.fields:
            if values.get(name) in (None, "", []):
                result.missing[name] += 1

    def _field(self, name: str, fspec: FieldSpec, node: Any, page: Page, values: dict[str, Any],
               result: SiteParseResult) -> tuple[Any, bool]:
        """The value of one field (the first reader that finds one); unreadable values are counted, not raised."""
        readers = fspec if isinstance(fspec, list) else [fspec]
        failure: str | None = None
        for reader in readers:
            try:
                value = self._read(reader, node, page, values)
            except ValueError_ as exc:
                failure = str(exc)
                continue
            if value not in (None, "", []) and value is not False:
                return value, True
        if failure:
            result.unparsed[name] += 1
            result.errors.append(f"field {name}: {failure}; left empty")
        if all(r.type == "bool" for r in readers):
            return False, True  # a flag that is not there is a found "no"
        return None, False

    def _read(self, reader: Reader, node: Any, page: Page, values: dict[str, Any]) -> Any:
        if reader.template is not None:
            context = {"base_url": self.base_url, "api_url": self.api_url, "url": page.url,
                       **{k: v for k, v in values.items() if isinstance(v, (str, int, float))}}
            try:
                raw = [_Formatter().format(reader.template, **context)]
            except (KeyError, IndexError):
                return None
        else:
            raw = [raw_text(v, reader) for v in read_nodes(reader, node, page)]
        raw = [v for v in raw if v not in (None, "")]
        if reader.regex is not None:
            raw = [_regex(reader.regex, v) for v in raw]
            raw = [v for v in raw if v not in (None, "")]
        if not raw:
            return False if reader.type == "bool" else None
        if not reader.all:
            raw = raw[:1]
        if reader.join is not None:
            raw = [reader.join.join(str(v) for v in raw)]
        out = [convert(v, reader.type, page_url=page.url, date_format=reader.date_format,
                       zone=reader.timezone or self.spec.timezone, scale=reader.scale, equals=reader.equals,
                       currencies=self.spec.currencies, base=self._base(reader.base)) for v in raw]
        out = [v for v in out if v not in (None, "")]
        if reader.all and reader.join is None:
            return list(dict.fromkeys(out)) if all(isinstance(v, (str, int, float)) for v in out) else out
        return out[0] if out else None

    def _base(self, base: str | None) -> str | None:
        """A reader's `base:` with `{base_url}` / `{api_url}` filled in (a photo host below the site's address)."""
        if base is None:
            return None
        return base.replace("{base_url}", self.base_url).replace("{api_url}", self.api_url)

    # ------------------------------------------------------------------ items

    def _item(self, values: dict[str, Any], page: Page, is_card: bool) -> ListingItem:
        pid = values["id"]
        pid = str(int(pid)) if isinstance(pid, float) and pid.is_integer() else str(pid)
        price: Price | None = values.get("price") if isinstance(values.get("price"), Price) else None
        currency = values.get("currency") or (price.currency if price else None)
        if isinstance(values.get("price"), (int, float)):
            price = Price(float(values["price"]), None, str(values["price"]))
        if price is not None and price.amount is not None and not currency:
            currency = self.spec.currency
        seller = values.get("seller")
        seller_url = values.get("seller_url")
        seller_id = values.get("seller_id") or seller_url or seller
        photos = values.get("photos") or []
        bids = values.get("bids")
        item = ListingItem(
            platform=self.spec.id, platform_listing_id=pid,
            url=str(values.get("url") or page.url), title=_text(values.get("title")), text=_text(values.get("text")),
            price=price.amount if price else None, currency=str(currency).upper() if currency else None,
            price_text=price.text if price else None, location=_text(values.get("location")) or None,
            seller_platform_id=str(seller_id) if seller_id not in (None, "") else None,
            seller_name=_text(seller) or None, seller_url=seller_url if isinstance(seller_url, str) else None,
            posted_at=values.get("posted_at") if isinstance(values.get("posted_at"), dt.datetime) else None,
            photo_urls=[p for p in (photos if isinstance(photos, list) else [photos]) if isinstance(p, str)],
            language=values.get("language") if isinstance(values.get("language"), str) else None,
            is_card=is_card,
            ends_at=values.get("ends_at") if isinstance(values.get("ends_at"), dt.datetime) else None,
            bids_count=int(bids) if isinstance(bids, (int, float)) and not isinstance(bids, bool) else None,
            ended=True if values.get("ended") is True else None,
        )
        for name, value in values.items():
            if name in CORE_FIELDS or value in (None, "", []):
                continue
            if isinstance(value, Price):
                item.extra[name] = value.amount
                if value.currency:
                    item.extra[f"{name}_currency"] = value.currency
            elif isinstance(value, dt.datetime):
                item.extra[name] = value.isoformat()
            else:
                item.extra[name] = value
        return item


def _is_template(fspec: FieldSpec) -> bool:
    readers = fspec if isinstance(fspec, list) else [fspec]
    return any(r.template is not None for r in readers)


def _regex(pattern: str, value: Any) -> Any:
    import re

    match = re.search(pattern, str(value))
    if not match:
        return None
    return match.group(1) if match.groups() else match.group(0)


def _text(value: Any) -> str:
    if value in (None, False):
        return ""
    return value if isinstance(value, str) else str(value)


def _describe(reader: Reader | None) -> str:
    if reader is None:
        return "-"
    for key in ("css", "xpath", "json_", "schema_", "contains"):
        value = getattr(reader, key)
        if value is not None:
            return f"{key.rstrip('_')}: {value}"
    return "const"
