"""Fixtures for evidence tests: one loopback site and one chromium per session, settings with a fresh signing key."""
from __future__ import annotations

import pytest

from alerts.evidence.browser import BrowserSession
from alerts.evidence.keys import generate_key
from config import load_config
from tests.alerts.evidence.helpers import Site, serve
from tests.alerts.evidence.tsa_server import LocalTsa


@pytest.fixture(scope="session")
def site():
    s = Site()
    server = serve(s)
    yield s
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="package")
def browser():
    """One chromium for this package's tests; closed on leaving it, so other packages can start Playwright."""
    settings = load_config()
    session = BrowserSession(settings.browser)
    yield session
    session.close()


@pytest.fixture(scope="session")
def tsa(tmp_path_factory):
    with LocalTsa(tmp_path_factory.mktemp("tsa")) as server:
        yield server


@pytest.fixture(scope="session")
def signing_key(tmp_path_factory):
    return generate_key(tmp_path_factory.mktemp("keys") / "org" / "signing_key.pem")


def make_settings(tmp_path, signing_key, **evidence):
    return load_config(overrides={
        "storage": {"database_path": str(tmp_path / "sw.db"), "data_dir": str(tmp_path / "var")},
        "evidence": {"signing_key_path": str(signing_key.private_path), "export_dir": str(tmp_path / "exports"),
                     "organisation": "Общественный фонд «Сайгак»", **evidence},
    })


@pytest.fixture
def ev_settings(tmp_path, signing_key):
    return make_settings(tmp_path, signing_key)


@pytest.fixture(scope="package")
def case_bundle(tmp_path_factory, signing_key, tsa, site, browser):
    """One exported two-listing case (browser capture, a review, TSA token), shared by the session's tests."""
    from alerts.evidence.capture import run_capture
    from alerts.evidence.export import export_case
    from store import Store
    from store.models import Review
    from tests.alerts.evidence.helpers import store_listing

    tmp = tmp_path_factory.mktemp("case")
    settings = make_settings(tmp, signing_key, tsa_url=tsa.url, tsa_ca_file=str(tsa.ca_file),
                             operator_names={"aigerim": "Айгерим Сериккызы", "crawler-bot": "Бот SaigaWatch"})
    store = Store(settings.storage.database_url())
    store.init()
    first = store_listing(store, settings, site, "CASE-1", title="Рога сайги 通天眼, киік мүйізі")
    second = store_listing(store, settings, site, "CASE-2", title="Продам рог сайгака")
    for lid in (first, second):
        run_capture(settings, store, lid, operator="crawler-bot", browser=browser)
    with store.session() as session:
        session.add(Review(listing_id=first, analyst="aigerim", decision="sale", note="пара рогов"))
    path = export_case(settings, store, [first, second], "Дело Алматы №7", "aigerim", "kk")
    store.dispose()
    return path
