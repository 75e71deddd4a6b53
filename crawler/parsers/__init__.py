"""Offline page parsers, one module per platform; spiders and `saigawatch parse` share them.

Each platform module defines `PLATFORM = "<name>"` and `parse(body: bytes, url: str) -> ParseResult`.
"""
from __future__ import annotations

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


Parser = Callable[[bytes, str], ParseResult]


def registry() -> dict[str, Parser]:
    """Platform name → parse function, from every module in this package."""
    found: dict[str, Parser] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        platform = getattr(module, "PLATFORM", None)
        if platform and hasattr(module, "parse"):
            found[platform] = module.parse
    return found
