"""Review UI speed: median server time of queue pages (10,000 open cases, page 100 of "all" too) and a listing page."""
from __future__ import annotations

import datetime as dt
import random
import re
import statistics
import tempfile
import time
import warnings
from pathlib import Path

from sqlalchemy import insert

from alerts.review.users import create_user
from alerts.web.app import create_app
from config import load_config
from store import Store
from store.cases import group_pending
from store.listings import content_hash
from store.models import Classification, Listing, ListingVersion, Review, Seller

N_LISTINGS = 10_000
RUNS = 25
TARGET_MS = 200.0
PASSWORD = "bench-password-1"
WORDS = ("продам рога сайги пара цена за грамм опт дорого куплю киік мүйізі сатамын рог антилопы степной "
         "звонить писать доставка Алматы Шымкент Астана натуральные старые большие").split()


def _fill(store: Store, now: dt.datetime) -> int:
    rng = random.Random(7)
    platforms = ["olx", "avito", "telegram", "vk", "xianyu"]
    with store.session() as s:
        s.execute(insert(Seller), [{"platform": platforms[i % 5], "platform_seller_id": f"s{i}", "name": f"Продавец {i}",
                                    "phones": [f"+7701{i:07d}"], "handles": [], "first_seen": now, "last_seen": now}
                                   for i in range(1000)])
        listings, versions, classes, reviews = [], [], [], []
        for i in range(1, N_LISTINGS + 1):
            title = " ".join(rng.choice(WORDS) for _ in range(5)).capitalize()
            text = " ".join(rng.choice(WORDS) for _ in range(60))
            fields = {"title": title, "text": text, "price": float(rng.randint(5, 500) * 1000), "currency": "KZT",
                      "location": "Алматы"}
            chash = content_hash(fields)
            seen = now - dt.timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1440))
            listings.append({"id": i, "platform": platforms[i % 5], "platform_listing_id": f"L{i}",
                             "url": f"https://example.org/ad/{i}", **fields, "seller_id": 1 + i % 1000,
                             "phones": [f"+7702{i:07d}"], "handles": [], "first_seen": seen, "last_seen": seen,
                             "content_hash": chash, "language": "kk" if i % 4 == 0 else "ru", "extra": {}})
            versions.append({"listing_id": i, "seen_at": seen, "content_hash": chash, "title": title, "text": text,
                             "price": fields["price"], "currency": "KZT", "location": "Алматы"})
            start = text.find("рога")
            matches = [{"term": "рога", "role": "product", "start": start, "end": start + 4, "field": "text"}] if start >= 0 else []
            classes.append({"listing_id": i, "content_hash": chash, "model_version": "bench", "score": rng.random() * 0.5 + 0.5,
                            "flagged": True, "language": listings[-1]["language"], "intent": rng.choice(["sell", "buy"]),
                            "category": "horn", "matched_terms": ["рога"], "explanation": {"matches": matches},
                            "created_at": seen})
            if i % 3 == 0:
                reviews.append({"listing_id": i, "analyst": "bench", "decision": rng.choice(["sale", "buy", "not_trade", "unsure"]),
                                "note": "", "created_at": seen + dt.timedelta(hours=1)})
        for table, rows in ((Listing, listings), (ListingVersion, versions), (Classification, classes), (Review, reviews)):
            for k in range(0, len(rows), 2000):
                s.execute(insert(table), rows[k:k + 2000])
        create_user(s, "bench", PASSWORD, "analyst", language="ru")
    with store.session() as s:  # every listing is its own offer: 10,000 open cases
        group_pending(s, now=now)
    return N_LISTINGS


def _time(client, path: str) -> tuple[float, float]:
    """(server ms from the Server-Timing header, wall ms in the client) medians over RUNS requests."""
    server, wall = [], []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        r = client.get(path)
        wall.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code)
        server.append(float(re.search(r"dur=([\d.]+)", r.headers["server-timing"]).group(1)))
    return statistics.median(server), statistics.median(wall)


def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = load_config(overrides={"storage": {"database_path": str(root / "bench.db"), "data_dir": str(root / "var")}})
        store = Store.from_settings(settings)
        store.init()
        now = dt.datetime.now(dt.timezone.utc)
        t0 = time.perf_counter()
        _fill(store, now)
        print(f"seeded {N_LISTINGS} flagged listings in {time.perf_counter() - t0:.1f}s (SQLite)")
        app = create_app(settings, store)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
            cases = [
                ("queue (open, page 1)", "/queue"),
                ("queue (all, page 100)", "/queue?status=all&page=100"),
                ("queue (search + filters)", "/queue?status=all&q=%D1%81%D0%B0%D0%B9%D0%B3%D0%B8&platform=olx&min_score=0.7"),
                ("listing page", "/listings/5000"),
                ("seller dossier", "/sellers/10"),
                ("statistics", "/stats"),
            ]
            failed = []
            for label, path in cases:
                server_ms, wall_ms = _time(client, path)
                target = label.startswith(("queue (open", "queue (all", "listing"))
                mark = (" (target <= 200 ms: " + ("ok" if server_ms <= TARGET_MS else "MISSED") + ")") if target else ""
                print(f"{label:<28} median server {server_ms:7.1f} ms   client {wall_ms:7.1f} ms{mark}")
                if target and server_ms > TARGET_MS:
                    failed.append(label)
        store.dispose()
    if failed:
        print(f"targets missed: {', '.join(failed)}")
