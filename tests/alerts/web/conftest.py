"""Fixtures for the review UI: a seeded store (listings, classifications, reviews, users) and logged-in clients."""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from dataclasses import dataclass, field

import warnings

import pytest
from PIL import Image as PILImage

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette suggests httpx2; httpx is what the project ships
    from starlette.testclient import TestClient

from alerts.evidence.keys import generate_key
from alerts.review.users import create_user
from alerts.web.app import create_app
from config import load_config
from store import Store
from store.cases import group_pending
from store.listings import upsert_listing
from store.models import Capture, Classification, EvidenceCapture, Image, Review
from store.warc import WarcWriter

PASSWORD = "correct-horse-battery"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
XSS_TITLE = 'Рога сайги <script>window.__pwned = 1; fetch("http://127.0.0.1:9/pwned")</script>'
XSS_TEXT = ('Продам рога сайги <img src=x onerror="window.__pwned=2;fetch(\'http://127.0.0.1:9/img\')"> '
            '<a href="javascript:window.__pwned=3">жми</a> <svg onload="window.__pwned=4"></svg> '
            '"><script>alert(1)</script> цена за грамм')


@dataclass
class Seeded:
    ids: dict[str, int] = field(default_factory=dict)
    seller_ids: dict[str, int] = field(default_factory=dict)
    image_id: int | None = None
    capture_id: int | None = None


def _matches(title: str, text: str, terms: dict[str, str]) -> list[dict]:
    """Classifier-style matches at exact offsets for each term (role given per term)."""
    out = []
    for field_name, value in (("title", title), ("text", text)):
        for term, role in terms.items():
            for m in re.finditer(re.escape(term), value):
                out.append({"term": term, "role": role, "start": m.start(), "end": m.end(), "field": field_name})
    return out


def add_listing(session, key: str, title: str, text: str, *, score: float = 0.9, flagged: bool = True,
                platform: str = "olx", intent: str = "sell", lang: str = "ru", seller: str | None = None,
                phones: list[str] | None = None, handles: list[str] | None = None, now: dt.datetime = NOW,
                classified_at: dt.datetime | None = None, price: float | None = 150000, url: str | None = None,
                terms: dict[str, str] | None = None):
    fields = {"platform": platform, "platform_listing_id": key, "url": url or f"https://www.olx.kz/d/obyavlenie/{key}.html",
              "title": title, "text": text, "price": price, "currency": "KZT", "location": "Алматы",
              "language": lang, "phones": phones or [], "handles": handles or [],
              "posted_at": now - dt.timedelta(days=2)}
    if seller:
        fields.update(seller_platform_id=seller, seller_name=f"Продавец {seller}")
    listing = upsert_listing(session, fields, now).listing
    terms = terms if terms is not None else {"рога сайги": "product", "Продам": "intent", "продам": "intent"}
    session.add(Classification(
        listing_id=listing.id, content_hash=listing.content_hash, model_version="rules-test-1", score=score,
        flagged=flagged, language=lang, intent=intent, category="horn",
        matched_terms=sorted({m["term"] for m in _matches(title, text, terms)}),
        explanation={"matches": _matches(title, text, terms), "reasons": ["product term: рога сайги", {"rule": "sell intent", "weight": 0.3}]},
        created_at=classified_at or now))
    session.flush()
    return listing


