"""Building each configured channel's sender from the settings (secrets read from the environment)."""

from __future__ import annotations

from monitor.alerts.delivery import Sender
from monitor.alerts.email import EmailSender
from monitor.alerts.webhook import WebhookSender
from monitor.config import EmailChannel, Settings, WebhookChannel


def build_senders(settings: Settings) -> dict[str, Sender]:
    """One sender per channel, keyed by the channel's name."""
    senders: dict[str, Sender] = {}
    for index, channel in enumerate(settings.channels):
        name = settings.channel_name(index)
        if isinstance(channel, WebhookChannel):
            secret = channel.secret(channel.secret_env)
            senders[name] = WebhookSender(channel, secret, settings.fetch.user_agent)
        elif isinstance(channel, EmailChannel):
            senders[name] = EmailSender(channel, channel.secret(channel.password_env))
    return senders


def channels_for(settings: Settings, watchlist: str | None) -> list[str]:
    """Names of the channels that take alerts about ``watchlist`` (None: operator alerts, every channel)."""
    names = []
    for index, channel in enumerate(settings.channels):
        if watchlist is None or not channel.watchlists or watchlist in channel.watchlists:
            names.append(settings.channel_name(index))
    return names
