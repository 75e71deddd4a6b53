"""OLX Ukraine (olx.ua): the OLX base spider with the Ukrainian site's settings (hryvnia, /uk/ pages)."""
from __future__ import annotations

from crawler.spiders._olx import OlxBaseSpider, OlxSite

SITE = OlxSite(
    code="ua",
    base_url="https://www.olx.ua",
    currency="UAH",
    default_language="uk",
    language_paths={"uk": "/uk", "ru": ""},
    phone_regions=("UA",),
    regions={"kiev": 25, "kharkov": 22, "odessa": 19, "dnepr": 7, "lvov": 13, "zaporozhe": 8},
    categories={"hobbi-otdyh-i-sport/antikvariat-kollektsii": 1501, "hobbi-otdyh-i-sport/ohota-rybalka": 1502,
                "moda-i-stil/podarki": 2201},
)


class OlxUaSpider(OlxBaseSpider):
    name = "olx_ua"
    site = SITE
    default_base_url = SITE.base_url
