"""Offline page parsers, one module per platform; spiders and `saigawatch parse` share them.

Each platform module defines `PLATFORM = "<name>"` and, with one signature for all,
`parse(body: bytes, url: str, *, status: int = 200, content_type: str | None = None, now: datetime | None = None)
-> ParseResult`: the HTTP status, the Content-Type header (its charset wins over the page's own, see
_html.decode_page) and the time relative dates count from (default: now). Parsers that do not need one ignore it.
"""
from __future__ import annotations

import functools
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable, Literal

from crawler.items import ListingItem

Kind = Literal["search", "listing", "channel", "blocked", "empty"]


class ParseError(Exception):
    """The page is neither parseable nor a known block/empty page; the message says what was expected."""


@dataclass
class ParseResult:
    kind: Kind
    items: list[ListingItem] = field(default_factory=list)
    next_page: str | None = None
    block_reason: str | None = None  # for kind == "blocked"
    total: int | None = None  # total results the site reports, when it does
    errors: list[str] = field(default_factory=list)  # per-row problems (one bad row never aborts a page)

    def to_json(self) -> dict:
        out = {"kind": self.kind, "items": [i.to_json() for i in self.items], "next_page": self.next_page}
        if self.block_reason:
            out["block_reason"] = self.block_reason
        if self.total is not None:
            out["total"] = self.total
        if self.errors:
            out["errors"] = self.errors
        return out


Parser = Callable[..., ParseResult]  # parse(body, url, *, status=200, content_type=None, now=None)


@functools.cache
def _modules() -> dict[str, object]:
    """Platform name → parser module, for every module in this package that defines PLATFORM and parse()."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        platform = getattr(module, "PLATFORM", None)
        if platform and hasattr(module, "parse"):
            found[platform] = module
    return found


def registry() -> dict[str, Parser]:
    """Platform name → parse function, from every module in this package (each refuses truncated pages)."""
    return {platform: _complete_pages_only(module.parse) for platform, module in _modules().items()}


def truncation(body: bytes) -> str | None:
    """Why an HTML document is cut short (it opens <html> but never closes it), or None.

    A download cut off mid-page parses "successfully" into a listing with fields missing or wrong (a date or
    place from the wrong block), so a cut page is refused as a whole instead.
    """
    lowered = body.lower()
    opened = lowered.find(b"<html")
    if opened < 0 or opened > 4096:
        return None  # not a full HTML document (JSON, a fragment): other checks apply
    if lowered.rfind(b"</html") > opened:
        return None
    return f"truncated page: {len(body)} bytes that open <html> but end before </html>"


def _complete_pages_only(parse: Parser) -> Parser:
    @functools.wraps(parse)
    def checked(body: bytes, url: str, *args, **kwargs) -> ParseResult:
        cut = truncation(body or b"")
        if cut:
            raise ParseError(f"{url}: {cut}; nothing from it is stored (the next crawl fetches it again)")
        return parse(body, url, *args, **kwargs)
    return checked

