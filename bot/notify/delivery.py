"""Delivering outbox messages: email over SMTP, webhooks over HTTP.

Each sender raises `DeliveryError(permanent=...)`: permanent failures (a refused
recipient, a 4xx answer) stop retries and show in `banter outbox status`; everything
else (server down, timeout, 5xx) is retried with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import httpx


class DeliveryError(Exception):
    """A delivery that did not happen; `permanent` says whether retrying can help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def build_email(payload: Mapping[str, Any], event_id: str) -> EmailMessage:
    """A MIME message: plain text and HTML, plus the invite (inline and as invite.ics)."""
    message = EmailMessage()
    message["From"] = payload["from"]
    message["To"] = ", ".join(payload["to"])
    message["Subject"] = payload["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{event_id}@banter>"
    message["X-Banter-Event-Id"] = event_id
    for name, value in (payload.get("headers") or {}).items():
        message[name] = value
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    if payload.get("ics"):
        method = payload.get("ics_method", "REQUEST")
        message.add_alternative(payload["ics"], subtype="calendar", params={"method": method})
        message.add_attachment(
            payload["ics"].encode("utf-8"),
            maintype="application",
            subtype="ics",
            filename="invite.ics",
        )
    return message


class SmtpSender:
    """Sends email through one SMTP server (STARTTLS and login when configured)."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 15,
    ) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls, self.timeout = starttls, timeout

    def send(self, payload: Mapping[str, Any], event_id: str) -> None:
        """Send one email or raise DeliveryError."""
        message = build_email(payload, event_id)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as err:
            raise DeliveryError(f"recipient refused: {err.recipients}", permanent=True) from None
        except smtplib.SMTPResponseException as err:
            raise DeliveryError(
                f"SMTP {err.smtp_code}: {err.smtp_error!r}", permanent=500 <= err.smtp_code < 600
            ) from None
        except (TimeoutError, OSError, smtplib.SMTPException) as err:
            raise DeliveryError(f"SMTP server {self.host}:{self.port} unreachable: {err}") from None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "timestamp.body", hex: the X-Banter-Signature header is "sha256=<this>"."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Posts webhook bodies to the Slack URL or the generic URL (HMAC-signed)."""

    def __init__(
        self,
        slack_url: str | None,
        generic_url: str | None,
        secret: str | None,
        client: httpx.Client | None = None,
    ) -> None:
        self.slack_url, self.generic_url, self.secret = slack_url, generic_url, secret
        self.client = client or httpx.Client(timeout=10)

    def send(self, payload: Mapping[str, Any], event_id: str) -> None:
        """Post one webhook or raise DeliveryError."""
        target = payload.get("target")
        body = json.dumps(payload["body"], separators=(",", ":"), sort_keys=True).encode()
        headers = {"Content-Type": "application/json", "X-Banter-Event-Id": event_id}
        if target == "slack":
            url = self.slack_url
        else:
            url = self.generic_url
            if url and self.secret:
                stamp = str(int(time.time()))
                headers["X-Banter-Timestamp"] = stamp
                headers["X-Banter-Signature"] = "sha256=" + signature(self.secret, stamp, body)
        if not url:
            name = "BANTER_SLACK_WEBHOOK_URL" if target == "slack" else "BANTER_WEBHOOK_URL"
            raise DeliveryError(f"{name} is not set", permanent=True)
        try:
            response = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as err:
            raise DeliveryError(f"{url} unreachable: {err}") from None
        if response.status_code >= 300:
            permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 409, 425, 429)
            raise DeliveryError(f"{url} answered {response.status_code}", permanent=permanent)
