"""Helpers and fixtures for the operations tests: a populated store, loopback mail, Telegram and webhook servers."""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from config import load_config
from store import Store
from store.listings import upsert_listing
from store.models import Classification, CrawlRun, Review, SourceRun

NOW = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.timezone.utc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ops_settings(tmp_path: Path, **overrides):
    """Shipped config with storage in tmp_path and the given section overrides."""
    base = {"storage": {"database_path": str(tmp_path / "sw.db"), "data_dir": str(tmp_path / "var")},
            "schedule": {"log_file": str(tmp_path / "var/log/saigawatch.log"), "lock_file": str(tmp_path / "var/run.lock")}}
    for key, value in overrides.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return load_config(overrides=base)


def prepared_store(config_file: Path, fill=None):
    """The settings of `config_file`, with its store created (and filled by `fill(settings, store)`) and closed."""
    settings = load_config(config_file)
    store = Store.from_settings(settings)
    store.init()
    if fill is not None:
        fill(settings, store)
    store.dispose()
    return settings


def add_run(session, started: dt.datetime, sources: dict[str, dict], status: str = "finished") -> CrawlRun:
    """A crawl run with one SourceRun per entry {name: {listings, status, detail, stats, errors, platform}}."""
    run = CrawlRun(started_at=started, finished_at=started + dt.timedelta(minutes=5), status=status, trigger="test",
                   run_day=started.date().isoformat(), stats={}, errors=[])
    session.add(run)
    session.flush()
    for name, spec in sources.items():
        session.add(SourceRun(
            crawl_run_id=run.id, source_name=name, platform=spec.get("platform", "olx"), started_at=started,
            finished_at=started + dt.timedelta(seconds=spec.get("seconds", 60)), status=spec.get("status", "ok"),
            status_detail=spec.get("detail"), pages_fetched=spec.get("pages", 3), listings_seen=spec.get("listings", 0),
            listings_new=spec.get("new", 0), errors_count=spec.get("errors", 0), stats=spec.get("stats", {})))
    session.flush()
    return run


def add_listing(session, pid: str, title: str, *, platform: str = "olx", score: float | None = None,
                flagged: bool = False, intent: str | None = "sell", seen: dt.datetime = NOW, price: float | None = None,
                currency: str | None = None, text: str = "", source_name: str = "olx-kz-ru", language: str = "ru",
                seller: str | None = None, price_text: str | None = None, created: dt.datetime | None = None):
    fields = {"platform": platform, "platform_listing_id": pid, "url": f"https://example.test/{platform}/{pid}",
              "title": title, "text": text or title, "price": price, "currency": currency, "source_name": source_name,
              "language": language, "price_text": price_text}
    if seller:
        fields.update(seller_platform_id=seller, seller_name=f"Seller {seller}")
    listing = upsert_listing(session, fields, now=seen).listing
    if score is not None:
        session.add(Classification(listing_id=listing.id, content_hash=listing.content_hash, model_version="test-1",
                                   score=score, flagged=flagged, language=language, intent=intent, category="horn",
                                   matched_terms=["рога сайги"] if flagged else [], explanation={},
                                   created_at=created or seen))
    session.flush()
    return listing


def add_review(session, listing, decision: str, at: dt.datetime, analyst: str = "anna"):
    session.add(Review(listing_id=listing.id, analyst=analyst, decision=decision, note="", created_at=at))
    session.flush()


# ---- loopback SMTP (aiosmtpd) -------------------------------------------------------------------

class MailSink:
    """aiosmtpd handler keeping every delivered envelope."""

    def __init__(self):
        self.messages: list = []
        self.logins: list[str | None] = []  # the login each message was sent under (None: no AUTH)
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        auth = getattr(session, "auth_data", None)
        self.logins.append(auth.login.decode() if getattr(auth, "login", None) else None)
        self.messages.append(envelope)
        self.received.set()
        return "250 Message accepted for delivery"


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost, written as PEM files (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def smtp_server():
    """A plain SMTP server on loopback (no auth): yields (port, sink)."""
    from aiosmtpd.controller import Controller

    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, sink
    controller.stop()


@pytest.fixture
def tls_material(tmp_path):
    cert, key = self_signed_cert(tmp_path)
    return cert, key


def authenticator(user: str, password: str):
    """aiosmtpd authenticator accepting exactly user/password."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


# ---- fake HTTP endpoints (Telegram Bot API, webhook) ---------------------------------------------

class FakeHTTP:
    """A tiny HTTP server on loopback recording POSTs; `reply(path, body)` decides the answer."""

    def __init__(self, reply):
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, answer = reply(self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def config_file(config_file, tmp_path):
    """The shared config_file fixture, plus the run lock, log file, models, exports and signing key inside the
    test's temp dir (their defaults are relative to the working directory or the home folder)."""
    text = config_file.read_text(encoding="utf-8")  # one schedule block: a second one is a duplicate key
    text = text.replace(f"lock_file: {tmp_path / 'run-daily.lock'}", f"lock_file: {tmp_path / 'var' / 'run-daily.lock'}")
    text = text.replace(f"log_file: {tmp_path / 'log' / 'saigawatch.log'}",
                        f"log_file: {tmp_path / 'var' / 'log' / 'saigawatch.log'}")
    # Everything else SaigaWatch writes stays in the temp dir too, so `doctor` never sees the machine's own files.
    text += (f"classifier:\n  model_dir: {tmp_path / 'var' / 'models'}\n"
             f"evidence:\n  export_dir: {tmp_path / 'var' / 'exports'}\n"
             f"  signing_key_path: {tmp_path / 'keys' / 'signing_key.pem'}\n")
    config_file.write_text(text, encoding="utf-8")
    return config_file
