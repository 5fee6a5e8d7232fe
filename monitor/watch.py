"""The spike pass: per-watchlist story counts from the database, through the detector, into spike
episodes and outbox rows written in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, sessionmaker

from monitor.alerts.controls import severity
from monitor.alerts.message import spike_payload, spike_subject
from monitor.alerts.routing import route_spike_alert
from monitor.alerts.stories import story_entry
from monitor.config import Settings, SpikeSettings, WatchlistSettings
from monitor.db.models import Article, KeywordCount, Mention, Spike, Story
from monitor.ingest import bucket_start
from monitor.spikes.detector import DetectorSettings, Episode, detect

log = logging.getLogger("monitor.spikes")

MAX_STORIES = 20
HISTORY_DAYS = 14  # days of counts in an alert's payload (the email's chart)


def detector_settings(cfg: SpikeSettings) -> DetectorSettings:
    """The detector's settings from the ``[spikes]`` section."""
    return DetectorSettings(false_alarms_per_30_days=cfg.false_alarms_per_30_days, min_count=cfg.min_count)


@dataclass(frozen=True, slots=True)
class SpikeEvent:
    watchlist: str
    spike_id: int
    kind: str  # spike.opened or spike.escalated
    subject: str


def history_start(current: datetime, history: timedelta) -> datetime:
    """Where the detector's replay starts: ``history`` back, rounded down to a whole week (Unix-epoch aligned),
    so consecutive runs replay from the same bucket and reproduce the same past episodes."""
    week = int(timedelta(days=7).total_seconds())
    start = int((current - history).timestamp())
    return datetime.fromtimestamp(start - start % week, UTC)


def count_series(
    session: Session, watchlist: str, start: datetime, end: datetime, bucket: timedelta
) -> tuple[list[datetime], list[float]]:
    """Story counts per bucket from ``start`` to ``end`` inclusive, zero-filled."""
    rows = session.execute(
        select(KeywordCount.bucket_start, KeywordCount.count).where(
            KeywordCount.watchlist == watchlist,
            KeywordCount.bucket_start >= start,
            KeywordCount.bucket_start <= end,
        )
    )
    by_bucket = {when: count for when, count in rows}
    stamps, values = [], []
    moment = start
    while moment <= end:
        stamps.append(moment)
        values.append(float(by_bucket.get(moment, 0)))
        moment += bucket
    return stamps, values


def daily_history(session: Session, watchlist: str, now: datetime, days: int = HISTORY_DAYS) -> dict[str, Any]:
    """Stories per UTC day for the last ``days`` days, today last: the chart in an alert."""
    first = datetime.combine((now.astimezone(UTC) - timedelta(days=days - 1)).date(), datetime.min.time(), UTC)
    rows = session.execute(
        select(KeywordCount.bucket_start, KeywordCount.count).where(
            KeywordCount.watchlist == watchlist, KeywordCount.bucket_start >= first
        )
    )
    labels = [(first + timedelta(days=i)).date().isoformat() for i in range(days)]
    totals = dict.fromkeys(labels, 0)
    for when, count in rows:
        label = when.astimezone(UTC).date().isoformat()
        if label in totals:
            totals[label] += count
    return {"days": labels, "counts": [totals[label] for label in labels]}


