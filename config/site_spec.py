"""The `spec:` of a `platform: site` source: how to search a site and read its pages, field by field, without Python."""
from __future__ import annotations

import re
import string
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# `.titleText_*` in a CSS selector matches any class that starts with `titleText_` (hashed class names).
CLASS_PREFIX = re.compile(r"\.(-?[A-Za-z_][\w-]*)\*")

# Field names a site spec may read into the listing itself; any other field name goes to the listing's extra.
CORE_FIELDS = ("id", "url", "title", "text", "price", "currency", "location", "seller", "seller_id", "seller_url",
               "posted_at", "photos", "ends_at", "bids", "ended", "language")
ValueType = Literal["text", "int", "number", "price", "datetime", "url", "bool", "json"]
TEMPLATE_NAMES = {"base_url", "api_url", "query", "query_dashed", "page", "offset", "page_size", "cursor", "id", "url"}


def standard_css(selector: str) -> str:
    """A spec selector as plain CSS: `.name_*` (class prefix) becomes `[class*="name_"]`."""
    return CLASS_PREFIX.sub(lambda m: f'[class*="{m.group(1)}"]', selector)


class SpecSection(BaseModel):
    """Base of the spec models: unknown keys are errors, so a typo in a site spec never passes silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Reader(SpecSection):
    """One way to read a value: exactly one of css, xpath, json, schema, contains, const or template."""

    css: str | None = None  # CSS selector; `.prefix_*` matches hashed class names by prefix
    xpath: str | None = None
    attr: str | None = None  # with css/xpath: read this attribute instead of the text ("href", "content")
    json_: str | None = Field(None, alias="json")  # dotted path in the item's JSON, else in the page's embedded state or JSON body
    schema_: str | None = Field(None, alias="schema")  # "Product.offers.price": schema.org JSON-LD or microdata
    contains: str | None = None  # true when the page's text contains this (markers: blocked, empty, ended)
    const: Any = None
    template: str | None = None  # "{base_url}/item/{id}": built from other fields of the same item
    all: bool = False  # every match (photos), not only the first
    regex: str | None = None  # keep group 1 (or the whole match) of the first match
    type: ValueType = "text"
    date_format: str | None = None  # strptime format, e.g. "%d.%m.%Y, %H:%M:%S"; default ISO 8601 or unix time
    timezone: str | None = None  # zone of dates written without one; default the spec's timezone
    scale: float | None = None  # multiply a number, e.g. 0.01 for prices in minor units
    equals: list[str] | None = None  # type bool: true when the value is one of these (else: when found)
    join: str | None = None  # with all: join the texts into one string (paragraphs of a description)
    base: str | None = None  # type url: resolve relative values against this (an image host; may use {base_url})

    @model_validator(mode="after")
    def _one_source(self) -> "Reader":
        given = [k for k in ("css", "xpath", "json_", "schema_", "contains", "template")
                 if getattr(self, k) is not None]
        if self.const is not None:
            given.append("const")
        if len(given) != 1:
            names = [g.rstrip("_") for g in given]
            raise ValueError("a reader needs exactly one of css, xpath, json, schema, contains, const, template"
                             + (f" (got {', '.join(names)})" if names else ""))
        if self.attr is not None and not (self.css or self.xpath):
            raise ValueError("'attr' only applies to css or xpath readers")
        return self

    @field_validator("css")
    @classmethod
    def _valid_css(cls, v: str | None) -> str | None:
        if v is not None:
            from cssselect import GenericTranslator, SelectorError

            try:
                GenericTranslator().css_to_xpath(standard_css(v))
            except SelectorError as exc:
                raise ValueError(f"invalid CSS selector {v!r}: {exc}") from None
        return v

    @field_validator("xpath")
    @classmethod
    def _valid_xpath(cls, v: str | None) -> str | None:
        if v is not None:
            from lxml import etree

            try:
                etree.XPath(v)
            except etree.XPathSyntaxError as exc:
                raise ValueError(f"invalid XPath {v!r}: {exc}") from None
        return v

    @field_validator("regex")
    @classmethod
    def _valid_regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {v!r}: {exc}") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str | None) -> str | None:
        return _check_zone(v)


FieldSpec = Reader | list[Reader]  # a list: fallbacks, the first reader that finds a value wins


def _check_zone(v: str | None) -> str | None:
    if v is None:
        return v
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {v!r}; expected an IANA name such as 'Europe/Kyiv'") from None
    return v


def _check_template(v: str, allowed: set[str]) -> str:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(v) if name}
    except ValueError as exc:
        raise ValueError(f"invalid template {v!r}: {exc}") from None
    unknown = sorted(names - allowed)
    if unknown:
        raise ValueError(f"unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)} in {v!r}; "
                         f"known: {', '.join(sorted(allowed))}")
    return v


class StateSpec(SpecSection):
    """Where the page embeds its JSON state: a script element's id, or a JavaScript variable."""

    script_id: str | None = None  # <script id="__NEXT_DATA__">{...}</script>
    variable: str | None = None  # window.__PRERENDERED_STATE__ = "{...}" (a JSON string is decoded too)
    encoding: Literal["json", "urlencoded", "base64"] = "json"

    @model_validator(mode="after")
    def _one_place(self) -> "StateSpec":
        if (self.script_id is None) == (self.variable is None):
            raise ValueError("state needs exactly one of script_id or variable")
        return self


