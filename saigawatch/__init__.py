"""SaigaWatch: the command line and the daily pipeline that ties crawl, store, classify and alerts together."""
__version__ = "0.1.0"
