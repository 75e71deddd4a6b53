"""POST the digest as JSON to a configured URL, optionally signed with HMAC-SHA256."""
from __future__ import annotations

import hashlib
import hmac
import json
import os

import httpx

from alerts.notify.digest import Digest
from alerts.notify.email import ChannelError
from alerts.notify.render import render_text
from config.schema import WebhookSettings

SIGNATURE_HEADER = "X-SaigaWatch-Signature"


def webhook_payload(digest: Digest) -> bytes:
    """The JSON body: the digest's fields plus a plain-text rendering."""
    data = digest.to_dict()
    data["text"] = render_text(digest)
    return json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def send_webhook(cfg: WebhookSettings, digest: Digest) -> str:
    """POST the payload; any non-2xx answer or network error raises ChannelError."""
    body = webhook_payload(digest)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "SaigaWatch-notify/1"}
    secret = os.environ.get(cfg.secret_env)
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, body)
    try:
        response = httpx.post(cfg.url, content=body, headers=headers, timeout=cfg.timeout_s)
    except httpx.HTTPError as exc:
        raise ChannelError(f"cannot reach webhook {cfg.url}: {type(exc).__name__}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise ChannelError(f"webhook {cfg.url} answered HTTP {response.status_code}: {response.text[:200]}")
    return f"posted {len(body)} bytes to {cfg.url} (HTTP {response.status_code})"
