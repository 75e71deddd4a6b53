"""The demo marketplace: one local HTTP server mounting every platform module under its path prefix.

A platform module `demo_marketplace/<platform>.py` exposes::

    PREFIXES: list[str]                      # e.g. ["/olx-kz", "/olx-uz"]
    def handle(request: DemoRequest, state: DemoState) -> DemoResponse: ...

and is discovered automatically (modules without both names, or whose name starts with "_", are
content helpers and are not mounted). The server also answers:

- `GET  /`                   an index of the mounted platforms;
- `GET  /robots.txt`         allows everything except `/__demo/` (platforms may add `ROBOTS_DISALLOW: list[str]`);
- `POST /__demo/day/<n>`     set the simulated day (listings carry the days they are online);
- `GET  /__demo/state`       day, request counts and active fault rules as JSON;
- `POST /__demo/fault?path=<substring>&kind=<kind>[&times=<n>]`  serve a fault on matching paths
  (`DELETE /__demo/fault` clears them);
- `POST /__demo/reset`       clear counters and fault rules.

Faults (also selectable per request with the query flag `?demo_fault=<kind>`) wrap whatever the
platform would have answered: see FAULT_KINDS.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import logging
import pkgutil
import threading
import traceback
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("demo_marketplace")

FAULT_KINDS = {
    "block": "HTTP 403 with the platform's own block page (the platform module decides what it looks like)",
    "429": "HTTP 429 Too Many Requests with Retry-After: 1",
    "503": "HTTP 503 Service Unavailable",
    "flaky": "HTTP 503 on the first request for a URL, the normal answer afterwards",
    "truncated": "Content-Length of the full page but the connection closes after half of it",
    "cp1251": "the page re-encoded as windows-1251 and labelled so (header and meta)",
    "cp1251_mislabelled": "the page re-encoded as windows-1251 but still labelled utf-8",
    "huge": "the page padded to 20 MB (streamed)",
    "gzip_bomb": "Content-Encoding: gzip whose body inflates to 256 MB of zeros",
    "404": "HTTP 404 Not Found",
    "410": "HTTP 410 Gone",
}
HUGE_BYTES = 20 * 1024 * 1024
BOMB_INFLATED_BYTES = 256 * 1024 * 1024


@dataclass
class DemoRequest:
    """One HTTP request as a platform module sees it."""

    method: str
    path: str  # the full path, e.g. "/olx-kz/list/q-рога/" (percent-decoded)
    prefix: str  # the mount prefix that matched, e.g. "/olx-kz"
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    base_url: str  # "http://127.0.0.1:<port>"

    @property
    def subpath(self) -> str:
        """The path below the prefix, always starting with "/"."""
        rest = self.path[len(self.prefix):]
        return rest if rest.startswith("/") else "/" + rest

    @property
    def site_url(self) -> str:
        """Absolute URL of the mounted platform: base_url + prefix."""
        return self.base_url + self.prefix

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def int_arg(self, name: str, default: int) -> int:
        try:
            return int(self.arg(name, str(default)))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return default

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8") or "null")


@dataclass
class DemoResponse:
    """What a platform module answers. `body` may be bytes or an iterable of byte chunks (streamed)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""

    @classmethod
    def html(cls, text: str, status: int = 200, headers: dict[str, str] | None = None) -> "DemoResponse":
        return cls(status, {"Content-Type": "text/html; charset=utf-8", **(headers or {})}, text.encode("utf-8"))

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> "DemoResponse":
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return cls(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, body)

    @classmethod
    def text(cls, text: str, status: int = 200, content_type: str = "text/plain; charset=utf-8") -> "DemoResponse":
        return cls(status, {"Content-Type": content_type}, text.encode("utf-8"))

    @classmethod
    def not_found(cls, what: str = "not found") -> "DemoResponse":
        return cls.text(what, 404)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> "DemoResponse":
        return cls(status, {"Location": location}, b"")


def online_on(items: Iterable, day: int) -> list:
    """Items online on a simulated day: published by then (`.day`) and not yet taken down (`.until`)."""
    return [x for x in items if x.day <= day and (x.until is None or day <= x.until)]


