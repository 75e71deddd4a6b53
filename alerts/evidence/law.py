"""Which law an appeal cites: the config `law:` entry for the listing's country in force on the capture date."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

COUNTRY_BY_TLD = {"kz": "KZ", "ru": "RU", "uz": "UZ", "mn": "MN"}
COUNTRY_BY_PLATFORM = {"avito": "RU", "vk": "RU"}
COUNTRY_BY_SITE = {"kz": "KZ", "uz": "UZ", "ru": "RU", "mn": "MN"}


class LawNotFound(Exception):
    """No `law:` entry (or more than one) is in force for the country on the date."""


def law_in_force(laws, country: str, on: dt.date):
    """The single entry for `country` with effective_from <= on < effective_to."""
    matches = [law for law in laws if law.country == country and law.effective_from <= on
               and (law.effective_to is None or on < law.effective_to)]
    if not matches:
        known = sorted({law.country for law in laws})
        raise LawNotFound(f"config 'law:' has no entry for {country} in force on {on.isoformat()} "
                          f"(countries configured: {', '.join(known) or 'none'})")
    if len(matches) > 1:
        raise LawNotFound(f"config 'law:' has {len(matches)} entries for {country} in force on {on.isoformat()} "
                          f"({'; '.join(m.article for m in matches)}): give the older one an effective_to")
    return matches[0]


def listing_country(settings, listing) -> str:
    """The country whose law applies: the source's `country` or site, else the URL's domain, else the platform,
    else the default."""
    if listing.source_name:
        try:
            source = settings.source(listing.source_name)
        except KeyError:
            source = None
        if source is not None and source.country and source.country in {law.country for law in settings.law}:
            return source.country
        site = source.site if source is not None else None
        if site and site.lower() in COUNTRY_BY_SITE:
            return COUNTRY_BY_SITE[site.lower()]
    host = (urlsplit(listing.url).hostname or "").lower()
    tld = host.rsplit(".", 1)[-1] if "." in host else ""
    if tld in COUNTRY_BY_TLD:
        return COUNTRY_BY_TLD[tld]
    if listing.platform in COUNTRY_BY_PLATFORM:
        return COUNTRY_BY_PLATFORM[listing.platform]
    return settings.evidence.default_country