class RequestSpec(SpecSection):
    """An HTTP request: a URL template and, for a JSON API, a method and body template."""

    url: str
    method: Literal["GET", "POST"] = "GET"
    body: dict[str, Any] | None = None  # POST JSON body; strings "{query}", "{page}", "{id}" are filled in
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url_template(cls, v: str) -> str:
        return _check_template(v, TEMPLATE_NAMES)

    @model_validator(mode="after")
    def _body_needs_post(self) -> "RequestSpec":
        if self.body is not None and self.method != "POST":
            raise ValueError("a request 'body' needs method: POST")
        return self


class SearchSpec(RequestSpec):
    """The search request of one query; `{page}` / `{offset}` in the URL or body paginate it."""

    first_page: int = Field(1, ge=0)
    page_size: int = Field(20, ge=1, le=1000)  # for {offset} and {page_size}


class PageSpec(SpecSection):
    """How to read one kind of page: where the items are and each item's fields."""

    items: Reader | None = None  # search pages: the nodes (CSS/XPath elements or a JSON list) of the cards
    root: Reader | None = None  # listing pages: the node of the one item (default: the whole page)
    fields: dict[str, FieldSpec]
    total: FieldSpec | None = None  # the number of results the site reports
    next_page: FieldSpec | None = None  # the next page's URL (else {page} in the search URL is counted up)

    @field_validator("fields")
    @classmethod
    def _field_names(cls, v: dict[str, Any]) -> dict[str, Any]:
        bad = [k for k in v if not re.fullmatch(r"[a-z][a-z0-9_]*", k)]
        if bad:
            raise ValueError(f"field names are lower-case words: {', '.join(map(repr, bad))}")
        if "id" not in v:
            raise ValueError("fields needs 'id' (the site's own id of a listing or lot)")
        return v


class SiteSpec(SpecSection):
    """Everything the site spider needs to know about one site."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")  # the platform name its listings are stored under
    base_url: str = Field(pattern=r"^https?://")
    api_url: str | None = Field(None, pattern=r"^https?://")
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")  # when a price names none
    currencies: dict[str, str] = Field(default_factory=dict)  # extra currency signs: {"грн": "UAH"}
    timezone: str = "UTC"  # the zone of dates the site writes without one
    phone_regions: list[str] = Field(default_factory=list)  # ISO codes for phone numbers in the text
    state: StateSpec | None = None
    search: SearchSpec
    list: PageSpec
    detail: PageSpec | None = None  # None: the search cards are complete, ad pages are never opened
    detail_request: RequestSpec | None = None  # default: GET the card's url
    blocked: list[Reader] = Field(default_factory=list)  # any found: a block/challenge page
    empty: list[Reader] = Field(default_factory=list)  # any found: a recognised "no results" / "lot removed" page
    error: Reader | None = None  # found: the site answered an error (a rejected API filter); its text is recorded

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        return _check_zone(v)  # type: ignore[return-value]
