"""Grouping speed: 100,000 listings grouped into cases from scratch (target ≤ 60 s, one core) and one new
listing grouped incrementally against them (target ≤ 5 ms each), on SQLite."""
from __future__ import annotations

import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from store import Store
from store.cases import group_listings, group_pending
from store.listings import content_hash
from store.models import Case, Listing

N_LISTINGS = int(__import__("os").environ.get("BENCH_CASES_N", "100000"))
N_INCREMENTAL = 300
TARGET_SCRATCH_S = 60.0
TARGET_INCREMENTAL_MS = 5.0
WORDS = ("продам рога сайги пара цена за грамм опт дорого куплю киік мүйізі сатамын рог антилопы степной звонить "
         "писать доставка Алматы Шымкент Астана натуральные старые большие светлые без трещин хранились дома "
         "отправлю почтой самовывоз срочно торг уместен фото в личку").split()


def _listing(i: int, rng: random.Random, now: dt.datetime, originals: list[tuple[str, str]]) -> dict:
    if originals and rng.random() < 0.3:  # a repost: the same text again (sometimes with a word added)
        title, text = rng.choice(originals)
        if rng.random() < 0.5:
            text += " " + rng.choice(WORDS)
    else:
        title = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize()
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 60)))
        originals.append((title, text))
    fields = {"title": title, "text": text, "price": None, "currency": None, "location": None}
    phone = f"+7701{rng.randint(0, 10 * N_LISTINGS):07d}"
    return {"platform": ("olx", "avito", "telegram", "vk", "xianyu")[i % 5], "platform_listing_id": f"L{i}",
            "url": f"https://example.org/ad/{i}", **fields, "phones": [phone], "handles": [], "first_seen": now,
            "last_seen": now, "content_hash": content_hash(fields), "extra": {}}


def main() -> None:
    rng = random.Random(12)
    now = dt.datetime.now(dt.timezone.utc)
    originals: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.init()
        rows = [_listing(i, rng, now, originals) for i in range(N_LISTINGS)]
        with store.session() as s:
            for k in range(0, len(rows), 5000):
                s.execute(insert(Listing), rows[k:k + 5000])
        t0, c0 = time.perf_counter(), time.process_time()
        with store.session() as s:
            stats = group_pending(s, now=now)
        scratch, cpu = time.perf_counter() - t0, time.process_time() - c0
        with store.session() as s:
            cases = s.scalar(select(func.count()).select_from(Case))
        print(f"grouped {stats.grouped} listings from scratch in {scratch:.1f}s wall, {cpu:.1f}s CPU on one core "
              f"({scratch / N_LISTINGS * 1000:.2f} ms "
              f"each): {cases} cases, {stats.joined} joined one (target <= {TARGET_SCRATCH_S:.0f} s: "
              f"{'ok' if scratch <= TARGET_SCRATCH_S else 'MISSED'})")
        timings, cpu_timings = [], []
        for i in range(N_INCREMENTAL):
            row = _listing(N_LISTINGS + i, rng, now, originals)
            with store.session() as s:
                listing_id = s.execute(insert(Listing).returning(Listing.id), [row]).scalar_one()
            t0, c0 = time.perf_counter(), time.process_time()
            with store.session() as s:
                group_listings(s, [listing_id], now=now)
            timings.append((time.perf_counter() - t0) * 1000)
            cpu_timings.append((time.process_time() - c0) * 1000)
        median, p95 = statistics.median(timings), sorted(timings)[int(len(timings) * 0.95)]
        print(f"incremental: one new listing grouped against {N_LISTINGS} in median {median:.2f} ms wall "
              f"({statistics.median(cpu_timings):.2f} ms CPU), p95 {p95:.2f} ms "
              f"(including its commit; target <= {TARGET_INCREMENTAL_MS:.0f} ms: "
              f"{'ok' if median <= TARGET_INCREMENTAL_MS else 'MISSED'})")
        print(f"ratio scratch-per-listing / incremental: {scratch / N_LISTINGS * 1000 / median:.2f}")
        store.dispose()


if __name__ == "__main__":
    main()
