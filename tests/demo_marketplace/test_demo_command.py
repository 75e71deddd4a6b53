"""`saigawatch demo` helpers: the demo config points every source at the marketplace it starts."""
from __future__ import annotations

from config import load_config
from demo_marketplace.command import DEMO_CONFIG, DEMO_CREDENTIALS, demo_origin, point_sources_at, set_demo_credentials


def test_demo_config_loads_and_points_at_the_local_marketplace():
    settings = load_config(DEMO_CONFIG)
    assert demo_origin(settings) == ("127.0.0.1", 8089)
    olx = [s for s in settings.sources if s.platform == "olx"]
    assert {s.site for s in olx} == {"kz", "uz", "ua"} and any(s.use_api for s in olx)
    assert all(settings.source(name).enabled for name in ("violity", "meshok", "kufar", "olx-ua"))
    assert all(s.base_url.startswith("http://127.0.0.1:8089/") for s in settings.sources if s.base_url)
    assert settings.storage.database_path.startswith("./var/demo")


def test_sources_are_rewritten_to_the_running_port():
    settings = load_config(DEMO_CONFIG)
    point_sources_at(settings, "http://127.0.0.1:8089", "http://127.0.0.1:40123")
    assert all(s.base_url.startswith("http://127.0.0.1:40123/") for s in settings.sources if s.base_url)
    assert all(not (s.api_url or "").startswith("http://127.0.0.1:8089") for s in settings.sources)


def test_demo_credentials_reach_the_sources_through_the_environment():
    settings = load_config(DEMO_CONFIG)
    social = [s for s in settings.sources if s.platform in ("vk", "weibo")]
    assert social and all(s.credentials_env in DEMO_CREDENTIALS for s in social)
    assert all("loopback_credentials" not in (s.options or {}) for s in settings.sources)
    environ = {"SAIGAWATCH_DEMO_VK_TOKEN": "already-set"}
    set_demo_credentials(environ)
    assert environ["SAIGAWATCH_DEMO_VK_TOKEN"] == "already-set"
    assert environ["SAIGAWATCH_DEMO_WEIBO_COOKIE"] == DEMO_CREDENTIALS["SAIGAWATCH_DEMO_WEIBO_COOKIE"]
