"""Child process for test_raw_warc: crawl URLs with the project's Scrapy settings and WARC middleware, then exit."""
from __future__ import annotations

import sys
from pathlib import Path

import scrapy
from scrapy.crawler import CrawlerProcess

from crawler.runtime import RUNTIME_SETTING, CrawlRuntime
from crawler.settings import base_settings


class Fetch(scrapy.Spider):
    name = "fetch"

    def __init__(self, urls, **kwargs):
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, meta={"sw_kind": "listing"}, dont_filter=True)

    def parse(self, response):
        # what a parser sees is still decoded by HttpCompressionMiddleware
        print("BODY", response.url, response.text, flush=True)


def main(database_url: str, data_dir: str, *urls: str) -> None:
    rt = CrawlRuntime(database_url=database_url, data_dir=Path(data_dir))
    settings = base_settings()
    settings[RUNTIME_SETTING] = rt  # the runtime reaches the WARC middleware through the crawler's settings
    settings.update({"ROBOTSTXT_OBEY": False, "COOKIES_ENABLED": True, "EXTENSIONS": {}, "ITEM_PIPELINES": {}})
    settings["DOWNLOADER_MIDDLEWARES"] = {k: v for k, v in settings["DOWNLOADER_MIDDLEWARES"].items()
                                          if "SourceGate" not in k}
    process = CrawlerProcess(settings)
    process.crawl(Fetch, urls=list(urls))
    process.start()
    rt.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
