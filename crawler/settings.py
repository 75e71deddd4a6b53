"""Scrapy settings built from the SaigaWatch config: polite defaults plus per-source overrides."""
from __future__ import annotations

from typing import Any

from config.schema import CrawlSettings, SourceSettings

# Components the crawl process always uses; numbers order them as in Scrapy's own settings.
DOWNLOADER_MIDDLEWARES: dict[str, int | None] = {
    "crawler.middlewares.SourceGateMiddleware": 10,  # drop requests once a source is blocked
    "crawler.middlewares.WarcCaptureMiddleware": 50,  # final responses; the bytes come raw from the handler
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
}
ITEM_PIPELINES: dict[str, int] = {
    "crawler.pipelines.fields.FieldCheckPipeline": 100,
    "crawler.pipelines.store.StorePipeline": 200,
    "crawler.pipelines.images.ImagesPipeline": 300,
}
EXTENSIONS: dict[str, int] = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "crawler.extensions.SourceRunRecorder": 500,
}
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]


def base_settings() -> dict[str, Any]:
    """What every SaigaWatch crawler shares, whatever the source."""
    return {
        "BOT_NAME": "saigawatch",
        "TELNETCONSOLE_ENABLED": False,
        "LOG_ENABLED": False,  # the crawl process logs through the root handler it sets up itself
        "LOG_INSTALL_ROOT_HANDLER": False,
        "LOG_LEVEL": "INFO",
        "LOGSTATS_INTERVAL": 0,
        "STATS_DUMP": False,
        "REMOTE_CONTROL_ENABLED": False,
        "COOKIES_ENABLED": True,
        "DOWNLOAD_FAIL_ON_DATALOSS": True,  # a truncated page is an error, never parsed as complete
        "RETRY_ENABLED": True,
        "RETRY_HTTP_CODES": RETRY_HTTP_CODES,
        "HTTPERROR_ALLOW_ALL": False,
        "DOWNLOADER_MIDDLEWARES": dict(DOWNLOADER_MIDDLEWARES),
        "ITEM_PIPELINES": dict(ITEM_PIPELINES),
        "EXTENSIONS": dict(EXTENSIONS),
        "DNS_TIMEOUT": 20,
        "MEMUSAGE_ENABLED": False,
        "REACTOR_THREADPOOL_MAXSIZE": 4,
        # Items of one response go through the pipelines 8 at a time (Scrapy's default, 100, starts 100 asyncio
        # tasks per response: 14% of a crawl's CPU; the store pipeline is synchronous and batches anyway).
        "CONCURRENT_ITEMS": 8,
        # keeps each response's bytes as received, for the WARC (crawler/raw_http.py)
        "DOWNLOAD_HANDLERS": {"http": "crawler.raw_http.RawRecordingDownloadHandler",
                              "https": "crawler.raw_http.RawRecordingDownloadHandler"},
    }


def with_extra(settings: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
    """`settings` with `extra` added: dict settings (EXTENSIONS, DOWNLOADER_MIDDLEWARES, …) merged, others replaced."""
    out = dict(settings)
    for key, value in (extra or {}).items():
        base = out.get(key)
        out[key] = {**base, **value} if isinstance(base, dict) and isinstance(value, dict) else value
    return out


def source_settings(crawl: CrawlSettings, source: SourceSettings) -> dict[str, Any]:
    """Scrapy settings for one source: the global politeness section with the source's overrides."""
    pol = crawl.politeness
    delay = pol.download_delay if source.download_delay is None else source.download_delay
    per_domain = source.concurrent_requests_per_domain or pol.concurrent_requests_per_domain
    obey = pol.obey_robots_txt if source.obey_robots_txt is None else source.obey_robots_txt
    settings = base_settings()
    settings.update({
        "USER_AGENT": source.user_agent or pol.user_agent,
        "ROBOTSTXT_OBEY": obey,
        # One crawler per source, one site per source: the total is the per-domain limit, so a block stops
        # the source with at most that many requests already out.
        "CONCURRENT_REQUESTS": per_domain,
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_domain,
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if delay > 0 else 0,
        "AUTOTHROTTLE_ENABLED": pol.autothrottle and delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": pol.autothrottle_max_delay,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": pol.autothrottle_target_concurrency,
        "RETRY_TIMES": pol.retry_times,
        "SAIGAWATCH_BACKOFF_BASE": pol.retry_backoff_base,
        "SAIGAWATCH_BACKOFF_MAX": pol.retry_backoff_max,
        "DOWNLOAD_TIMEOUT": pol.download_timeout,
        "DOWNLOAD_MAXSIZE": pol.max_page_bytes,
        "DOWNLOAD_WARNSIZE": max(1, pol.max_page_bytes // 2),
        "SAIGAWATCH_DOWNLOAD_IMAGES": crawl.download_images,
        "SAIGAWATCH_MAX_IMAGE_BYTES": crawl.max_image_bytes,
        "SAIGAWATCH_MAX_PHOTOS": crawl.max_photos_per_listing,
        "SAIGAWATCH_RECHECK_AFTER_DAYS": crawl.recheck_missing_after_days,
    })
    if crawl.ocr:  # optional photo OCR: crawler.ocr is only imported when it is switched on
        # In ITEM_PIPELINES_BASE (merged with ITEM_PIPELINES by Scrapy) because the crawler process merges
        # its own ITEM_PIPELINES over each crawler's; the number orders it after ImagesPipeline.
        settings["ITEM_PIPELINES_BASE"] = {"crawler.ocr.OcrPipeline": 350}
        settings["SAIGAWATCH_OCR_LANGUAGES"] = crawl.ocr_languages
    return settings
