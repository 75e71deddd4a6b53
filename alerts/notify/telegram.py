"""Send the digest as Telegram bot messages (Bot API sendMessage; the base URL is configurable)."""
from __future__ import annotations

import os

import httpx

from alerts.notify.digest import Digest
from alerts.notify.email import ChannelError
from alerts.notify.render import render_telegram
from config.schema import TelegramBotSettings


def send_telegram(cfg: TelegramBotSettings, digest: Digest) -> str:
    """Post each message of the digest to the chat; raise ChannelError with the API's description on failure."""
    token = os.environ.get(cfg.token_env)
    if not token:
        raise ChannelError(f"environment variable {cfg.token_env} (the bot token) is not set")
    url = f"{cfg.api_base.rstrip('/')}/bot{token}/sendMessage"
    where = cfg.api_base.rstrip("/")
    messages = render_telegram(digest)
    with httpx.Client(timeout=cfg.timeout_s) as client:
        for i, text in enumerate(messages, 1):
            payload = {"chat_id": cfg.chat_id, "text": text, "parse_mode": "HTML", "disable_web_page_preview": True}
            try:
                response = client.post(url, json=payload)
            except httpx.HTTPError as exc:
                raise ChannelError(f"cannot reach the Telegram Bot API at {where}: {type(exc).__name__}: {exc}") from None
            try:
                body = response.json()
            except ValueError:
                body = {}
            if response.status_code != 200 or not body.get("ok"):
                desc = body.get("description") or response.text[:200]
                raise ChannelError(f"Telegram Bot API refused message {i}/{len(messages)}: "
                                   f"HTTP {response.status_code}: {desc}")
    return f"sent {len(messages)} message(s) to chat {cfg.chat_id}"
