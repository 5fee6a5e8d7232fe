"""Chat and push channels through Apprise: one URL (Slack, Discord, Telegram, Matrix, ntfy, Teams ...)
read from the environment, since those URLs carry tokens."""

from __future__ import annotations

import contextlib
import logging
import warnings
from urllib.parse import urlsplit

import apprise

with warnings.catch_warnings(), contextlib.suppress(ImportError):
    # Apprise's email plugin, loaded on first use, imports imghdr (deprecated in Python 3.11 and 3.12,
    # gone in 3.13, where Apprise installs a stand-in): imported here once, its warning silenced.
    warnings.simplefilter("ignore", DeprecationWarning)
    import imghdr  # noqa: F401

from monitor.alerts.delivery import DeliveryError
from monitor.alerts.message import AlertMessage
from monitor.alerts.render import render_markdown
from monitor.config import AppriseChannel


def with_timeouts(url: str, seconds: float) -> str:
    """Add Apprise's connect and read timeouts (``cto``, ``rto``) to a URL that does not set them."""
    query = urlsplit(url).query
    present = {part.split("=", 1)[0] for part in query.split("&") if part}
    extra = [f"{name}={seconds:g}" for name in ("cto", "rto") if name not in present]
    if not extra:
        return url
    joiner = "&" if "?" in url else "?"
    return url + joiner + "&".join(extra)


class AppriseSender:
    """Sends an alert's title and a Markdown body to one Apprise URL; every failure is retryable
    (Apprise does not tell a rejected message from an unreachable service)."""

    def __init__(self, channel: AppriseChannel, url: str | None) -> None:
        self.channel = channel
        self.url = url

    def send(self, message: AlertMessage) -> str:
        if not self.url:
            raise DeliveryError(f"apprise: environment variable {self.channel.url_env} is not set", retryable=False)
        notifier = apprise.Apprise()
        if not notifier.add(with_timeouts(self.url, self.channel.timeout.total_seconds())):
            raise DeliveryError(
                f"apprise: the URL in {self.channel.url_env} is not one Apprise understands", retryable=False
            )
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = notifier.notify(
                body=render_markdown(message), title=message.subject, body_format=apprise.NotifyFormat.MARKDOWN
            )
        if not ok:
            lines = [line.split(" - ", 2)[-1] for line in captured.getvalue().splitlines() if line.strip()]
            raise DeliveryError("apprise: " + ("; ".join(lines[-2:]) or "notification not sent"), retryable=True)
        return f"sent through {urlsplit(self.url).scheme}://"
