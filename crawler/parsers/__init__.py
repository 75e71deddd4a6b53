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
    """Platform name → parse function, from every module in this package."""
    return {platform: module.parse for platform, module in _modules().items()}


def recheck_url(platform: str, url: str) -> str:
    """The address to fetch when re-checking one listing: the module's `recheck_url(url)` hook, else the URL.

    Some platforms show a post's content only at another address (a bare t.me/<channel>/<id> page has no
    post markup; its `?embed=1` form does), and a re-check must never read "no markup" as "removed".
    """
    module = _modules().get(platform)
    hook = getattr(module, "recheck_url", None)
    return hook(url) if hook else url
