"""OLX Uzbekistan (olx.uz): the OLX base spider with the Uzbek site's settings."""
from __future__ import annotations

from crawler.spiders._olx import OlxBaseSpider, OlxSite

SITE = OlxSite(
    code="uz",
    base_url="https://www.olx.uz",
    currency="UZS",
    default_language="ru",
    language_paths={"ru": "", "uz": "/oz"},
    phone_regions=("UZ", "KZ", "RU"),
    regions={"tashkent": 21, "karakalpakstan": 22, "navoi": 23, "bukhara": 24, "samarkand": 25},
    categories={"hobbi-otdyh-i-sport/antikvariat-kollektsii": 1501, "hobbi-otdyh-i-sport/ohota-rybalka": 1502,
                "zdorove-i-krasota/prochie-tovary": 1601, "moda-i-stil/podarki-suveniry": 2201},
)


class OlxUzSpider(OlxBaseSpider):
    name = "olx_uz"
    site = SITE
    default_base_url = SITE.base_url
