"""`saigawatch site check SOURCE`: try a configured site's spec on a saved page (or a live one), field by field."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import click

from saigawatch.context import UserError, get_context

MAX_PAGE_BYTES = 100_000_000


def register(app: click.Group) -> None:
    app.add_command(site_group)


@click.group("site")
def site_group() -> None:
    """Sites described in configuration (platform `site`)."""


@site_group.command("check")
@click.argument("source_name", metavar="SOURCE")
@click.option("--page", "page", type=click.Path(dir_okay=False, path_type=Path),
              help="A saved page or API answer to read (no network).")
@click.option("--url", default=None, help="With --page: the address the page came from (resolves links). "
                                          "Alone: fetch this address live and read it.")
@click.option("--query", default=None, help="Run the source's search for this query live (GET or POST API).")
@click.option("--json", "as_json", is_flag=True, help='Print {"kind", "items", "missing"} as JSON.')
def check_command(source_name: str, page: Path | None, url: str | None, query: str | None, as_json: bool) -> None:
    """Read one page with SOURCE's spec and show, per item, each field found and its value, and each field missing.

    SOURCE may be disabled. Iterate on the spec in the config file until every field is found; a page that
    matches none of the configured readers exits with status 1 and says what was tried.
    """
    from crawler.parsers import ParseError
    from crawler.site.check import check_page, report_lines

    settings = get_context().settings
    try:
        source = settings.source(source_name)
    except KeyError:
        sites = ", ".join(s.name for s in settings.sources if s.platform == "site") or "none"
        raise UserError(f"unknown source {source_name!r}; configured site sources: {sites}") from None
    if source.spec is None:
        raise UserError(f"source {source_name!r} is platform {source.platform!r}, not 'site'; "
                        f"use `saigawatch parse {source.platform} FILE` for its pages")
    if sum(x is not None for x in (page, query)) + (url is not None and page is None) != 1:
        raise UserError("give one of --page FILE (optionally with --url), --url URL or --query TEXT")
    if page is not None:
        if not page.is_file():
            raise UserError(f"{page}: no such file")
        if page.stat().st_size > MAX_PAGE_BYTES:
            raise UserError(f"{page}: larger than the {MAX_PAGE_BYTES}-byte limit for one page")
        body, where = page.read_bytes(), url or (source.base_url or source.spec.base_url).rstrip("/") + "/"
    else:
        body, where = _fetch_live(settings, source, url, query)
    try:
        report = check_page(source, body, where)
    except ParseError as exc:
        if as_json:
            click.echo(json.dumps({"kind": "error", "error": str(exc), "items": [], "missing": {}}, ensure_ascii=False))
        raise UserError(f"{page or where}: {exc}") from None
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(report_lines(report)))


def _fetch_live(settings, source, url: str | None, query: str | None) -> tuple[bytes, str]:
    """One polite request: the given URL, or the source's first search page for `query` (robots.txt obeyed)."""
    import httpx

    from crawler.spiders.site import SiteSpider, fill, search_values

    spec = source.spec
    agent = source.user_agent or settings.crawl.politeness.user_agent
    method, body = "GET", None
    if query is not None:
        values = search_values(source, query, 1)
        url = fill(spec.search.url, values)
        method = spec.search.method
        body = fill(spec.search.body or {}, values) if method == "POST" else None
    assert url is not None
    obey = source.obey_robots_txt if source.obey_robots_txt is not None else settings.crawl.politeness.obey_robots_txt
    with httpx.Client(headers={"User-Agent": agent, **spec.search.headers}, timeout=settings.crawl.politeness.download_timeout,
                      follow_redirects=True) as client:
        if obey and not _robots_allow(client, url, agent):
            raise UserError(f"{url}: forbidden by the site's robots.txt (crawl.politeness.obey_robots_txt)")
        try:
            response = client.request(method, url, json=body)
        except httpx.HTTPError as exc:
            raise UserError(f"{url}: {type(exc).__name__}: {exc}") from None
    if response.status_code >= 400 and response.status_code not in SiteSpider.handle_httpstatus_list:
        raise UserError(f"{url}: HTTP {response.status_code}")
    return response.content[:MAX_PAGE_BYTES], str(response.url)


def _robots_allow(client, url: str, agent: str) -> bool:
    parts = urlsplit(url)
    try:
        answer = client.get(f"{parts.scheme}://{parts.netloc}/robots.txt")
    except Exception:  # noqa: BLE001 - no robots.txt reachable: allowed, as Scrapy treats it
        return True
    if answer.status_code >= 400:
        return True
    robots = RobotFileParser()
    robots.parse(answer.text.splitlines())
    return robots.can_fetch(agent, url)
