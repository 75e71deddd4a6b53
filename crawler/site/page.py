"""One fetched page as the site readers see it: HTML, its embedded JSON state, JSON-LD/microdata, or a JSON body."""
from __future__ import annotations

import base64
import functools
import json
import re
from typing import Any
from urllib.parse import unquote

from parsel import Selector

from config.site_spec import Reader, StateSpec, standard_css
from crawler.parsers._html import decode_page

MISSING = object()


class Page:
    """A response body parsed lazily into whatever a reader asks for."""

    def __init__(self, body: bytes, url: str, state: StateSpec | None = None, content_type: str | None = None):
        self.body = body
        self.url = url
        self.state_spec = state
        self.content_type = content_type

    @functools.cached_property
    def text(self) -> str:
        text, _notes = decode_page(self.body, self.content_type)
        return text

    @functools.cached_property
    def json_body(self) -> Any:
        """The body parsed as JSON when it is a JSON document (an API answer), else MISSING."""
        head = self.body.lstrip()[:1]
        if head not in (b"{", b"["):
            return MISSING
        try:
            return json.loads(self.body.decode("utf-8", errors="replace"))
        except ValueError:
            return MISSING

    @functools.cached_property
    def selector(self) -> Selector:
        return Selector(text=self.text if self.json_body is MISSING else "<html></html>")

    @functools.cached_property
    def state(self) -> Any:
        """The embedded JSON state the spec names, or MISSING when the page has none (or it is unreadable)."""
        spec = self.state_spec
        if spec is None or self.json_body is not MISSING:
            return MISSING
        raw: str | None
        if spec.script_id:
            raw = self.selector.xpath(f'//script[@id="{spec.script_id}"]/text()').get()
        else:
            raw = _variable_value(self.text, spec.variable or "")
        if raw is None:
            return MISSING
        return decode_state(raw.strip(), spec.encoding)

    @property
    def json_doc(self) -> Any:
        """What a `json:` reader reads when the item is not itself JSON: the JSON body, else the embedded state."""
        return self.json_body if self.json_body is not MISSING else self.state

    @functools.cached_property
    def structured(self) -> list[dict[str, Any]]:
        """schema.org objects of the page (JSON-LD and microdata, through extruct), nested ones included."""
        if self.json_body is not MISSING:
            return []
        import extruct

        try:
            data = extruct.extract(self.text, base_url=self.url, syntaxes=["json-ld", "microdata"], uniform=True,
                                   errors="ignore")
        except Exception:  # noqa: BLE001 - broken markup: no structured data, the other readers still work
            return []
        found: list[dict[str, Any]] = []
        for top in (data.get("json-ld") or []) + (data.get("microdata") or []):
            _walk_objects(top, found)
        return found

    @functools.cached_property
    def visible_text(self) -> str:
        if self.json_body is not MISSING:
            return self.body.decode("utf-8", errors="replace")
        return " ".join(self.selector.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]"
                                            " | //title/text()").getall())


def _walk_objects(value: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(value, dict):
        if "@graph" in value:
            _walk_objects(value["@graph"], out)
        if "@type" in value:
            out.append(value)
        for key, child in value.items():
            if key != "@graph":
                _walk_objects(child, out)
    elif isinstance(value, list):
        for child in value:
            _walk_objects(child, out)


def _variable_value(text: str, variable: str) -> str | None:
    """The JSON (object, or JSON-encoded string) assigned to a JavaScript variable in the page."""
    match = re.search(re.escape(variable) + r"\s*=\s*", text)
    if not match:
        return None
    rest = text[match.end():]
    try:
        value, _ = json.JSONDecoder().raw_decode(rest)
    except ValueError:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def decode_state(raw: str, encoding: str) -> Any:
    """An embedded state's text as JSON: plain, URL-encoded or base64; a JSON-encoded string is unwrapped."""
    try:
        if encoding == "urlencoded":
            raw = unquote(raw)
        elif encoding == "base64":
            raw = base64.b64decode(raw).decode("utf-8")
        value = json.loads(raw)
        if isinstance(value, str):
            value = json.loads(value)
        return value
    except (ValueError, UnicodeDecodeError):
        return MISSING


FILTER = re.compile(r"^\[([^=\]]+)=([^\]]*)\]$")


def json_path(value: Any, path: str) -> list[Any]:
    """Values at a dotted path: `a.b.0.c`; `*` maps over a list (`pictures.*.url`); `[p=name]` keeps the
    list elements whose key `p` equals `name` (`account_parameters.[p=name].v`). Nothing found: []."""
    current = [value]
    for part in (path.split(".") if path else []):
        nxt: list[Any] = []
        keep = FILTER.match(part)
        for v in current:
            if keep:
                key, want = keep.groups()
                nxt.extend(e for e in (v if isinstance(v, list) else [v])
                           if isinstance(e, dict) and str(e.get(key)) == want)
            elif part == "*":
                if isinstance(v, list):
                    nxt.extend(v)
                elif isinstance(v, dict):
                    nxt.extend(v.values())
            elif isinstance(v, dict) and part in v:
                nxt.append(v[part])
            elif isinstance(v, list) and part.lstrip("-").isdigit() and -len(v) <= int(part) < len(v):
                nxt.append(v[int(part)])
        current = nxt
    return [v for v in current if v is not None and v is not MISSING]


def node_text(node: Selector) -> str:
    """The text of an element (or the string an XPath returned), whitespace collapsed."""
    if isinstance(node.root, str):
        return " ".join(node.root.split())
    return " ".join(" ".join(node.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]").getall()).split())


def read_nodes(reader: Reader, node: Any, page: Page) -> list[Any]:
    """Raw values (element selectors, strings or JSON values) a reader finds in a node of the page."""
    if reader.css is not None or reader.xpath is not None:
        base = node if isinstance(node, Selector) else page.selector
        found = base.css(standard_css(reader.css)) if reader.css is not None else base.xpath(reader.xpath)
        return list(found)
    if reader.json_ is not None:
        base = node if isinstance(node, (dict, list)) else page.json_doc
        return [] if base is MISSING else json_path(base, reader.json_)
    if reader.schema_ is not None:
        kind, _, path = reader.schema_.partition(".")
        out: list[Any] = []
        for obj in page.structured:
            types = obj.get("@type")
            types = types if isinstance(types, list) else [types]
            if kind in types:
                out.extend(json_path(obj, path))
        return out
    if reader.contains is not None:
        return [True] if reader.contains.lower() in page.visible_text.lower() else []
    if reader.const is not None:
        return [reader.const]
    return []


def raw_text(value: Any, reader: Reader) -> Any:
    """A found value as a string (elements: their text or `attr`), JSON values unchanged."""
    if isinstance(value, Selector):
        if reader.attr:
            return value.attrib.get(reader.attr) if not isinstance(value.root, str) else None
        return node_text(value)
    return value
