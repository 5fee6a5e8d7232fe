"""Operator alerts about feeds: failing for longer than allowed, or silent far beyond their usual rhythm,
and a notice when such a feed is back. Each is sent once per period (its key names the period)."""

from __future__ import annotations

import itertools
import json
import logging
import statistics
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.alerts.channels import channels_for, hold_times
from monitor.alerts.message import PAYLOAD_VERSION
from monitor.alerts.outbox import enqueue
from monitor.config import Settings
from monitor.db.models import Alert, Entry, Feed

log = logging.getLogger("monitor.alerts")

SAME_POLL = timedelta(minutes=2)  # entries first seen this close together came in one poll
MIN_GAPS = 5  # fewest gaps between arrivals that make a rhythm
RECENT_ENTRIES = 200


def usual_gap(arrivals: Sequence[datetime]) -> timedelta | None:
    """The median time between a feed's arrivals of new entries (None with too little history; pure)."""
    times = sorted(arrivals)
    starts: list[datetime] = []
    for moment in times:
        if not starts or moment - starts[-1] > SAME_POLL:
            starts.append(moment)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    if len(gaps) < MIN_GAPS:
        return None
    return timedelta(seconds=statistics.median(g.total_seconds() for g in gaps))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S")


class FeedHealthWatcher:
    """Checks every enabled feed's row and writes operator alerts to the outbox."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock

    def run(self) -> list[str]:
        """Write the alerts that are due; return their subjects."""
        subjects: list[str] = []
        if not channels_for(self.settings, None):
            return subjects
        with self.sessions.begin() as session:
            for feed in session.scalars(select(Feed).where(Feed.enabled.is_(True)).order_by(Feed.id)):
                subjects += self._feed(session, feed)
        for subject in subjects:
            log.warning("feed health: %s", subject)
        return subjects

    def _feed(self, session: Session, feed: Feed) -> list[str]:
        cfg = self.settings.alerts
        now = self.clock()
        out = []
        current: set[str] = set()
        if feed.failing_since is not None and now - feed.failing_since >= cfg.feed_failing_after:
            period = f"feed.failing:{feed.name}:{_stamp(feed.failing_since)}"
            current.add(period)
            subject = f"feed {feed.name} failing since {feed.failing_since:%Y-%m-%d %H:%M} UTC"
            out += self._write(session, "feed.failing", period, subject, feed, None)
        elif feed.last_new_entry_at is not None:
            arrivals = session.scalars(
                select(Entry.first_seen_at)
                .where(Entry.feed_id == feed.id)
                .order_by(Entry.first_seen_at.desc())
                .limit(RECENT_ENTRIES)
            ).all()
            gap = usual_gap(arrivals)
            if gap is not None:
                threshold = max(gap * cfg.feed_silent_factor, cfg.feed_silent_min)
                if now - feed.last_new_entry_at >= threshold:
                    period = f"feed.silent:{feed.name}:{_stamp(feed.last_new_entry_at)}"
                    current.add(period)
                    hours = (now - feed.last_new_entry_at).total_seconds() / 3600
                    subject = f"feed {feed.name} silent for {hours:.0f} h (usually a new entry every {_hours(gap)})"
                    out += self._write(session, "feed.silent", period, subject, feed, gap)
        if cfg.feed_recovery:
            out += self._recoveries(session, feed, current)
        return out

    def _write(
        self, session: Session, kind: str, period: str, subject: str, feed: Feed, gap: timedelta | None
    ) -> list[str]:
        if session.scalar(select(Alert.id).where(_starts(Alert.idempotency_key, f"{period}:"))) is not None:
            return []  # already written for this period
        payload = self._payload(kind, period, subject, feed, gap)
        return self._enqueue(session, kind, period, subject, payload)

    def _recoveries(self, session: Session, feed: Feed, current: set[str]) -> list[str]:
        out = []
        for kind in ("feed.failing", "feed.silent"):
            rows = session.scalars(
                select(Alert.payload).where(Alert.kind == kind, _starts(Alert.idempotency_key, f"{kind}:{feed.name}:"))
            ).all()
            periods = {json.loads(p).get("period") for p in rows} - current - {None}
            for period in sorted(str(p) for p in periods):
                key = f"feed.recovered:{period}"
                if session.scalar(select(Alert.id).where(_starts(Alert.idempotency_key, f"{key}:"))) is not None:
                    continue
                what = "failing" if kind == "feed.failing" else "silent"
                subject = f"feed {feed.name} is back (was {what})"
                payload = self._payload("feed.recovered", period, subject, feed, None)
                out += self._enqueue(session, "feed.recovered", key, subject, payload)
        return out

    def _payload(self, kind: str, period: str, subject: str, feed: Feed, gap: timedelta | None) -> dict[str, Any]:
        return {
            "version": PAYLOAD_VERSION,
            "type": kind,
            "created_at": self.clock().isoformat(),
            "summary": subject,
            "severity": "operator",
            "period": period,
            "feed": {
                "name": feed.name,
                "url": feed.current_url or feed.url,
                "failing_since": feed.failing_since.isoformat() if feed.failing_since else None,
                "consecutive_failures": feed.consecutive_failures,
                "last_error": feed.last_error,
                "last_success_at": feed.last_success_at.isoformat() if feed.last_success_at else None,
                "last_new_entry_at": feed.last_new_entry_at.isoformat() if feed.last_new_entry_at else None,
                "usual_gap_hours": round(gap.total_seconds() / 3600, 2) if gap else None,
            },
        }

    def _enqueue(self, session: Session, kind: str, key: str, subject: str, payload: dict[str, Any]) -> list[str]:
        now = self.clock()
        names = channels_for(self.settings, None)
        enqueue(
            session,
            kind=kind,
            key=key,
            subject=subject,
            payload=payload,
            channels=names,
            now=now,
            not_before=hold_times(self.settings, names, now),
        )
        return [subject]


def _hours(gap: timedelta) -> str:
    hours = gap.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def _starts(column: Any, prefix: str) -> Any:
    """``column LIKE 'prefix%'`` with the wildcards in ``prefix`` escaped (feed names may hold them)."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped + "%", escape="\\")
