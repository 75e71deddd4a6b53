"""Check a site spec against one page: which fields each item has, which are missing, and what failed to parse."""
from __future__ import annotations

import datetime as dt
from typing import Any

from config.schema import SourceSettings
from crawler.site.parser import SiteParser, SiteParseResult


def check_page(source: SourceSettings, body: bytes, url: str) -> dict[str, Any]:
    """{"kind", "items": [{field: value}], "missing": {field: count}, "unparsed", "errors", ...} for one page.

    Raises crawler.parsers.ParseError when the page matches none of the configured readers.
    """
    assert source.spec is not None
    result: SiteParseResult = SiteParser(source.spec, source.base_url, source.api_url).parse(body, url)
    spec = source.spec.list if result.kind == "search" else source.spec.detail
    fields = list(spec.fields) if spec is not None and result.kind in ("search", "listing") else []
    items = []
    for found, item in zip(result.found, result.items):
        row = {name: _jsonable(found.get(name)) for name in fields}
        if "currency" not in row and item.currency:
            row["currency"] = item.currency
        items.append(row)
    out: dict[str, Any] = {**result.to_json(), "items": items,
                           "missing": {name: result.missing.get(name, 0) for name in fields if result.missing.get(name)}}
    if not out["next_page"]:
        del out["next_page"]
    if result.unparsed:
        out["unparsed"] = dict(result.unparsed)
    return out


def report_lines(report: dict[str, Any]) -> list[str]:
    """The check in plain words: the page's kind, then per item each field found (and its value) or missing."""
    lines = [f"page kind: {report['kind']}" + (f" ({report['block_reason']})" if report.get("block_reason") else "")]
    if report["kind"] in ("blocked", "empty"):
        return lines
    for n, row in enumerate(report["items"], 1):
        lines.append(f"item {n}:")
        for name, value in row.items():
            if value in (None, "", []):
                lines.append(f"  MISSING {name}")
            else:
                shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
                lines.append(f"  {name}: {shown[:200]}")
    if report.get("total") is not None:
        lines.append(f"total results reported: {report['total']}")
    if report.get("next_page"):
        lines.append(f"next page: {report['next_page']}")
    missing = report.get("missing") or {}
    count = len(report["items"])
    if missing:
        lines.append("missing fields: " + ", ".join(f"{k} ({v} of {count})" for k, v in missing.items()))
    else:
        lines.append(f"every field found in all {count} item(s)")
    for error in report.get("errors", []):
        lines.append(f"problem: {error}")
    return lines


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
