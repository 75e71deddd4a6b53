"""OLX Kazakhstan (olx.kz): the OLX base spider with the Kazakh site's settings."""
from __future__ import annotations

from crawler.spiders._olx import OlxBaseSpider, OlxSite

SITE = OlxSite(
    code="kz",
    base_url="https://www.olx.kz",
    currency="KZT",
    default_language="ru",
    language_paths={"ru": "", "kk": "/kk"},
    phone_regions=("KZ", "RU"),
    regions={"almaty": 2, "astana": 3, "shymkent": 4, "zko": 5, "atyrau": 6, "aktobe": 7, "karaganda": 8,
             "kostanay": 9, "kyzylorda": 10, "almaty-obl": 11},
    categories={"hobbi-otdyh-i-sport/antikvariat-kollektsii": 1501, "hobbi-otdyh-i-sport/ohota-rybalka": 1502,
                "zdorove-i-krasota/prochie-tovary": 1601, "zhivotnye/drugie-zhivotnye": 1701,
                "moda-i-stil/podarki-suveniry": 2201, "selhoz/selhoz-produktsiya": 2401, "uslugi": 2301},
)


class OlxKzSpider(OlxBaseSpider):
    name = "olx_kz"
    site = SITE
    default_base_url = SITE.base_url
