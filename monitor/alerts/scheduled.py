"""The alert work the daemon runs on a timer besides delivery: feed health and daily digests."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from monitor.alerts.digest import DigestWriter
from monitor.alerts.health import FeedHealthWatcher
from monitor.config import Settings


def write_scheduled_alerts(
    settings: Settings, sessions: sessionmaker[Session], now: datetime | None = None
) -> list[str]:
    """Write the feed-health alerts and digests that are due; return their subjects."""
    moment = now or datetime.now(UTC)
    subjects = FeedHealthWatcher(settings, sessions, lambda: moment).run()
    return subjects + DigestWriter(settings, sessions, lambda: moment).run()
