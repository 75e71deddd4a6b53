"""Xianyu / Goofish through its search API, in a logged-in browser session (scrapy-playwright, system Chromium).

The session is configuration: a Playwright storage-state file (or a raw cookie string) named by the
environment variable in `credentials_env` (default SAIGAWATCH_XIANYU_SESSION) or by `options.storage_state`.
Without one the source is reported "not configured" and skipped. Every API call is signed like the
goofish.com web client does: `sign = md5(token & t & appKey & data)`, token from the `_m_h5_tk` cookie.

Search answers hold complete items, so no item pages are fetched while searching. A stored listing that no
longer appears in the results is re-checked through the item detail API (mtop.taobao.idle.pc.detail), in the
same session and signed the same way: still on sale → stored again (last_checked_at moves); deleted, sold or
off shelf → marked removed, with the platform's reason. A risk-control answer to a re-check is a block.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from scrapy.http import Request, Response

from config.schema import SourceSettings
from crawler.items import ListingGone
from crawler.known import KnownListing
from crawler.parsers import ParseResult
from crawler.parsers.xianyu import DETAIL_API, SEARCH_API, item_url, removal_reason
from crawler.settings import RETRY_HTTP_CODES
from crawler.spiders.avito import drop_queued_requests
from crawler.spiders.base import SaigaSpider

APP_KEY = "34839810"
INSTALL_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SESSION_ENV = "SAIGAWATCH_XIANYU_SESSION"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
OPTIONS = {
    "storage_state": "path to a Playwright storage-state JSON file of a logged-in goofish.com session "
                     "(used when the credentials_env variable is unset)",
    "rows_per_page": "results asked for per API page (1-30, default 30)",
    "browser_executable": "Chromium binary (default /usr/bin/chromium; never downloaded)",
    "navigation_timeout_s": "seconds one API call may take in the browser (default 30)",
}


class SessionError(Exception):
    """The configured session cannot be used; the message says what to do."""


def load_session(value: str, hosts: list[str]) -> dict[str, Any]:
    """A Playwright storage state from a file path or a "k=v; k2=v2" cookie string (cookies set on `hosts`).

    A relative path is looked up in the working directory, then in the installation (for the shipped demo file).
    """
    value = value.strip()
    path = Path(value).expanduser()
    if not path.is_absolute() and not path.exists() and (INSTALL_ROOT / path).exists():
        path = INSTALL_ROOT / path
    if value.startswith(("{", "/", "~", ".")) or path.suffix == ".json" or path.exists():
        if value.startswith("{"):
            text = value
        else:
            if not path.is_file():
                raise SessionError(f"session file {path} does not exist")
            text = path.read_text(encoding="utf-8")
        try:
            state = json.loads(text)
        except ValueError as exc:
            raise SessionError(f"session file {path} is not a Playwright storage state (JSON): {exc}") from None
        if not isinstance(state, dict) or not isinstance(state.get("cookies"), list):
            raise SessionError(f"session file {path} has no 'cookies' list (expected a Playwright storage state)")
        state.setdefault("origins", [])
        return state
    cookies = []
    for part in value.split(";"):
        name, sep, val = part.strip().partition("=")
        if not sep or not name:
            raise SessionError("the session is neither a storage-state file path nor a 'name=value; ...' cookie string")
        for host in hosts:
            cookies.append({"name": name, "value": val, "domain": host, "path": "/", "expires": -1,
                            "httpOnly": False, "secure": False, "sameSite": "Lax"})
    return {"cookies": cookies, "origins": []}


def session_token(state: dict[str, Any]) -> str:
    """The signing token: the part of the `_m_h5_tk` cookie before "_"."""
    for cookie in state.get("cookies", []):
        if cookie.get("name") == "_m_h5_tk" and "_" in str(cookie.get("value", "")):
            return str(cookie["value"]).split("_", 1)[0]
    raise SessionError("the session has no _m_h5_tk cookie: log in on goofish.com, open a search, then save the "
                       "browser's storage state again")


def sign(token: str, t: str, data: str, app_key: str = APP_KEY) -> str:
    return hashlib.md5(f"{token}&{t}&{app_key}&{data}".encode("utf-8")).hexdigest()


class XianyuSpider(SaigaSpider):
    """Search API pages (complete items, no ad pages); the item detail API re-checks listings gone from search."""

    name = "xianyu"
    platform = "xianyu"
    default_base_url = "https://www.goofish.com"
    default_api_url = "https://h5api.m.goofish.com"
    required_fields = ("title", "price")
    handle_httpstatus_list = [403, 404, 410, 429, 451]
    # risk control escalates on repeated 429s: report the block instead of retrying into it
    custom_settings = {"RETRY_HTTP_CODES": [code for code in RETRY_HTTP_CODES if code != 429]}

    @property
    def api_url(self) -> str | None:
        """The API host: `api_url`, else a `base_url` override (the demo serves both), else h5api.m.goofish.com."""
        url = self.source.api_url or self.source.base_url or self.default_api_url
        return url.rstrip("/") if url else None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.session: dict[str, Any] | None = None
        self.token: str | None = None
        self.session_problem: str | None = None
        try:
            self.session = self._configured_session()
            if self.session is not None:
                self.token = session_token(self.session)
        except SessionError as exc:
            self.session, self.session_problem = None, str(exc)

    @classmethod
    def validate_source(cls, source: SourceSettings) -> None:
        from crawler.errors import CrawlConfigError

        unknown = sorted(set(source.options) - set(OPTIONS))
        if unknown:
            raise CrawlConfigError(f"source {source.name!r}: unknown options {', '.join(unknown)} for Xianyu; "
                                   f"known: {', '.join(sorted(OPTIONS))}")
        rows = source.options.get("rows_per_page", 30)
        if not isinstance(rows, int) or not 1 <= rows <= 30:
            raise CrawlConfigError(f"source {source.name!r}: options.rows_per_page must be an integer from 1 to 30")

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.session is not None:  # only a configured source starts a browser
            opts = spider.source.options
            handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
            crawler.settings.set("DOWNLOAD_HANDLERS", {"http": handler, "https": handler}, priority="spider")
            crawler.settings.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", priority="spider")
            crawler.settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", {
                "executable_path": opts.get("browser_executable", "/usr/bin/chromium"),
                "headless": True, "args": CHROMIUM_ARGS}, priority="spider")
            crawler.settings.set("PLAYWRIGHT_MAX_CONTEXTS", 1, priority="spider")
            crawler.settings.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", 1, priority="spider")
            crawler.settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT",
                                 float(opts.get("navigation_timeout_s", 30)) * 1000, priority="spider")
        return spider

    # ------------------------------------------------------------------ session

    def _configured_session(self) -> dict[str, Any] | None:
        env = self.source.credentials_env or DEFAULT_SESSION_ENV
        value = os.environ.get(env, "").strip() or str(self.source.options.get("storage_state") or "").strip()
        if not value:
            self.session_problem = (f"no logged-in Xianyu session: set the environment variable {env} to a Playwright "
                                    f"storage-state file (or cookie string) of a goofish.com login, or options.storage_state")
            return None
        hosts = sorted({h for h in (urlsplit(self.api_url or "").hostname, urlsplit(self.base_url).hostname) if h})
        return load_session(value, hosts)

    def check_configured(self) -> str | None:
        return self.session_problem if self.session is None else None

    # ------------------------------------------------------------------ requests

    def signed_call(self, api: str, data: dict[str, Any], spm: str, referer: str) -> dict[str, Any]:
        """URL, body, headers and meta of one signed mtop call, sent through the logged-in browser context."""
        data_text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        t = str(int(time.time() * 1000))
        params = {"jsv": "2.7.2", "appKey": APP_KEY, "t": t, "sign": sign(self.token or "", t, data_text), "v": "1.0",
                  "type": "originaljson", "accountSite": "xianyu", "dataType": "json", "timeout": "20000",
                  "api": api, "sessionOption": "AutoLoginOnly", "spm_cnt": spm}
        return {
            "url": f"{self.api_url}/h5/{api}/1.0/?{urlencode(params)}",
            "method": "POST", "body": urlencode({"data": data_text}), "dont_filter": True,
            "headers": {"Content-Type": "application/x-www-form-urlencoded", "Referer": referer,
                        "Origin": self.base_url, "Accept": "application/json"},
            "meta": {"playwright": True, "playwright_context": f"xianyu-{self.source.name}",
                     "playwright_context_kwargs": {"storage_state": self.session},
                     "dont_merge_cookies": True,  # the browser context holds the session cookies
                     "sw_capture_kind": "api", "sw_token": self.token},
        }

    def api_request(self, query: str, page: int) -> Request:
        """One signed search API call."""
        rows = int(self.source.options.get("rows_per_page", 30))
        call = self.signed_call(SEARCH_API, {
            "pageNumber": page, "keyword": query, "fromFilter": False, "rowsPerPage": rows, "sortValue": "desc",
            "sortField": "create", "customDistance": "", "gps": "", "propValueStr": {}, "customGps": "",
            "searchReqFromPage": "pcSearch", "extraFilterValue": "{}", "userPositionJson": "{}"},
            "a21ybx.search.0.0", f"{self.base_url}/")
        return self.search_request(call.pop("url"), query=query, page=page, **call)

    def detail_request(self, item_id: str) -> Request:
        """One signed item detail API call re-checking a stored listing (→ parse_listing)."""
        call = self.signed_call(DETAIL_API, {"itemId": item_id}, "a21ybx.item.0.0",
                                f"{self.base_url}/item?id={item_id}")
        call["meta"].update({"sw_kind": "recheck", "sw_pid": item_id})
        return Request(call.pop("url"), callback=self.parse_listing, errback=self.on_error, **call)

    def search_requests(self) -> Iterator[Request]:
        for query in self.source.queries:
            yield self.api_request(query, 1)

    def follow_search(self, response: Response, result: ParseResult) -> Iterator[Request]:
        page = int(response.meta.get("sw_page") or 1)
        m = re.search(r"#pageNumber=(\d+)$", result.next_page or "")
        if m and result.items and page < self.source.max_pages:
            yield self.api_request(response.meta.get("sw_query") or "", int(m.group(1)))

    def recheck_request(self, known: KnownListing) -> Request:
        """A listing that left the search results: ask the item detail API whether it is still on sale."""
        return self.detail_request(known.platform_listing_id)

    def parse_listing(self, response: Response) -> Iterator[Any]:
        """A detail answer: re-signed once on an expired token; a removal carries the platform's reason."""
        if not response.meta.get("sw_resigned") and self.needs_resign(response):
            self.crawler.stats.inc_value("xianyu/resigned")
            request = self.detail_request(response.meta["sw_pid"])
            request.meta["sw_resigned"] = True
            yield request
            return
        for out in super().parse_listing(response):
            if isinstance(out, ListingGone):
                out.reason = removal_reason(response.body) or out.reason
                out.url = item_url(response.url, out.platform_listing_id)
                self.crawler.stats.inc_value("xianyu/rechecked_gone")
            yield out

    def parse_search(self, response: Response) -> Iterator[Any]:
        """A call signed with an expired (or since renewed) token is re-signed and sent once more."""
        if not response.meta.get("sw_resigned") and self.needs_resign(response):
            self.crawler.stats.inc_value("xianyu/resigned")
            request = self.api_request(response.meta.get("sw_query") or "", int(response.meta.get("sw_page") or 1))
            request.meta["sw_resigned"] = True
            yield request
            return
        yield from super().parse_search(response)

    def needs_resign(self, response: Response) -> bool:
        head = response.body[:4096]
        if not any(code in head for code in (b"FAIL_SYS_TOKEN_EXOIRED", b"FAIL_SYS_TOKEN_EMPTY", b"FAIL_SYS_ILLEGAL_ACCESS")):
            return False
        renewed = self.renew_token(response)
        return renewed or response.meta.get("sw_token") != self.token

    def renew_token(self, response: Response) -> bool:
        """True (and the new token kept) when the gateway's answer set a fresh `_m_h5_tk` cookie."""
        cookies = b"\n".join(response.headers.getlist(b"Set-Cookie")).decode("latin-1")
        m = re.search(r"_m_h5_tk=([0-9a-zA-Z]+)_\d+", cookies)
        if not m or m.group(1) == self.token:
            return False
        self.token = m.group(1)
        self.crawler.stats.inc_value("xianyu/token_renewed")
        return True

    def report_block(self, reason: str) -> None:
        already = self.status == "blocked"
        super().report_block(reason)
        if not already:
            drop_queued_requests(self.crawler, "blocked")  # risk control escalates: send nothing more

    def parse_response(self, response: Response, expected: str) -> ParseResult | None:
        if response.status == 429:
            self.crawler.stats.inc_value(f"pages/{expected}")
            self.report_block(f"HTTP 429 Too Many Requests at {response.url}")
            return None
        return super().parse_response(response, expected)
