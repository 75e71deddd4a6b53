"""What one crawl process shares between its crawlers: the store, the WARC writer, the run clock."""
from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from store import Store
from store.warc import WarcWriter


@dataclass
class RunClock:
    """The crawl's notion of "now": real UTC time, or a simulated start (demo days) plus elapsed time."""

    start: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    _t0: float = field(default_factory=time.monotonic)

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self._t0)


@dataclass
class CrawlRuntime:
    """The resources of one crawl run, set up by crawler.child and handed to every crawler in its settings
    (RUNTIME_SETTING), where spiders, pipelines, middlewares and extensions read it (from_crawler)."""

    database_url: str | None
    data_dir: Path
    crawl_run_id: int | None = None
    clock: RunClock = field(default_factory=RunClock)
    warc_max_bytes: int = 1_000_000_000
    on_event: Callable[[dict[str, Any]], None] | None = None  # progress events (the child process prints them)
    _store: Store | None = None
    _warc: WarcWriter | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def store(self) -> Store | None:
        if self.database_url is None:
            return None
        with self._lock:
            if self._store is None:
                self._store = Store(self.database_url)
            return self._store

    @property
    def warc(self) -> WarcWriter:
        with self._lock:
            if self._warc is None:
                self._warc = WarcWriter(self.data_dir, max_bytes=self.warc_max_bytes)
            return self._warc

    def emit(self, event: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def __copy__(self) -> CrawlRuntime:
        return self  # shared by every crawler of the process: Scrapy copies settings, never the resources

    def __deepcopy__(self, memo: dict[int, Any]) -> CrawlRuntime:
        return self

    def close(self) -> None:
        if self._warc is not None:
            self._warc.close()
        if self._store is not None:
            self._store.dispose()


RUNTIME_SETTING = "SAIGAWATCH_RUNTIME"


def of_crawler(crawler: Any) -> CrawlRuntime | None:
    """The runtime crawler.child put into this crawler's settings (RUNTIME_SETTING); None: a crawl without storage."""
    settings = getattr(crawler, "settings", None)
    return settings.get(RUNTIME_SETTING) if settings is not None else None
