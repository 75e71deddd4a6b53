"""Every platform refuses option names it does not know, naming the source and the known ones."""
from __future__ import annotations

import pytest

from config.schema import SourceSettings
from crawler.errors import CrawlConfigError
from crawler.registry import source_problems, spider_registry

TARGET = {"avito": {"queries": ["рога"]}, "xianyu": {"queries": ["羚羊角"]}, "olx": {"queries": ["рога"], "site": "kz"},
          "telegram": {"channels": ["saiga_rog_kz"], "kind": "channel"}, "vk": {"channels": ["-1001"], "kind": "community"},
          "weibo": {"queries": ["羚羊角"]}, "tieba": {"queries": ["羚羊角"]}}


@pytest.mark.parametrize("platform", sorted(TARGET))
def test_a_misspelt_option_is_refused(platform):
    source = SourceSettings(name=f"{platform}-x", platform=platform, options={"dicsover": True}, **TARGET[platform])
    problems = source_problems([source])
    assert "dicsover" in problems[source.name] and f"{platform}-x" in problems[source.name]


@pytest.mark.parametrize("platform", sorted(TARGET))
def test_no_options_is_fine(platform):
    source = SourceSettings(name=f"{platform}-x", platform=platform, **TARGET[platform])
    assert source_problems([source]) == {}


def test_known_social_options_pass():
    ok = SourceSettings(name="tg", platform="telegram", kind="channel", channels=["saiga_rog_kz"],
                        options={"discover": True, "discover_depth": 1})
    assert source_problems([ok]) == {}
    assert spider_registry()  # every platform has a spider


def test_bad_channel_is_still_reported():
    bad = SourceSettings(name="tg", platform="telegram", kind="channel", channels=["not a channel!"])
    assert "channels" in source_problems([bad])["tg"]
    assert issubclass(CrawlConfigError, Exception)
