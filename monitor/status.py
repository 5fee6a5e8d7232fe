"""What ``monitor status`` reports: feeds and their health, corpus counts, open spikes, the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.db.models import Alert, Article, Entry, Feed, Spike, Story


@dataclass(frozen=True, slots=True)
class FeedRow:
    name: str
    enabled: bool
    last_checked_at: datetime | None
    last_status: int | None
    consecutive_failures: int
    next_check_at: datetime
    last_error: str | None
    articles: int
    pending: int
    failing_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Status:
    feeds: list[FeedRow]
    articles: int
    seeds: int
    stories: int
    duplicates: int
    open_spikes: list[tuple[str, datetime, int, float]]
    alerts: dict[str, int]


def read_status(session: Session) -> Status:
    per_feed = dict(session.execute(select(Article.feed_id, func.count()).group_by(Article.feed_id)).all())
    pending = dict(
        session.execute(
            select(Entry.feed_id, func.count()).where(Entry.status == "pending").group_by(Entry.feed_id)
        ).all()
    )
    feeds = [
        FeedRow(
            f.name,
            f.enabled,
            f.last_checked_at,
            f.last_status,
            f.consecutive_failures,
            f.next_check_at,
            f.last_error or f.disabled_reason,
            per_feed.get(f.id, 0),
            pending.get(f.id, 0),
            f.failing_since,
        )
        for f in session.scalars(select(Feed).order_by(Feed.name))
    ]

    def count(*where: object) -> int:
        return int(session.scalar(select(func.count()).select_from(Article).where(*where)) or 0)  # type: ignore[arg-type]

    spikes = [
        (s.watchlist, s.started_at, s.observed, s.expected)
        for s in session.scalars(select(Spike).where(Spike.ended_at.is_(None)).order_by(Spike.started_at))
    ]
    alerts = dict(session.execute(select(Alert.status, func.count()).group_by(Alert.status)).all())
    return Status(
        feeds=feeds,
        articles=count(),
        seeds=count(Article.is_seed.is_(True)),
        stories=int(session.scalar(select(func.count()).select_from(Story)) or 0),
        duplicates=count(Article.duplicate_of_id.is_not(None)),
        open_spikes=spikes,
        alerts={str(k): int(v) for k, v in alerts.items()},
    )