class DemoState:
    """Shared, thread-safe state of one demo server: the simulated day, counters and fault rules.

    Platform modules keep their generated content in `cache(key, factory)`.
    """

    def __init__(self, day: int = 0):
        self._day = day
        self.lock = threading.RLock()
        self.hits: Counter[str] = Counter()  # path → requests served
        self.faults: list[dict[str, Any]] = []  # {"path": substring, "kind": kind, "times": int | None}
        self._cache: dict[str, Any] = {}
        self._seen_urls: set[str] = set()  # for "flaky"

    @property
    def day(self) -> int:
        return self._day

    @day.setter
    def day(self, value: int) -> None:
        with self.lock:
            self._day = int(value)

    def set_day(self, value: int) -> None:
        self.day = value

    def cache(self, key: str, factory: Callable[[], Any]) -> Any:
        with self.lock:
            if key not in self._cache:
                self._cache[key] = factory()
            return self._cache[key]

    def add_fault(self, path: str, kind: str, times: int | None = None) -> None:
        """Serve `kind` on every path containing `path` (at most `times` times, if given)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        with self.lock:
            self.faults.append({"path": path, "kind": kind, "times": times})

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def reset(self) -> None:
        with self.lock:
            self.hits.clear()
            self.faults.clear()
            self._seen_urls.clear()

    def requests_under(self, prefix: str) -> int:
        """How many requests were served below a path prefix (e.g. "/olx-kz")."""
        with self.lock:
            return sum(n for path, n in self.hits.items() if path.startswith(prefix))

    def _fault_for(self, path_and_query: str, flag: str | None) -> str | None:
        if flag:
            return flag if flag in FAULT_KINDS else None
        with self.lock:
            for rule in self.faults:
                if rule["path"] in path_and_query:
                    if rule["times"] is not None:
                        if rule["times"] <= 0:
                            continue
                        rule["times"] -= 1
                    return rule["kind"]
        return None

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"day": self._day, "requests": sum(self.hits.values()), "hits": dict(self.hits),
                    "faults": [dict(f) for f in self.faults]}


# --------------------------------------------------------------------------- platform discovery

@dataclass
class Mount:
    prefix: str
    module: ModuleType


def discover_platforms() -> list[Mount]:
    """Every module in this package that defines PREFIXES and handle(), longest prefix first."""
    import demo_marketplace as package

    mounts: list[Mount] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "server":
            continue
        try:
            module = importlib.import_module(f"{package.__name__}.{info.name}")
        except Exception:  # noqa: BLE001 - one broken platform must not take the demo down
            log.exception("demo platform module %s failed to import; not mounted", info.name)
            continue
        prefixes = getattr(module, "PREFIXES", None)
        if not prefixes or not callable(getattr(module, "handle", None)):
            continue
        for prefix in prefixes:
            mounts.append(Mount("/" + prefix.strip("/"), module))
    mounts.sort(key=lambda m: len(m.prefix), reverse=True)
    return mounts


# --------------------------------------------------------------------------- faults

_bomb_cache: bytes | None = None
_bomb_lock = threading.Lock()


def gzip_bomb_body() -> bytes:
    """A gzip stream of BOMB_INFLATED_BYTES zeros (about 250 KB compressed), built once."""
    global _bomb_cache
    with _bomb_lock:
        if _bomb_cache is None:
            comp = zlib.compressobj(9, zlib.DEFLATED, 31)
            chunk = b"\0" * (1024 * 1024)
            parts = [comp.compress(chunk) for _ in range(BOMB_INFLATED_BYTES // len(chunk))]
            parts.append(comp.flush())
            _bomb_cache = b"".join(parts)
        return _bomb_cache


def _materialise(body: bytes | Iterable[bytes]) -> bytes:
    return body if isinstance(body, bytes) else b"".join(body)


def apply_fault(kind: str, response: DemoResponse, url: str, state: DemoState,
                block_page: Callable[[], DemoResponse] | None) -> tuple[DemoResponse, bool]:
    """Turn a normal answer into the fault `kind`; the flag says "close the connection early"."""
    if kind == "block":
        if block_page is not None:
            return block_page(), False
        return DemoResponse.html("<html><head><title>Access denied</title></head><body>403</body></html>", 403), False
    if kind == "429":
        return DemoResponse(429, {"Retry-After": "1", "Content-Type": "text/plain"}, b"Too Many Requests"), False
    if kind == "503":
        return DemoResponse(503, {"Content-Type": "text/plain"}, b"Service Unavailable"), False
    if kind == "flaky":
        with state.lock:
            first = url not in state._seen_urls
            state._seen_urls.add(url)
        if first:
            return DemoResponse(503, {"Content-Type": "text/plain"}, b"Service Unavailable (flaky)"), False
        return response, False
    if kind in ("404", "410"):
        return DemoResponse.text("Not Found" if kind == "404" else "Gone", int(kind)), False
    body = _materialise(response.body)
    headers = dict(response.headers)
    if kind == "truncated":
        headers["Content-Length"] = str(len(body))
        return DemoResponse(response.status, headers, body[: max(1, len(body) // 2)]), True
    if kind in ("cp1251", "cp1251_mislabelled"):
        text = body.decode("utf-8", errors="replace")
        if kind == "cp1251":
            text = text.replace('charset="utf-8"', 'charset="windows-1251"').replace("charset=utf-8", "charset=windows-1251")
            headers["Content-Type"] = headers.get("Content-Type", "text/html").split(";")[0] + "; charset=windows-1251"
        return DemoResponse(response.status, headers, text.encode("cp1251", errors="replace")), False
    if kind == "huge":
        pad = b"<!-- " + b"x" * (1024 * 1024 - 9) + b" -->\n"
        count = HUGE_BYTES // len(pad) + 1
        headers["Content-Length"] = str(len(body) + count * len(pad))

        def stream() -> Iterator[bytes]:
            yield body
            for _ in range(count):
                yield pad

        return DemoResponse(response.status, headers, stream()), False
    if kind == "gzip_bomb":
        headers["Content-Encoding"] = "gzip"
        return DemoResponse(response.status, headers, gzip_bomb_body()), False
    return response, False


# --------------------------------------------------------------------------- HTTP server

class DemoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: DemoState, mounts: list[Mount]):
        super().__init__(address, DemoHandler)
        self.state = state
        self.mounts = mounts

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class DemoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: DemoHTTPServer
    server_version = "SaigaWatchDemo/1.0"

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet: debug log only
        log.debug("%s %s", self.address_string(), fmt % args)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch(head=True)

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self, head: bool = False) -> None:
        from urllib.parse import unquote

        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = parse_qs(split.query, keep_blank_values=True)
        state = self.server.state
        with state.lock:
            state.hits[path] += 1
        try:
            response, close_early = self._answer(path, split.query, query, body)
        except Exception:  # noqa: BLE001 - a platform bug answers 500, the server stays up
            log.error("demo handler failed for %s:\n%s", self.path, traceback.format_exc())
            response, close_early = DemoResponse.text("Internal Server Error", 500), False
        self._send(response, close_early, head)

    def _answer(self, path: str, raw_query: str, query: dict[str, list[str]], body: bytes) -> tuple[DemoResponse, bool]:
        state = self.server.state
        if path.startswith("/__demo/"):
            return self._control(path, query), False
        if path == "/robots.txt":
            return DemoResponse.text(self._robots()), False
        if path in ("", "/"):
            return DemoResponse.html(self._index()), False
        mount = next((m for m in self.server.mounts
                      if path == m.prefix or path.startswith(m.prefix + "/")), None)
        if mount is None:
            return DemoResponse.not_found(f"no demo platform is mounted at {path}"), False
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = DemoRequest(self.command, path, mount.prefix, query, headers, body, self.server.base_url)
        flag = request.arg("demo_fault")
        kind = state._fault_for(path + ("?" + raw_query if raw_query else ""), flag)
        if kind == "block" and callable(getattr(mount.module, "block_page", None)):
            return mount.module.block_page(request, state), False
        response = mount.module.handle(request, state)
        if kind:
            return apply_fault(kind, response, path + "?" + raw_query, state, None)
        return response, False

    def _control(self, path: str, query: dict[str, list[str]]) -> DemoResponse:
        state = self.server.state
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[1] == "day" and self.command == "POST":
            try:
                state.day = int(parts[2])
            except ValueError:
                return DemoResponse.json({"error": f"day must be an integer, got {parts[2]!r}"}, 400)
            return DemoResponse.json({"day": state.day})
        if parts[1:] == ["state"]:
            return DemoResponse.json(state.snapshot())
        if parts[1:] == ["reset"] and self.command == "POST":
            state.reset()
            return DemoResponse.json(state.snapshot())
        if parts[1:] == ["fault"]:
            if self.command == "DELETE":
                state.clear_faults()
                return DemoResponse.json(state.snapshot())
            if self.command == "POST":
                try:
                    times = query.get("times", [None])[0]
                    state.add_fault(query.get("path", [""])[0], query.get("kind", [""])[0],
                                    int(times) if times else None)
                except ValueError as exc:
                    return DemoResponse.json({"error": str(exc)}, 400)
                return DemoResponse.json(state.snapshot())
        return DemoResponse.json({"error": f"unknown demo control {self.command} {path}"}, 404)

    def _robots(self) -> str:
        lines = ["User-agent: *", "Disallow: /__demo/"]
        for mount in self.server.mounts:
            for sub in getattr(mount.module, "ROBOTS_DISALLOW", []):
                lines.append(f"Disallow: {mount.prefix}{sub}")
        return "\n".join(lines) + "\n"

    def _index(self) -> str:
        items = "".join(f'<li><a href="{m.prefix}/">{m.prefix}</a> ({m.module.__name__.rsplit(".", 1)[-1]})</li>'
                        for m in sorted(self.server.mounts, key=lambda m: m.prefix))
        return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>SaigaWatch demo marketplace</title></head>"
                f"<body><h1>SaigaWatch demo marketplace</h1><p>Simulated day {self.server.state.day}.</p>"
                f"<ul>{items}</ul></body></html>")

    def _send(self, response: DemoResponse, close_early: bool, head: bool) -> None:
        body = response.body
        headers = dict(response.headers)
        if isinstance(body, (bytes, bytearray)):
            headers.setdefault("Content-Length", str(len(body)))
        elif "Content-Length" not in headers:
            body = _materialise(body)
            headers["Content-Length"] = str(len(body))
        try:
            self.send_response(response.status)
            for name, value in headers.items():
                self.send_header(name, value)
            if close_early:
                self.send_header("Connection", "close")
            self.end_headers()
            if not head:
                if isinstance(body, (bytes, bytearray)):
                    self.wfile.write(body)
                else:
                    for chunk in body:
                        self.wfile.write(chunk)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. a size limit): that is what faults are for
        if close_early:
            self.close_connection = True


# --------------------------------------------------------------------------- public API

class DemoURL(str):
    """The base URL of a running demo server; also carries `.state` and `.server` for tests."""

    state: DemoState
    server: DemoHTTPServer

    def set_day(self, day: int) -> None:
        self.state.day = day

    def url(self, path: str) -> str:
        return self + "/" + path.lstrip("/")


def make_server(port: int = 0, host: str = "127.0.0.1", day: int = 0, state: DemoState | None = None) -> DemoHTTPServer:
    """A demo server bound to host:port (0 = a free port), not yet serving."""
    return DemoHTTPServer((host, port), state or DemoState(day), discover_platforms())


@contextlib.contextmanager
def serve_in_thread(port: int = 0, host: str = "127.0.0.1", day: int = 0,
                    state: DemoState | None = None) -> Iterator[DemoURL]:
    """Run the demo marketplace in a background thread; yields its base URL (a str with `.state`)."""
    server = make_server(port, host, day, state)
    thread = threading.Thread(target=server.serve_forever, name="demo-marketplace", daemon=True)
    thread.start()
    url = DemoURL(server.base_url)
    url.state = server.state
    url.server = server
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def set_day(base_url: str, day: int, timeout: float = 10) -> int:
    """Change the simulated day of a running demo server over HTTP (POST /__demo/day/<n>)."""
    import urllib.request

    req = urllib.request.Request(f"{base_url.rstrip('/')}/__demo/day/{int(day)}", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - loopback only
        return int(json.loads(resp.read())["day"])


def main(argv: list[str] | None = None) -> int:
    """`python -m demo_marketplace [--port N] [--day N] [--host H]`: serve until Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m demo_marketplace",
                                     description="Serve the SaigaWatch demo marketplace on the loopback interface.")
    parser.add_argument("--port", type=int, default=8089, help="TCP port (0 = any free port; default 8089, as in config/demo.yaml)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--day", type=int, default=0, help="simulated day to start on (default 0)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = make_server(args.port, args.host, args.day)
    print(f"demo marketplace on {server.base_url} (day {args.day})", flush=True)
    for mount in sorted(server.mounts, key=lambda m: m.prefix):
        print(f"  {server.base_url}{mount.prefix}/", flush=True)
    print(f"change the day with: curl -X POST {server.base_url}/__demo/day/1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
