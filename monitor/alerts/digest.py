"""Daily digests: one message per digest channel and day, summarising the day's spikes and top stories."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from monitor.alerts.channels import hold_times
from monitor.alerts.controls import at_least, digest_period, severity
from monitor.alerts.message import PAYLOAD_VERSION, spike_subject
from monitor.alerts.outbox import enqueue
from monitor.alerts.stories import story_entry
from monitor.config import Settings
from monitor.db.models import Alert, Article, Mention, Spike, Story

log = logging.getLogger("monitor.alerts")

TOP_STORIES = 10


def story_entries(session: Session, story_ids: list[int]) -> list[dict[str, Any]]:
    """Stories as an alert lists them: the original's title, source, time and link, reposts folded under it."""
    original = aliased(Article)
    entries = []
    for story_id in story_ids:
        article = session.scalars(
            select(original).where(original.story_id == story_id, original.duplicate_of_id.is_(None)).limit(1)
        ).first()
        if article is None:
            continue
        entries.append(story_entry(session, story_id, article))
    return entries


class DigestWriter:
    """Writes each digest channel's message for the latest day that is due (once: keyed by date)."""

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
        """Write the digests that are due; return their subjects (a day without spikes sends nothing)."""
        subjects = []
        for index, channel in enumerate(self.settings.channels):
            if not channel.digest:
                continue
            name = self.settings.channel_name(index)
            with self.sessions.begin() as session:
                subject = self._channel(session, index, name)
            if subject:
                log.info("digest for %s: %s", name, subject)
                subjects.append(subject)
        return subjects

    def _channel(self, session: Session, index: int, name: str) -> str | None:
        channel = self.settings.channels[index]
        now = self.clock()
        day, start, end = digest_period(now, channel.digest_at, channel.timezone)
        key = f"digest:{day}"
        if session.scalar(select(Alert.id).where(Alert.idempotency_key == f"{key}:{name}")) is not None:
            return None
        query = select(Spike).where(Spike.alerted_at >= start, Spike.alerted_at < end).order_by(Spike.alerted_at)
        if channel.watchlists:
            query = query.where(Spike.watchlist.in_(channel.watchlists))
        spikes = []
        for spike in session.scalars(query):
            level = severity(max(spike.observed, spike.peak), spike.expected)
            if not at_least(level, channel.min_severity):
                continue
            spikes.append(
                {
                    "watchlist": spike.watchlist,
                    "summary": spike_subject(
                        spike.watchlist, spike.observed, spike.window_seconds / 3600, spike.expected
                    ),
                    "severity": level,
                    "episode": {
                        "id": spike.id,
                        "started_at": spike.started_at.isoformat(),
                        "alerted_at": spike.alerted_at.isoformat(),
                        "window_hours": spike.window_seconds / 3600,
                        "observed": spike.observed,
                        "expected": round(spike.expected, 3),
                        "peak": spike.peak,
                    },
                }
            )
        if not spikes:
            return None
        watchlists = sorted({str(s["watchlist"]) for s in spikes})
        top = session.execute(
            select(Story.id)
            .join(Mention, Mention.story_id == Story.id)
            .where(Mention.watchlist.in_(watchlists), Mention.bucket_start >= start, Mention.bucket_start < end)
            .group_by(Story.id, Story.article_count)
            .order_by(Story.article_count.desc(), func.count(Mention.id).desc(), Story.id)
            .limit(TOP_STORIES)
        ).scalars()
        noun = "spike" if len(spikes) == 1 else "spikes"
        subject = f"digest {day}: {len(spikes)} {noun} ({', '.join(watchlists)})"
        payload = {
            "version": PAYLOAD_VERSION,
            "type": "digest",
            "created_at": now.isoformat(),
            "summary": subject,
            "period": {"start": start.isoformat(), "end": end.isoformat(), "timezone": channel.timezone},
            "spikes": spikes,
            "stories": story_entries(session, list(top)),
        }
        enqueue(
            session,
            kind="digest",
            key=key,
            subject=subject,
            payload=payload,
            channels=[name],
            now=now,
            not_before=hold_times(self.settings, [name], now),
        )
        return subject
