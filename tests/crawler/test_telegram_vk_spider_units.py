"""Small units of the social spiders: channel names, community ids, config checks, credentials, fingerprints."""
from __future__ import annotations

import pytest

from config.schema import SourceSettings
from crawler.items import ListingItem
from crawler.errors import CrawlConfigError
from crawler.registry import validate_sources
from crawler.social import post_fingerprint
from crawler.spiders.telegram import channel_name
from crawler.spiders.vk import _owner_param


@pytest.mark.parametrize("raw, name", [("saiga_rog_kz", "saiga_rog_kz"), ("@saiga_rog_kz", "saiga_rog_kz"),
                                       ("https://t.me/s/saiga_rog_kz", "saiga_rog_kz"), ("t.me/Saiga_Rog_KZ/", "Saiga_Rog_KZ")])
def test_channel_names(raw, name):
    assert channel_name(raw) == name


def test_bad_channel_name_fails_before_crawling_naming_source_and_key():
    source = SourceSettings(name="tg", platform="telegram", channels=["ok_channel", "bad name!"])
    with pytest.raises(CrawlConfigError, match="source 'tg': channels: 'bad name!' is not a Telegram channel username"):
        validate_sources([source])


@pytest.mark.parametrize("raw, param", [("-123", {"owner_id": -123}), ("club123", {"owner_id": -123}),
                                        ("public77", {"owner_id": -77}), ("baraholka_atyrau", {"domain": "baraholka_atyrau"}),
                                        ("https://vk.com/ohotniki_kz", {"domain": "ohotniki_kz"})])
def test_vk_community_ids(raw, param):
    assert _owner_param(raw) == param


def test_bad_vk_community_fails_before_crawling():
    source = SourceSettings(name="vk", platform="vk", channels=["no spaces please"])
    with pytest.raises(CrawlConfigError, match="source 'vk': channels:"):
        validate_sources([source])


@pytest.mark.parametrize("platform", ["vk", "weibo"])
def test_credentials_never_come_from_the_config_file(platform):
    source = SourceSettings(name="s", platform=platform, channels=["x_group"], queries=["q"],
                            options={"loopback_credentials": "demo"})
    with pytest.raises(CrawlConfigError, match="loopback_credentials"):
        validate_sources([source])


def test_post_fingerprint_sees_text_edits_but_not_photo_urls():
    a = ListingItem("telegram", "c/1", "u", title="Продам рога", text="Продам рога\nцена 100", photo_urls=["x?sig=1"])
    b = ListingItem("telegram", "c/1", "u", title="Продам рога", text="Продам рога\nцена 100", photo_urls=["x?sig=2"])
    c = ListingItem("telegram", "c/1", "u", title="Продам рога", text="Продам рога\nцена 90")
    assert post_fingerprint(a) == post_fingerprint(b) != post_fingerprint(c)
    assert post_fingerprint(a).startswith("sha256:")
