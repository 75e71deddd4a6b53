"""Helpers the page parsers share for JSON state embedded in pages (nested dicts of unknown shape)."""
from __future__ import annotations

from typing import Any


def dig(node: Any, *path: str) -> Any:
    """The value at `path` of nested dicts, or None as soon as a step is missing or not a dict."""
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node
