"""A Scrapy extension that SIGKILLs its crawl process at a chosen point (the distributed crawl kill tests)."""
from __future__ import annotations

import os
import signal

from scrapy import signals

from crawler.distributed import SharedScheduler, SharedSeen

SETTING = "SW_TEST_KILL_AT"  # "<point>:<n>": die at the n-th time the point is reached


class KillAt:
    """Points: `seen` (a card marked seen in Redis, its follow-up not yet queued), `taken` (a request taken
    from the shared queue, not yet downloaded), `stored` (an item committed to the store)."""

    def __init__(self, point: str, n: int):
        self.left = n
        if point == "seen":
            self._after(SharedSeen, "add")
        elif point == "taken":
            self._after(SharedScheduler, "next_request", only_if_result=True)
        elif point != "stored":
            raise ValueError(f"unknown kill point {point!r}")

    @classmethod
    def from_crawler(cls, crawler):
        point, n = crawler.settings.get(SETTING).split(":")
        ext = cls(point, int(n))
        if point == "stored":
            crawler.signals.connect(ext.reached, signal=signals.item_scraped)
        return ext

    def _after(self, owner, name: str, only_if_result: bool = False) -> None:
        original = getattr(owner, name)

        def wrapped(obj, *args, **kwargs):
            result = original(obj, *args, **kwargs)
            if result is not None or not only_if_result:
                self.reached()
            return result
        setattr(owner, name, wrapped)

    def reached(self) -> None:
        self.left -= 1
        if self.left == 0:
            os.kill(os.getpid(), signal.SIGKILL)
