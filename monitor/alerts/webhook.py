"""Webhook channel: a signed JSON POST in the Standard Webhooks scheme.

Headers: ``webhook-id`` (the idempotency key), ``webhook-timestamp`` (Unix seconds) and
``webhook-signature`` = ``v1,`` + base64(HMAC-SHA256(secret, id + "." + timestamp + "." + body)).
A receiver recomputes the signature, compares in constant time and rejects old timestamps (replays).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ssl
import time
from collections.abc import Mapping

import httpx

from monitor.alerts.delivery import DeliveryError
from monitor.alerts.message import AlertMessage
from monitor.config import WebhookChannel

SIGNATURE_VERSION = "v1"
REPLAY_TOLERANCE_SECONDS = 300


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for a message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None, tolerance: int = 300
) -> bool:
    """Check a received webhook: a matching signature and a timestamp within ``tolerance`` seconds."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        message_id = lower["webhook-id"]
        timestamp = int(lower["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, message_id, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in lower.get("webhook-signature", "").split())


class WebhookSender:
    """Posts alerts to one webhook URL; 5xx, 429 and network errors are retryable, other 4xx are not."""

    def __init__(self, channel: WebhookChannel, secret: str | None, user_agent: str) -> None:
        self.channel = channel
        self.secret = secret
        self.user_agent = user_agent
        # Built once: loading the trust store for every send costs more than the send itself.
        self.tls = ssl.create_default_context()

    def send(self, message: AlertMessage) -> str:
        body = message.body()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self.user_agent,
            "webhook-id": message.key,
            "webhook-timestamp": str(timestamp),
            "Idempotency-Key": message.key,
        }
        if self.secret:
            headers["webhook-signature"] = sign(self.secret, message.key, timestamp, body)
        timeout = self.channel.timeout.total_seconds()
        try:
            response = httpx.post(self.channel.url, content=body, headers=headers, timeout=timeout, verify=self.tls)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {self.channel.url}: {type(exc).__name__}: {exc}", retryable=True) from None
        if response.status_code >= 300:
            retryable = response.status_code >= 500 or response.status_code in (408, 429)
            raise DeliveryError(f"webhook {self.channel.url}: HTTP {response.status_code}", retryable=retryable)
        return f"HTTP {response.status_code}"
