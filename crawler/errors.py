"""Errors the crawler raises before any page is fetched."""


class CrawlConfigError(Exception):
    """A source cannot be crawled as configured (unknown name, no spider for its platform, bad options)."""
