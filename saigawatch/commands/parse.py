"""`saigawatch parse PLATFORM FILE`: parse a saved page or API response offline and print JSON."""
from __future__ import annotations

import json
from pathlib import Path

import click

from saigawatch.context import UserError

MAX_FILE_BYTES = 100_000_000


def register(app: click.Group) -> None:
    app.add_command(parse_command)


@click.command("parse")
@click.argument("platform")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", default=None, help="The URL the page came from (resolves relative links and ids; "
                                          "default: the file's file:// URL).")
def parse_command(platform: str, file: Path, url: str | None) -> None:
    """Parse a saved page of PLATFORM and print {"kind", "items", "next_page"} as JSON.

    kind is search, listing, channel, blocked or empty; items carry the fields the spider yields.
    A page that is none of these exits with status 1 and says what was expected.
    """
    from crawler.parsers import ParseError, registry

    parsers = registry()
    if platform not in parsers:
        raise UserError(f"unknown platform {platform!r}; parsers exist for: {', '.join(sorted(parsers))}")
    if not file.exists():
        raise UserError(f"{file}: no such file")
    size = file.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UserError(f"{file}: {size} bytes is larger than the {MAX_FILE_BYTES}-byte limit for one page")
    body = file.read_bytes()
    try:
        result = parsers[platform](body, url or file.resolve().as_uri())
    except ParseError as exc:
        raise UserError(f"{file}: cannot parse as a {platform} page: {exc}") from None
    click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