class SpikeWatcher:
    """Runs the detector over recent history and records new episodes with their alerts."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.detector_settings = detector_settings(settings.spikes)

    def run(self) -> list[SpikeEvent]:
        events: list[SpikeEvent] = []
        for watchlist in self.settings.watchlists:
            with self.sessions.begin() as session:
                events.extend(self._watchlist(session, watchlist.name))
        for event in events:
            log.info("spike %s watchlist=%s: %s", event.kind, event.watchlist, event.subject)
        return events

    def _watchlist(self, session: Session, name: str) -> list[SpikeEvent]:
        bucket = self.settings.spikes.bucket
        now = self.clock()
        current = bucket_start(now, bucket)
        stamps, values = count_series(
            session, name, history_start(current, self.settings.spikes.history), current, bucket
        )
        events = []
        for episode in detect(stamps, values, self.detector_settings):
            stored = self._stored(session, name, episode)
            if stored is not None:
                events.extend(self._update(session, stored, episode))
            elif episode.end is None or episode.alerted_at >= current - bucket:
                # Alert on an episode still under way, or one that fired in the latest bucket; an
                # episode that had already ended when a backfill found it is not news, so it does not alert.
                events.append(self._open(session, name, episode))
        return events

    def _stored(self, session: Session, name: str, episode: Episode) -> Spike | None:
        """The stored spike this episode continues: same watchlist, overlapping in time."""
        episode_end = episode.end or datetime.max.replace(tzinfo=UTC)
        candidates = session.scalars(
            select(Spike).where(Spike.watchlist == name, Spike.started_at <= episode_end).order_by(Spike.id.desc())
        )
        for spike in candidates:
            if spike.ended_at is None or spike.ended_at >= episode.start:
                return spike
        return None

    def _open(self, session: Session, name: str, episode: Episode) -> SpikeEvent:
        window_hours = episode.window.total_seconds() / 3600
        spike = Spike(
            watchlist=name,
            started_at=episode.start,
            alerted_at=episode.alerted_at,
            ended_at=episode.end,
            observed=int(episode.observed),
            expected=float(episode.expected),
            peak=float(episode.peak),
            window_seconds=int(episode.window.total_seconds()),
        )
        session.add(spike)
        session.flush()
        subject = spike_subject(name, int(episode.observed), window_hours, episode.expected)
        last = session.scalar(
            select(Spike.last_alerted_at)
            .where(Spike.watchlist == name, Spike.id != spike.id, Spike.last_alerted_at.is_not(None))
            .order_by(Spike.last_alerted_at.desc())
            .limit(1)
        )
        cooldown = self._watchlist_settings(name).cooldown
        if last is not None and self.clock() - last < cooldown:
            log.info("spike %s recorded without an alert: within the %s cooldown", subject, cooldown)
            return SpikeEvent(name, spike.id, "spike.cooldown", subject)
        self._alert(session, spike, "spike.opened", subject)
        return SpikeEvent(name, spike.id, "spike.opened", subject)

    def _watchlist_settings(self, name: str) -> WatchlistSettings:
        return next(w for w in self.settings.watchlists if w.name == name)

    def _update(self, session: Session, spike: Spike, episode: Episode) -> list[SpikeEvent]:
        spike.peak = max(spike.peak, float(episode.peak))
        spike.ended_at = episode.end
        if episode.escalated_at is not None and spike.escalated_at is None:
            spike.escalated_at = episode.escalated_at
            spike.observed = max(spike.observed, int(episode.observed))
            subject = "escalating: " + spike_subject(
                spike.watchlist, int(episode.peak), spike.window_seconds / 3600, spike.expected
            )
            self._alert(session, spike, "spike.escalated", subject)
            return [SpikeEvent(spike.watchlist, spike.id, "spike.escalated", subject)]
        repeat = self._watchlist_settings(spike.watchlist).repeat
        last = spike.last_alerted_at
        if repeat and episode.end is None and last is not None and self.clock() - last >= repeat:
            spike.reminders += 1
            subject = "still spiking: " + spike_subject(
                spike.watchlist, int(episode.observed), spike.window_seconds / 3600, spike.expected
            )
            self._alert(session, spike, "spike.ongoing", subject, suffix=f":{spike.reminders}")
            return [SpikeEvent(spike.watchlist, spike.id, "spike.ongoing", subject)]
        return []

    def _alert(self, session: Session, spike: Spike, kind: str, subject: str, suffix: str = "") -> None:
        key = f"{kind}:{spike.watchlist}:{spike.started_at.strftime('%Y%m%dT%H%M')}{suffix}"
        now = self.clock()
        payload = spike_payload(
            key=key,
            kind=kind,
            watchlist=spike.watchlist,
            episode={
                "id": spike.id,
                "started_at": spike.started_at.isoformat(),
                "alerted_at": spike.alerted_at.isoformat(),
                "window_hours": spike.window_seconds / 3600,
                "observed": spike.observed,
                "expected": round(spike.expected, 3),
                "peak": spike.peak,
            },
            stories=self._stories(session, spike),
            summary=subject,
            created_at=now.isoformat(),
        )
        payload["severity"] = severity(max(spike.observed, spike.peak), spike.expected)
        payload["history"] = daily_history(session, spike.watchlist, now)
        route_spike_alert(
            session,
            self.settings,
            kind=kind,
            key=key,
            subject=subject,
            payload=payload,
            watchlist=spike.watchlist,
            spike_id=spike.id,
            now=now,
        )
        spike.last_alerted_at = now

    def _stories(self, session: Session, spike: Spike) -> list[dict[str, Any]]:
        """The stories behind the spike, originals first with their reposts folded under them."""
        original = aliased(Article)
        rows = session.execute(
            select(Story.id, original)
            .join(Mention, Mention.story_id == Story.id)
            .join(original, (original.story_id == Story.id) & original.duplicate_of_id.is_(None))
            .where(Mention.watchlist == spike.watchlist, Mention.bucket_start >= spike.started_at)
            .order_by(Mention.bucket_start.desc(), Story.id.desc())
            .limit(MAX_STORIES)
        ).all()
        stories = []
        for story_id, article in rows:
            stories.append(story_entry(session, story_id, article))
        return stories
