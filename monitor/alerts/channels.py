"""Building each configured channel's sender, and choosing the channels an alert goes to."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from monitor.alerts.chat import AppriseSender
from monitor.alerts.controls import at_least, quiet_until
from monitor.alerts.delivery import Sender
from monitor.alerts.email import EmailSender
from monitor.alerts.outbox import Deliverer
from monitor.alerts.webhook import WebhookSender
from monitor.config import AppriseChannel, EmailChannel, Settings, WebhookChannel


def build_sender(settings: Settings, index: int) -> Sender:
    """The sender for the channel at ``index`` (secrets read from the environment now)."""
    channel = settings.channels[index]
    if isinstance(channel, WebhookChannel):
        return WebhookSender(channel, channel.secret(channel.secret_env), settings.fetch.agent())
    if isinstance(channel, EmailChannel):
        return EmailSender(channel, channel.secret(channel.password_env))
    assert isinstance(channel, AppriseChannel)
    return AppriseSender(channel, channel.secret(channel.url_env))


def build_senders(settings: Settings) -> dict[str, Sender]:
    """One sender per channel, keyed by the channel's name."""
    return {settings.channel_name(i): build_sender(settings, i) for i in range(len(settings.channels))}


def build_deliverer(
    settings: Settings, sessions: sessionmaker[Session], stop: threading.Event | None = None
) -> Deliverer:
    """The outbox's deliverer with the ``[alerts]`` timings and each channel's timeout."""
    cfg = settings.alerts
    names = {settings.channel_name(i) for i in range(len(settings.channels))}
    return Deliverer(
        sessions,
        build_senders(settings),
        cfg.max_age,
        lease=cfg.lease,
        retry_first=cfg.retry_first,
        retry_max=cfg.retry_max,
        timeouts={settings.channel_name(i): c.timeout for i, c in enumerate(settings.channels)},
        stop=stop,
        hold=lambda name, moment: hold_times(settings, [name], moment)[name] if name in names else moment,
    )


def channels_for(settings: Settings, watchlist: str | None, level: str = "low", *, digest: bool = False) -> list[str]:
    """Channels that take an alert about ``watchlist`` at severity ``level`` (None: an operator alert).

    Spike alerts skip digest channels (``digest=True`` asks for those instead) and channels whose
    ``min_severity`` is above ``level``; operator alerts go to every channel with ``feed_health``."""
    names = []
    for index, channel in enumerate(settings.channels):
        if watchlist is None:
            wanted = channel.feed_health
        else:
            wanted = (
                channel.digest == digest
                and (not channel.watchlists or watchlist in channel.watchlists)
                and at_least(level, channel.min_severity)
            )
        if wanted:
            names.append(settings.channel_name(index))
    return names


def hold_times(
    settings: Settings, names: list[str], now: datetime, hold: timedelta = timedelta(0)
) -> dict[str, datetime]:
    """When each channel's row may first be sent: after ``hold``, and after the channel's quiet hours."""
    by_name = {settings.channel_name(i): c for i, c in enumerate(settings.channels)}
    times = {}
    for name in names:
        channel = by_name[name]
        release = now + hold
        quiet_end = quiet_until(release, channel.quiet_hours, channel.timezone)
        times[name] = quiet_end or release
    return times
