"""Scrapy's HTTP/1.1 download handler, keeping the response bytes exactly as the server sent them (for the WARC).

Twisted's HTTP client parses status line and headers, drops connection headers (Transfer-Encoding, Content-Length)
and removes chunked framing before Scrapy sees the response; HttpCompressionMiddleware then decodes the body.
This handler's protocol keeps every byte received for a request (after TLS, before any parsing) and puts them in
`request.meta["sw_raw_response"]`, so the WARC record is the message as received: status line, every header in
its order and spelling (each Set-Cookie on its own line), chunked framing and compressed body included.
"""
from __future__ import annotations

import logging

from scrapy.core.downloader.handlers.http11 import (HTTP11DownloadHandler, _LenientHTTP11ClientFactory,
                                                    _LenientHTTP11ClientProtocol, _ScrapyAgent)
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future

RAW_META = "sw_raw_response"
logger = logging.getLogger(__name__)


class _RecordingProtocol(_LenientHTTP11ClientProtocol):
    """Keeps the bytes received for the current request (one at a time on a connection: no pipelining)."""

    def request(self, request):
        self._sw_raw = bytearray()
        deferred = super().request(request)
        raw = self._sw_raw

        def attach(response):
            response._sw_raw = raw  # grows until the body is delivered
            return response

        return deferred.addCallback(attach)

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted API
        raw = getattr(self, "_sw_raw", None)
        if raw is not None:
            raw += data
        super().dataReceived(data)


class _RecordingFactory(_LenientHTTP11ClientFactory):
    def buildProtocol(self, addr):  # noqa: N802 - Twisted API
        return _RecordingProtocol(self._quiescentCallback)


class _RecordingAgent(_ScrapyAgent):
    raw: bytes | None = None

    def _cb_bodydone(self, result, url):
        raw = getattr(result["txresponse"], "_sw_raw", None)
        self.raw = bytes(raw) if raw is not None else None
        return super()._cb_bodydone(result, url)


class RawRecordingDownloadHandler(HTTP11DownloadHandler):
    """HTTP11DownloadHandler whose responses carry their raw bytes in request.meta['sw_raw_response']."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._pool._factory = _RecordingFactory

    async def download_request(self, request):
        agent = _RecordingAgent(
            contextFactory=self._contextFactory, bindAddress=self._bind_address, pool=self._pool,
            maxsize=self._default_maxsize, warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss, crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging)
        try:
            with wrap_twisted_exceptions():
                response = await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
        if agent.raw is not None:
            request.meta[RAW_META] = agent.raw
        return response
