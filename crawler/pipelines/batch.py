"""One crawler's store writes, gathered into one transaction per batch (up to BATCH_SIZE items or BATCH_SECONDS).

The WARC middleware hands it Capture rows, the store pipeline hands it items and awaits their batch.
A batch is one session, a few look-ups (UpsertCache) and one flush and commit, instead of two or three
transactions per page. A crawl killed half-way loses at most the rows of the batches not yet committed (their
pages are in WARC); the next crawl fetches those listings again, as it does any listing it does not know.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy.exc import IntegrityError, OperationalError

from store.listings import UpsertCache
from store.models import Capture

log = logging.getLogger("saigawatch.crawler")

BATCH_SIZE = 100
BATCH_SECONDS = 0.25
SECONDS_SETTING = "SAIGAWATCH_STORE_BATCH_SECONDS"  # a Scrapy setting: how long a batch gathers (BATCH_SECONDS)


@dataclass
class _Pending:
    item: Any
    key: tuple[str, str] | None
    seller_key: tuple[str, str] | None
    future: asyncio.Future


@dataclass
class StoreBatch:
    """Pending captures and items of one crawler, written together by flush().

    Inside a running crawl a batch is written on one writer thread (batches in order, one at a time), so the
    crawl goes on fetching and parsing while the database works; its items' futures resolve on the event loop
    once their batch is committed. Without a running loop (a test driving a component directly) flush() writes
    at once.
    """

    store: Any
    # (session, item, cache) → None or an after-flush hook (ids are known), which may return an after-commit hook
    write_item: Callable[[Any, Any, UpsertCache], Any]
    captures: list[Capture] = field(default_factory=list)
    items: list[_Pending] = field(default_factory=list)
    seconds: float = BATCH_SECONDS  # how long a batch gathers items before it is written
    _timer: asyncio.TimerHandle | None = None
    _writer: ThreadPoolExecutor | None = None
    _writing: set[asyncio.Future] = field(default_factory=set)

    @classmethod
    def of(cls, crawler, store, write_item=None) -> "StoreBatch":
        """The crawler's batch (created by the first component that asks; the pipeline gives write_item)."""
        batch = getattr(crawler, "_sw_store_batch", None)
        if batch is None:
            batch = cls(store=store, write_item=write_item,
                        seconds=crawler.settings.getfloat(SECONDS_SETTING, BATCH_SECONDS))
            crawler._sw_store_batch = batch
            from scrapy import signals

            crawler.signals.connect(batch.flush, signal=signals.spider_idle)
            crawler.signals.connect(batch.close, signal=signals.spider_closed)
        elif write_item is not None:
            batch.write_item = write_item
        return batch

    def add_capture(self, capture: Capture) -> None:
        self.captures.append(capture)
        self._arm()

    def add_item(self, item: Any, key: tuple[str, str] | None, seller_key: tuple[str, str] | None) -> asyncio.Future:
        future = asyncio.get_event_loop().create_future()
        self.items.append(_Pending(item, key, seller_key, future))
        if len(self.items) >= BATCH_SIZE:
            self.flush()
        else:
            self._arm()
        return future

    def _arm(self) -> None:
        if self._timer is None:
            try:
                loop = asyncio.get_event_loop()
            except RuntimeError:  # no loop (a test driving the middleware directly): write at once
                self.flush()
                return
            self._timer = loop.call_later(self.seconds, self.flush)

    def flush(self, *args: Any, **kwargs: Any) -> None:
        """Write every pending capture and item: on the writer thread inside a crawl, else now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        captures, items = self.captures, self.items
        self.captures, self.items = [], []
        if not captures and not items:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._finish(items, self._write_batch(captures, items))
            return
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="saigawatch-store")
        written = loop.run_in_executor(self._writer, self._write_batch, captures, items)
        self._writing.add(written)
        written.add_done_callback(lambda done: self._written(done, items))

    async def close(self, *args: Any, **kwargs: Any) -> None:
        """spider_closed: write what is left and wait for every batch still being written."""
        self.flush()
        while self._writing:
            await asyncio.gather(*list(self._writing), return_exceptions=True)
        self._stop_writer()

    def _stop_writer(self) -> None:
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None

    def _written(self, done: asyncio.Future, items: list[_Pending]) -> None:
        self._writing.discard(done)
        error = done.exception()
        if error is not None:  # _write_batch catches everything; this is a bug or an interpreter shutdown
            log.error("store batch of %d item(s) lost: %s: %s", len(items), type(error).__name__, error)
            for pending in items:
                if not pending.future.done():
                    pending.future.set_exception(error)
            return
        self._finish(items, done.result())

    def _write_batch(self, captures: list[Capture], items: list[_Pending]) -> list[tuple[Callable[[], None] | None, Exception | None]]:
        """One transaction for the batch, or one per item if it fails: each item's after-commit hook or error."""
        try:
            return [(hook, None) for hook in self._write(captures, items)]
        except Exception as exc:  # noqa: BLE001 - e.g. another worker stored the same seller first
            log.info("store batch of %d item(s) failed (%s: %s); storing them one by one", len(items),
                     type(exc).__name__, exc)
            return self._write_one_by_one(captures, items)

    @staticmethod
    def _finish(items: list[_Pending], outcomes) -> None:
        """On the event loop: run each item's after-commit hook and resolve its future."""
        for pending, (hook, error) in zip(items, outcomes):
            if error is None and hook is not None:
                hook()
            if not pending.future.done():
                if error is None:
                    pending.future.set_result(None)
                else:
                    pending.future.set_exception(error)

    def _write(self, captures: list[Capture], items: list[_Pending]) -> list[Callable[[], None]]:
        with self.store.session() as session:
            session.add_all(captures)
            cache = UpsertCache.load(session, [p.key for p in items if p.key],
                                     [p.seller_key for p in items if p.seller_key])
            after_flush = [self.write_item(session, p.item, cache) for p in items]
            session.flush()
            hooks = [(hook() if hook else None) or _nothing for hook in after_flush]
        return hooks

    def _write_one_by_one(self, captures: list[Capture], items: list[_Pending]):
        copies = {id(c): _copy(c) for c in captures}
        if copies:
            try:
                with self.store.session() as session:
                    session.add_all(copies.values())
            except Exception as exc:  # noqa: BLE001 - a full disk must show up, not kill the crawl silently
                log.error("could not record %d WARC capture(s): %s", len(captures), exc)
        outcomes: list[tuple[Callable[[], None] | None, Exception | None]] = []
        for pending in items:
            capture = pending.item.__dict__.get("_sw_capture")
            if capture is not None and id(capture) in copies:
                pending.item.__dict__["_sw_capture"] = copies[id(capture)]
            hook: Callable[[], None] | None = None
            for attempt in range(3):
                try:
                    hook = self._write([], [pending])[0]
                except (IntegrityError, OperationalError) as exc:  # a concurrent writer or a busy database
                    if attempt < 2:
                        continue
                    error: Exception | None = exc
                except Exception as exc:  # noqa: BLE001 - one bad item must not lose the others
                    error = exc
                else:
                    error = None
                break
            outcomes.append((hook, error))
        return outcomes


def _nothing() -> None:
    return None


def _copy(capture: Capture) -> Capture:
    """A fresh transient copy of a Capture whose first insert was rolled back."""
    cols = {c.key: getattr(capture, c.key) for c in Capture.__table__.columns if c.key != "id"}
    return Capture(**cols)
