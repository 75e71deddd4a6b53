"""A walk through every review-UI page in real Chromium: a showcase store, the page list, English-word and phone checks.

Used by tests/alerts/web/test_ui_walk.py and by `make screenshots` (python -m tests.alerts.web.ui_walk OUTDIR).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image as PILImage

from alerts.evidence.keys import generate_key
from alerts.review.appeals import create_appeal, update_appeal
from alerts.review.audit import record_event
from alerts.review.users import create_user
from config import load_config
from store import Store
from store.listings import upsert_listing
from store.models import Classification, EvidenceBundle, EvidenceCapture, Review, User

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PASSWORD = "correct-horse-battery"
LOCALES = {"ru": "ru-RU", "kk": "kk-KZ"}  # the browser asks for the language (login page, date formats)
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
# Latin words a Russian or Kazakh page may show: names (brand, platforms, accounts, formats), not English prose.
ALLOWED_WORDS = {
    "saigawatch", "olx", "avito", "vk", "telegram", "xianyu", "weibo", "tieba", "wechat", "warc", "zip", "http",
    "sha", "pdf", "english", "kzt", "rub", "usd", "cny", "uzs", "mnt", "eur", "boss", "anna", "vera", "rules",
    "horntrader", "kz", "ru", "mn", "uz", "cn", "ua", "utc", "almaty", "asia", "enter", "system", "id",
}
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@dataclass
class Showcase:
    settings: object
    store: Store
    ids: dict[str, int] = field(default_factory=dict)


def _settings(root: Path):
    return load_config(overrides={"storage": {"database_path": str(root / "web.db"), "data_dir": str(root / "var")},
                                  "evidence": {"signing_key_path": str(root / "keys" / "signing_key.pem")},
                                  "web": {"page_size": 20}})


def _match(text: str, words: dict[str, str], field_name: str = "text") -> list[dict]:
    return [{"term": w, "text": w, "role": role, "start": m.start(), "end": m.end(), "field": field_name}
            for w, role in words.items() for m in re.finditer(re.escape(w), text)]


def _listing(session, key, platform, title, text, lang, score, words, contributions, **extra):
    fields = {"platform": platform, "platform_listing_id": key, "url": f"https://example.{platform}.test/{key}",
              "title": title, "text": text, "language": lang, "posted_at": NOW - dt.timedelta(days=1), **extra}
    listing = upsert_listing(session, fields, NOW).listing
    matches = _match(title, words, "title") + _match(text, words)
    session.add(Classification(
        listing_id=listing.id, content_hash=listing.content_hash, model_version="rules-1", score=score, flagged=True,
        language=lang, intent="sell", category="trade" if score >= 0.5 else "medicine",
        matched_terms=sorted(words), created_at=NOW,
        explanation={"score": score, "threshold": 0.5, "priority": "high" if score >= 0.5 else "low",
                     "matches": matches, "contributions": contributions, "model": {"p_trade": score},
                     **({"note": "medicine: review at low priority, never a confirmed sale"} if score < 0.5 else {})}))
    session.flush()
    return listing


def build_showcase(root: Path) -> Showcase:
    """A migrated store with listings in Russian, Kazakh and Chinese, evidence, a bundle, appeals and audit entries."""
    settings = _settings(root)
    generate_key(root / "keys" / "signing_key.pem")  # the submitted appeal's custody links are signed with it
    store = Store.from_settings(settings)
    store.init()
    show = Showcase(settings, store)
    data = settings.storage.data_path
    with store.session() as s:
        create_user(s, "boss", PASSWORD, "admin", language="ru")
        create_user(s, "anna", PASSWORD, "analyst", language="ru")
        ru = _listing(s, "ru-1", "olx", "Продам рога сайги, пара", "Продам рога сайги. Цена за грамм 900 тг. Звонить +77011234567",
                      "ru", 0.97, {"рога сайги": "product", "Продам": "intent_sell", "900 тг": "price"},
                      {"model": 4.1, "near": 0.92, "sell": 0.6, "price": 0.4}, price=180000, currency="KZT",
                      location="Алматы", phones=["+77011234567"], seller_platform_id="s-1", seller_name="Ерлан")
        kk = _listing(s, "kk-1", "olx", "Киік мүйізі сатамын", "Киік мүйізі сатамын, бағасы келісімді",
                      "kk", 0.81, {"Киік мүйізі": "product", "сатамын": "intent_sell"},
                      {"model": 2.0, "product": 0.7, "sell": 0.6}, location="Атырау",
                      seller_platform_id="s-1", seller_name="Ерлан")
        zh = _listing(s, "zh-1", "xianyu", "出售羚羊角丝", "出售羚羊角丝 每克50元 加微信", "zh", 0.93,
                      {"羚羊角丝": "species", "出售": "intent_sell", "每克": "price", "加微信": "intent_sell"},
                      {"model": 3.0, "species": 1.0, "sell": 0.8, "price": 0.5}, price=50, currency="CNY")
        tg = _listing(s, "horntrader/15", "telegram", "Рога сайги оптом", "Рога сайги оптом, 150 000 тг за пару",
                      "ru", 0.88, {"Рога сайги": "product", "оптом": "intent_sell"},
                      {"model": 2.5, "product": 0.7, "sell": 0.5}, price=150000, currency="KZT", price_text="150 000 тг")
        av = _listing(s, "av-1", "avito", "Рога сайги, Калмыкия", "Продаю рога сайги, Элиста", "ru", 0.9,
                      {"рога сайги": "product", "Продаю": "intent_sell"}, {"model": 2.2, "product": 0.7, "sell": 0.6},
                      price=30000, currency="RUB", location="Элиста")
        low = _listing(s, "med-1", "xianyu", "羚羊感冒片", "羚羊感冒片 药店", "zh", 0.31,
                       {"羚羊感冒片": "confounder"}, {"model": -1.0, "medicine": -1.2})
        show.ids.update(ru=ru.id, kk=kk.id, zh=zh.id, tg=tg.id, av=av.id, low=low.id, seller=ru.seller_id)
        s.add(Review(listing_id=kk.id, analyst="anna", decision="sale", note="тот же телефон", created_at=NOW))
        # evidence: a screenshot and the fetched page for the Telegram post and the Russian listing
        for key, listing in (("tg", tg), ("ru", ru)):
            folder = data / "evidence" / key
            (folder / "browser").mkdir(parents=True, exist_ok=True)
            (folder / "http").mkdir(parents=True, exist_ok=True)
            buf = io.BytesIO()
            PILImage.new("RGB", (600, 400), (230, 220, 200)).save(buf, "PNG")
            (folder / "browser" / "screenshot.png").write_bytes(buf.getvalue())
            (folder / "http" / "page.html").write_text(
                f"<html><body><h1>{listing.title}</h1><p>{listing.text}</p><script>document.title='x'</script></body></html>",
                encoding="utf-8")
            s.add(EvidenceCapture(listing_id=listing.id, directory=f"evidence/{key}", finished_at=NOW,
                                  steps={"warc": {"status": "ok"}, "screenshot": {"status": "ok"},
                                         "sign": {"status": "ok"}}, manifest_sha256="sha256:" + "ab" * 32))
        own = EvidenceBundle(case_name="Дело Алматы", created_by="anna", path="bundles/a.zip", sha256="sha256:" + "cd" * 32,
                             listing_ids=[ru.id], language="ru")
        mixed = EvidenceBundle(case_name="Дело смешанное", created_by="anna", path="bundles/b.zip",
                               sha256="sha256:" + "ef" * 32, listing_ids=[ru.id, av.id], language="ru")
        s.add_all([own, mixed])
        s.flush()
        show.ids.update(bundle=own.id)
        appeal = create_appeal(s, case_name="Дело Алматы", listing_ids=[ru.id], actor="anna", country="KZ",
                               authority="УП г. Алматы", bundle_id=own.id)
        update_appeal(s, appeal.id, actor="anna", status="submitted", at=NOW - dt.timedelta(days=2), settings=settings)
        show.ids.update(appeal=appeal.id)
        record_event(s, "anna", "review", "listing", kk.id, {"decision": "sale"})
    return show


def set_language(store: Store, username: str, lang: str) -> None:
    with store.session() as s:
        s.query(User).filter_by(username=username).one().language = lang


def page_paths(ids: dict[str, int]) -> list[tuple[str, str]]:
    """(name, path) of every page an analyst or admin sees."""
    return [
        ("queue", "/queue"), ("queue-all", "/queue?status=all&sort=price"), ("to-label", "/queue/uncertain"),
        ("listing-ru", f"/listings/{ids['ru']}"), ("listing-kk", f"/listings/{ids['kk']}"),
        ("listing-zh", f"/listings/{ids['zh']}"), ("listing-telegram", f"/listings/{ids['tg']}"),
        ("listing-avito", f"/listings/{ids['av']}"), ("saved-copy", f"/listings/{ids['tg']}/saved-copy"),
        ("seller", f"/sellers/{ids['seller']}"), ("dossier-phone", "/dossier?phone=%2B77011234567"),
        ("appeals", "/appeals"), ("appeal", f"/appeals/{ids['appeal']}"), ("bundle", f"/evidence/bundles/{ids['bundle']}"),
        ("stats", "/stats"), ("admin", "/admin"), ("audit", "/admin/audit"), ("not-found", "/listings/999999"),
        ("bad-filter", "/queue?min_score=lots"),
    ]


COLLECT_TEXT = """() => {
  const out = [document.title];
  const keep = el => !el.closest('[translate="no"], script, style, noscript');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) { const n = walker.currentNode; if (n.parentElement && keep(n.parentElement)) out.push(n.textContent); }
  document.querySelectorAll('[placeholder],[title],[aria-label],[alt]').forEach(el => {
    if (!keep(el)) return;
    for (const a of ['placeholder', 'title', 'aria-label', 'alt']) { const v = el.getAttribute(a); if (v) out.push(v); }
  });
  return out.join('\\n');
}"""


def english_words(text: str, allowed: set[str] = ALLOWED_WORDS) -> list[str]:
    """Latin-letter words that are not allowed names (URLs, e-mails and hashes are not words)."""
    chunks = [c for c in text.split() if not re.search(r"[\d/@:=]", c)]  # ids, paths, addresses, hashes
    return sorted({w for c in chunks for w in WORD.findall(c) if w.lower().strip("'’-") not in allowed})


@contextlib.contextmanager
def serving(settings, store):
    """The review UI on a free loopback port (uvicorn in a thread) for the duration of the block."""
    import uvicorn

    from alerts.web.app import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def login(page, base: str, username: str = "boss") -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/queue")


@dataclass
class PageReport:
    name: str
    lang: str
    size: str
    english: list[str]
    page_width: int
    viewport_width: int
    scroll_y_after_load: float
    header_fits: bool


def walk(browser, base: str, store: Store, ids: dict[str, int], lang: str, size: str,
         shots: Path | None = None) -> list[PageReport]:
    """Visit every page as the admin in `lang` at `size`; optionally write a PNG of each page."""
    set_language(store, "boss", lang)
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale=LOCALES[lang],
                                  device_scale_factor=1, is_mobile=size == "phone", has_touch=size == "phone")
    page = context.new_page()
    reports = []
    try:
        page.goto(f"{base}/login")
        reports.append(_inspect(page, "login", lang, size, shots))
        login(page, base)
        for name, path in page_paths(ids):
            page.goto(base + path)
            page.wait_for_load_state("load")
            reports.append(_inspect(page, name, lang, size, shots))
            if name == "queue":
                reports[-1].scroll_y_after_load = page.evaluate("window.scrollY")
    finally:
        context.close()
    return reports


def _inspect(page, name: str, lang: str, size: str, shots: Path | None) -> PageReport:
    page.wait_for_timeout(50)
    text = page.evaluate(COLLECT_TEXT)
    metrics = page.evaluate("""() => {
      const out = document.querySelector('form[action="/logout"] button');
      const r = out ? out.getBoundingClientRect() : null;
      return {width: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth), y: window.scrollY,
              header: r ? (r.right <= screen.width + 0.5 && r.width > 0) : true};
    }""")
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{lang}-{size}-{name}.png"), full_page=True)
    return PageReport(name, lang, size, english_words(text), metrics["width"], SIZES[size][0], metrics["y"],
                      metrics["header"])


def main(argv: list[str]) -> int:
    """`make screenshots`: PNGs of every page at desktop and phone sizes in Russian and Kazakh, plus a summary."""
    import tempfile

    from playwright.sync_api import sync_playwright

    out = Path(argv[0] if argv else "build/screenshots").resolve()
    with tempfile.TemporaryDirectory() as tmp:
        show = build_showcase(Path(tmp))
        with serving(show.settings, show.store) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            problems = 0
            for lang in ("ru", "kk"):
                for size in SIZES:
                    for r in walk(browser, base, show.store, show.ids, lang, size, out):
                        issues = []
                        if r.english:
                            issues.append("English: " + ", ".join(r.english))
                        if r.page_width > r.viewport_width:
                            issues.append(f"page {r.page_width}px wider than the screen")
                        if not r.header_fits:
                            issues.append("log-out button outside the screen")
                        problems += bool(issues)
                        print(f"{lang}-{size}-{r.name}.png" + (" · " + "; ".join(issues) if issues else ""))
            browser.close()
        show.store.dispose()
    print(f"screenshots in {out}; pages with problems: {problems}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