def seed(store: Store, settings) -> Seeded:
    s = Seeded()
    yesterday = NOW - dt.timedelta(days=3)
    with store.session() as session:
        create_user(session, "anna", PASSWORD, "analyst", language="en")
        create_user(session, "boss", PASSWORD, "admin", language="en")
        create_user(session, "vera", PASSWORD, "viewer", language="en")
        create_user(session, "rusya", PASSWORD, "analyst", language="ru")
        top = add_listing(session, "top-1", "Продам рога сайги, пара", "Продам рога сайги. Цена за грамм. Звонить +77011234567",
                          score=0.97, seller="s-100", phones=["+77011234567"])
        s.ids["top"] = top.id
        s.seller_ids["s-100"] = top.seller_id
        s.ids["repost"] = add_listing(session, "top-2", "Продам рога сайги пара", "Продам рога сайги. Цена за грамм. Звонить +77011234567!",
                                      score=0.95, seller="s-100", phones=["+77011234567"]).id
        other = add_listing(session, "vk-9", "Куплю рога", "Куплю рога сайги дорого, пишите @hornbuyer",
                            score=0.9, platform="vk", intent="buy", seller="vk-u9", phones=["+77011234567"],
                            handles=["@hornbuyer"], terms={"рога сайги": "product", "Куплю": "intent"})
        s.ids["other_platform"] = other.id
        s.seller_ids["vk-u9"] = other.seller_id
        s.ids["kk"] = add_listing(session, "kk-1", "Киік мүйізі сатамын", "Киік мүйізі сатамын, бағасы келісімді",
                                  score=0.7, lang="kk", terms={"Киік мүйізі": "product", "сатамын": "intent"}).id
        s.ids["backlog"] = add_listing(session, "old-1", "Рога антилопы", "Рога антилопы степной, старые",
                                       score=0.6, now=yesterday, classified_at=yesterday,
                                       terms={"Рога антилопы": "product"}).id
        s.ids["reviewed_old"] = add_listing(session, "old-2", "Продам рога сайги", "Продам рога сайги недорого",
                                            score=0.8, now=yesterday, classified_at=yesterday).id
        session.add(Review(listing_id=s.ids["reviewed_old"], analyst="anna", decision="sale", note="ясно",
                           created_at=yesterday + dt.timedelta(hours=1)))
        s.ids["not_flagged"] = add_listing(session, "rifle-1", "Карабин Сайга 12", "Продам карабин Сайга, документы",
                                           score=0.1, flagged=False, terms={}).id
        s.ids["xss"] = add_listing(session, "xss-1", XSS_TITLE, XSS_TEXT, score=0.99,
                                   url="javascript:window.__pwned=5", terms={"рога сайги": "product", "Продам": "intent"}).id
        # a second version of the top listing (price changed, text edited)
        upsert_listing(session, {"platform": "olx", "platform_listing_id": "top-1", "url": "https://www.olx.kz/d/obyavlenie/top-1.html",
                                 "title": "Продам рога сайги, пара", "text": "Продам рога сайги. Цена за грамм, торг. Звонить +77011234567",
                                 "price": 140000, "currency": "KZT", "location": "Алматы", "language": "ru",
                                 "phones": ["+77011234567"], "seller_platform_id": "s-100"}, NOW + dt.timedelta(minutes=5))
        top_listing = session.get(type(top), s.ids["top"])
        session.add(Classification(listing_id=top_listing.id, content_hash=top_listing.content_hash, model_version="rules-test-1",
                                   score=0.97, flagged=True, language="ru", intent="sell", category="horn",
                                   matched_terms=["рога сайги"], created_at=NOW + dt.timedelta(minutes=6),
                                   explanation={"matches": _matches(top_listing.title, top_listing.text,
                                                                    {"рога сайги": "product", "Продам": "intent"}),
                                                "reasons": ["product term: рога сайги",
                                                            {"rule": "sell intent", "weight": 0.3}]}))
        # a stored photo and a stored capture
        data_dir = settings.storage.data_path
        (data_dir / "images").mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        PILImage.new("RGB", (40, 30), (200, 120, 40)).save(buf, "JPEG")
        (data_dir / "images" / "top.jpg").write_bytes(buf.getvalue())
        image = Image(listing_id=s.ids["top"], url="https://img.example/top.jpg", path="images/top.jpg", sha256="sha256:x")
        session.add(image)
        session.add(Image(listing_id=s.ids["top"], url="https://img.example/missing.jpg", error="timeout"))
        ref = WarcWriter(data_dir).write_response(
            "https://www.olx.kz/d/obyavlenie/xss-1.html", 200, [("Content-Type", "text/html; charset=utf-8")],
            b"<html><body><script>window.__pwned=6</script>hostile page</body></html>", NOW)
        capture = Capture(listing_id=s.ids["xss"], kind="page", url="https://www.olx.kz/d/obyavlenie/xss-1.html",
                          status_code=200, content_type="text/html; charset=utf-8", warc_path=ref.path,
                          warc_offset=ref.offset, warc_length=ref.length, sha256=ref.sha256, fetched_at=NOW)
        session.add(capture)
        session.add(EvidenceCapture(listing_id=s.ids["top"], directory="evidence/top", finished_at=NOW,
                                    steps={"warc": {"status": "ok"}, "screenshot": {"status": "ok"}},
                                    manifest_sha256="sha256:abc"))
        session.flush()
        s.image_id, s.capture_id = image.id, capture.id
    with store.session() as session:  # as the daily run does: reposts join one case
        group_pending(session, now=NOW)
    return s


def _settings_for(root, **web):
    return load_config(overrides={"storage": {"database_path": str(root / "web.db"), "data_dir": str(root / "var")},
                                  "evidence": {"signing_key_path": str(root / "keys" / "signing_key.pem")},
                                  "web": {"page_size": 5, **web}})


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """One migrated and seeded SQLite store (plus data dir) per session; tests get a copy of it."""
    root = tmp_path_factory.mktemp("web-template")
    settings = _settings_for(root)
    generate_key(root / "keys" / "signing_key.pem")  # custody links written by the UI are signed with it
    store = Store.from_settings(settings)
    store.init()
    seeded = seed(store, settings)
    store.dispose()
    return root, seeded


@pytest.fixture
def web_settings(tmp_path, monkeypatch, seeded_template):
    monkeypatch.delenv("SAIGAWATCH_SECRET_KEY", raising=False)
    template, _ = seeded_template
    root = tmp_path / "site"
    shutil.copytree(template, root)
    return _settings_for(root)


@pytest.fixture
def web_store(web_settings):
    store = Store.from_settings(web_settings)
    yield store
    store.dispose()


@pytest.fixture
def seeded(seeded_template, web_store) -> Seeded:
    return seeded_template[1]


@pytest.fixture
def app(web_settings, web_store, seeded):
    return create_app(web_settings, web_store)


def login(client: TestClient, username: str, password: str = PASSWORD):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": ""},
                       follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/stats") -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get(path).text).group(1)


@pytest.fixture
def anon(app):
    with TestClient(app, base_url="http://127.0.0.1", headers={"Accept-Language": "en"}) as client:
        yield client


def _client_for(app, username):
    client = TestClient(app, base_url="http://127.0.0.1", headers={"Accept-Language": "en"})
    client.__enter__()
    assert login(client, username).status_code == 303
    return client


@pytest.fixture
def analyst(app):
    client = _client_for(app, "anna")
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def admin(app):
    client = _client_for(app, "boss")
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def viewer(app):
    client = _client_for(app, "vera")
    yield client
    client.__exit__(None, None, None)
