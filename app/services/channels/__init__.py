"""Senders for each kind of notification channel; each raises ChannelError with a message free of secrets."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from app.domain.errors import InvalidInput


class ChannelError(Exception):
    """Sending failed; the message names what went wrong without repeating any secret."""


TELEGRAM_TOKEN = re.compile(r"^\d{5,12}:[A-Za-z0-9_-]{30,}$")
TELEGRAM_CHAT = re.compile(r"^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$")
# The server fetches these URLs itself, so only the services' own webhook hosts are allowed (no SSRF).
WEBHOOK_HOSTS = {"slack": {"hooks.slack.com"}, "discord": {"discord.com", "discordapp.com"}}
KINDS = ("telegram", "slack", "discord", "email")


def clean_secrets(kind: str, values: dict) -> dict:
    """The settings a channel of this kind needs, validated; InvalidInput names the bad one."""
    if kind == "telegram":
        token, chat = (values.get("bot_token") or "").strip(), (values.get("chat_id") or "").strip()
        if not TELEGRAM_TOKEN.match(token):
            raise InvalidInput("CHANNEL_INVALID", "A Telegram bot token looks like 123456:ABC-...", field="bot_token")
        if not TELEGRAM_CHAT.match(chat):
            raise InvalidInput("CHANNEL_INVALID", "A Telegram chat id is a number or @channelname.", field="chat_id")
        return {"bot_token": token, "chat_id": chat}
    if kind in WEBHOOK_HOSTS:
        url = (values.get("webhook_url") or "").strip()
        parts = urlsplit(url)
        if parts.scheme != "https" or parts.hostname not in WEBHOOK_HOSTS[kind] or len(url) > 500:
            hosts = " or ".join(sorted(WEBHOOK_HOSTS[kind]))
            raise InvalidInput("CHANNEL_INVALID", f"A {kind} webhook URL is https://{hosts}/...", field="webhook_url")
        return {"webhook_url": url}
    if kind == "email":
        try:
            address = validate_email((values.get("address") or "").strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            raise InvalidInput("CHANNEL_INVALID", "Enter a valid email address.", field="address") from None
        return {"address": address}
    raise InvalidInput("CHANNEL_KIND", f"Channel kind must be one of {', '.join(KINDS)}.", field="kind")
