"""Putting one message on the wire for each kind of channel, with a timeout, secrets kept out of errors."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

import requests

from app.services.channels import ChannelError


def _post(url: str, payload: dict, timeout: float, secret: str) -> requests.Response:
    try:
        response = requests.post(url, json=payload, timeout=timeout, allow_redirects=False)
    except requests.RequestException as error:
        raise ChannelError(f"could not reach the service: {type(error).__name__}") from None
    if response.status_code >= 300:
        text = " ".join(response.text.split())[:200].replace(secret, "[REDACTED]")
        raise ChannelError(f"the service answered {response.status_code}: {text}")
    return response


def send_telegram(secrets: dict, subject: str, body: str, *, timeout: float, api_url: str) -> None:
    """Bot API sendMessage to the configured chat."""
    token = secrets["bot_token"]
    response = _post(f"{api_url.rstrip('/')}/bot{token}/sendMessage",
                     {"chat_id": secrets["chat_id"], "text": f"{subject}\n{body}", "disable_web_page_preview": True},
                     timeout, token)
    try:
        ok = response.json().get("ok")
    except ValueError:
        ok = False
    if not ok:
        raise ChannelError("Telegram did not accept the message")


def send_slack(secrets: dict, subject: str, body: str, *, timeout: float) -> None:
    _post(secrets["webhook_url"], {"text": f"*{subject}*\n{body}"}, timeout, secrets["webhook_url"])


def send_discord(secrets: dict, subject: str, body: str, *, timeout: float) -> None:
    _post(secrets["webhook_url"], {"content": f"**{subject}**\n{body}"}, timeout, secrets["webhook_url"])


def send_email(secrets: dict, subject: str, body: str, *, timeout: float, smtp: dict) -> None:
    """One message through the platform's SMTP server."""
    if not smtp.get("host"):
        raise ChannelError("no SMTP server is configured")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = smtp["sender"], secrets["address"], f"[Portcullis] {subject}"
    message.set_content(body)
    try:
        with smtplib.SMTP(smtp["host"], smtp["port"], timeout=timeout) as server:
            if smtp.get("starttls"):
                server.starttls()
            if smtp.get("username"):
                server.login(smtp["username"], smtp["password"])
            server.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise ChannelError(f"the mail server refused or failed: {type(error).__name__}") from None
