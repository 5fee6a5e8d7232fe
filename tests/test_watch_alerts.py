"""The spike pass's alerts on a real database: grouping, severity floors, quiet hours, cooldown, reminders,
feed-health alerts and the daily digest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.alerts.channels import build_deliverer, build_senders
from monitor.alerts.digest import DigestWriter
from monitor.alerts.health import FeedHealthWatcher
from monitor.alerts.outbox import Deliverer, enqueue
from monitor.config import Settings, parse_settings
from monitor.db.models import Alert, Article, Entry, Feed, KeywordCount, Mention, Spike, Story
from monitor.db.upsert import increment
from monitor.watch import SpikeWatcher
from tests.servers import webhook_receiver

SECRET = "whsec-watch"
NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
BUCKET = NOW.replace(minute=0)
_ids = count(1)


@pytest.fixture(autouse=True)
def hook_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)


def settings_for(db_url: str, channels: str, watchlists: str = "") -> Settings:
    text = f"""
[database]
url = "{db_url}"
[[watchlists]]
name = "takhar"
terms = ["Takhar"]
{watchlists}
[[watchlists]]
name = "kunduz"
terms = ["Kunduz"]
{channels}
"""
    return parse_settings(text, environ={"HOOK_SECRET": SECRET})


def hook(url: str, name: str = "hook", extra: str = "") -> str:
    return f'[[channels]]\nkind = "webhook"\nname = "{name}"\nurl = "{url}"\nsecret_env = "HOOK_SECRET"\n{extra}\n'


def add_stories(session: Session, watchlists: list[str], bucket: datetime, n: int) -> list[int]:
    """``n`` stories first published in ``bucket``, each mentioned by every watchlist given."""
    ids = []
    for _ in range(n):
        i = next(_ids)
        story = Story(title=f"Story {i}", first_seen_at=bucket, published_at=bucket)
        session.add(story)
        session.flush()
        session.add(
            Article(
                canonical_url=f"https://news.example/{i}",
                url=f"https://news.example/{i}",
                source="wire",
                title=f"Story {i}",
                text="text",
                content_hash=f"{i:064d}",
                story_id=story.id,
                published_at=bucket,
            )
        )
        for name in watchlists:
            session.add(Mention(story_id=story.id, watchlist=name, bucket_start=bucket))
            increment(session, KeywordCount, {"watchlist": name, "bucket_start": bucket}, "count")
        ids.append(story.id)
    return ids


def background(session: Session, watchlists: list[str]) -> None:
    """A quiet past: one story every 47 hours over eight weeks."""
    for hours in range(47, 24 * 56, 47):
        add_stories(session, watchlists, BUCKET - timedelta(hours=hours), 1)


def rows(sessions: sessionmaker[Session]) -> list[Alert]:
    with sessions() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def test_watchlists_spiking_on_the_same_stories_go_out_as_one_message(
    sessions: sessionmaker[Session], db_url: str
) -> None:
    """Two watchlists, same eight stories: one webhook call naming both, the second row marked grouped."""
    with webhook_receiver(SECRET) as receiver:
        settings = settings_for(db_url, hook(receiver.url))
        with sessions.begin() as session:
            background(session, ["takhar", "kunduz"])
            add_stories(session, ["takhar", "kunduz"], BUCKET, 8)
        events = SpikeWatcher(settings, sessions, clock=lambda: NOW).run()
        assert sorted(e.watchlist for e in events) == ["kunduz", "takhar"]
        statuses = sorted(r.status for r in rows(sessions))
        assert statuses == ["grouped", "pending"]
        assert Deliverer(sessions, build_senders(settings), timedelta(hours=1)).deliver_due().sent == 1
    assert len(receiver.received) == 1
    payload = receiver.received[0]["payload"]
    assert {payload["watchlist"]} | {r["watchlist"] for r in payload["related"]} == {"takhar", "kunduz"}
    assert len(payload["stories"]) == 8 and payload["severity"] == "medium"
    assert payload["history"]["counts"][-1] == 8 and len(payload["history"]["days"]) == 14


def test_different_stories_are_not_grouped(sessions: sessionmaker[Session], db_url: str) -> None:
    """Two watchlists spiking on unrelated stories get a message each."""
    settings = settings_for(db_url, hook("http://127.0.0.1:9/hook"))
    with sessions.begin() as session:
        background(session, ["takhar", "kunduz"])
        add_stories(session, ["takhar"], BUCKET, 8)
        add_stories(session, ["kunduz"], BUCKET, 8)
    SpikeWatcher(settings, sessions, clock=lambda: NOW).run()
    assert [r.status for r in rows(sessions)] == ["pending", "pending"]


def test_minimum_severity_per_channel(sessions: sessionmaker[Session], db_url: str) -> None:
    """A medium spike reaches the channel with no floor and skips the one that wants only high."""
    settings = settings_for(
        db_url, hook("http://127.0.0.1:9/a", "all") + hook("http://127.0.0.1:9/b", "urgent", 'min_severity = "high"')
    )
    with sessions.begin() as session:
        background(session, ["takhar"])
        add_stories(session, ["takhar"], BUCKET, 8)
    SpikeWatcher(settings, sessions, clock=lambda: NOW).run()
    assert [r.channel for r in rows(sessions)] == ["all"]
    payload = json.loads(rows(sessions)[0].payload)
    assert payload["severity"] == "medium"


def test_quiet_hours_hold_an_alert_until_they_end(sessions: sessionmaker[Session], db_url: str) -> None:
    """With quiet hours 12:00-14:00 UTC a 12:30 alert waits until 14:00 and goes out then, once."""
    with webhook_receiver(SECRET) as receiver:
        settings = settings_for(db_url, hook(receiver.url, extra='quiet_hours = ["12:00", "14:00"]\ntimezone = "UTC"'))
        with sessions.begin() as session:
            background(session, ["takhar"])
            add_stories(session, ["takhar"], BUCKET, 8)
        SpikeWatcher(settings, sessions, clock=lambda: NOW).run()
        (row,) = rows(sessions)
        assert row.next_attempt_at == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
        senders = build_senders(settings)
        assert Deliverer(sessions, senders, timedelta(hours=4), clock=lambda: NOW).deliver_due().sent == 0
        later = datetime(2026, 3, 10, 14, 0, 5, tzinfo=UTC)
        assert Deliverer(sessions, senders, timedelta(hours=4), clock=lambda: later).deliver_due().sent == 1
    assert len(receiver.received) == 1


def test_cooldown_records_a_new_episode_without_alerting(sessions: sessionmaker[Session], db_url: str) -> None:
    """An episode starting within the watchlist's cooldown of its last alert is stored, not sent."""
    settings = settings_for(db_url, hook("http://127.0.0.1:9/hook"), watchlists='cooldown = "6h"')
    with sessions.begin() as session:
        background(session, ["takhar"])
        add_stories(session, ["takhar"], BUCKET, 8)
        session.add(
            Spike(
                watchlist="takhar",
                started_at=BUCKET - timedelta(days=3),
                alerted_at=BUCKET - timedelta(days=3),
                ended_at=BUCKET - timedelta(days=3) + timedelta(hours=2),
                observed=5,
                expected=0.1,
                peak=5,
                window_seconds=3600,
                last_alerted_at=NOW - timedelta(hours=2),
            )
        )
    events = SpikeWatcher(settings, sessions, clock=lambda: NOW).run()
    assert [e.kind for e in events] == ["spike.cooldown"]
    assert rows(sessions) == []
    with sessions() as session:
        assert session.scalar(select(Spike.last_alerted_at).where(Spike.started_at == BUCKET)) is None


def test_an_ongoing_episode_is_reminded_every_repeat_interval_not_every_poll(
    sessions: sessionmaker[Session], db_url: str
) -> None:
    """With repeat = 2h: no reminder an hour in, one at two hours, none again until two more hours pass."""
    settings = settings_for(db_url, hook("http://127.0.0.1:9/hook"), watchlists='repeat = "2h"')
    with sessions.begin() as session:
        background(session, ["takhar"])
        add_stories(session, ["takhar"], BUCKET, 8)
    kinds = []
    for hours in range(0, 4):
        moment = NOW + timedelta(hours=hours)
        with sessions.begin() as session:
            if hours:
                add_stories(session, ["takhar"], BUCKET + timedelta(hours=hours), 3)
        kinds.append([e.kind for e in SpikeWatcher(settings, sessions, clock=lambda m=moment: m).run()])
    assert kinds == [["spike.opened"], [], ["spike.ongoing"], []]
    keys = [r.idempotency_key for r in rows(sessions)]
    assert keys == ["spike.opened:takhar:20260310T1200:hook", "spike.ongoing:takhar:20260310T1200:1:hook"]


def test_feed_failing_alerts_once_per_period_then_recovers(sessions: sessionmaker[Session], db_url: str) -> None:
    """A feed failing past the threshold alerts once; when it is back one recovery notice follows."""
    settings = settings_for(db_url, hook("http://127.0.0.1:9/hook"))
    with sessions.begin() as session:
        session.add(
            Feed(
                name="wire",
                url="https://wire.example/rss",
                current_url="https://wire.example/rss",
                failing_since=NOW - timedelta(hours=7),
                consecutive_failures=9,
                last_error="HTTP 503",
            )
        )
    health = FeedHealthWatcher(settings, sessions, clock=lambda: NOW)
    assert health.run() == ["feed wire failing since 2026-03-10 05:30 UTC"]
    assert health.run() == []
    with sessions.begin() as session:
        feed = session.scalars(select(Feed)).one()
        feed.failing_since, feed.consecutive_failures, feed.last_error = None, 0, None
    assert health.run() == ["feed wire is back (was failing)"]
    assert health.run() == []
    kinds = [(r.kind, json.loads(r.payload)["feed"]["name"]) for r in rows(sessions)]
    assert kinds == [("feed.failing", "wire"), ("feed.recovered", "wire")]
    first = json.loads(rows(sessions)[0].payload)
    assert first["feed"]["consecutive_failures"] == 9 and first["feed"]["last_error"] == "HTTP 503"


def test_feed_failing_briefly_does_not_alert(sessions: sessionmaker[Session], db_url: str) -> None:
    """Failing for less than feed_failing_after sends nothing."""
    settings = settings_for(db_url, hook("http://127.0.0.1:9/hook"))
    with sessions.begin() as session:
        session.add(Feed(name="wire", url="u", current_url="u", failing_since=NOW - timedelta(hours=1)))
    assert FeedHealthWatcher(settings, sessions, clock=lambda: NOW).run() == []


def test_feed_silent_far_beyond_its_rhythm_alerts(sessions: sessionmaker[Session], db_url: str) -> None:
    """A feed that brought new entries every 6 h and has been silent 3 days alerts; at 1 day it does not."""
    settings = settings_for(db_url, hook("http://127.0.0.1:9/hook"))
    last = NOW - timedelta(days=3)
    with sessions.begin() as session:
        feed = Feed(name="wire", url="u", current_url="u", last_new_entry_at=last)
        session.add(feed)
        session.flush()
        for i in range(12):
            session.add(
                Entry(feed_id=feed.id, url=f"https://wire.example/{i}", first_seen_at=last - timedelta(hours=6 * i))
            )
    assert FeedHealthWatcher(settings, sessions, clock=lambda: NOW - timedelta(days=2, hours=1)).run() == []
    (subject,) = FeedHealthWatcher(settings, sessions, clock=lambda: NOW).run()
    assert subject == "feed wire silent for 72 h (usually a new entry every 6.0 h)"


def test_daily_digest_summarises_the_day_once(sessions: sessionmaker[Session], db_url: str) -> None:
    """A digest channel gets no spike alert of its own, then one digest with the day's spikes and stories."""
    channels = hook("http://127.0.0.1:9/now", "now") + hook(
        "http://127.0.0.1:9/day", "daily", 'digest = true\ndigest_at = "08:00"\ntimezone = "Asia/Kabul"'
    )
    settings = settings_for(db_url, channels)
    with sessions.begin() as session:
        background(session, ["takhar"])
        add_stories(session, ["takhar"], BUCKET, 8)
    SpikeWatcher(settings, sessions, clock=lambda: NOW).run()
    assert [r.channel for r in rows(sessions)] == ["now"]
    morning = datetime(2026, 3, 11, 3, 45, tzinfo=UTC)  # 08:15 in Kabul
    writer = DigestWriter(settings, sessions, clock=lambda: morning)
    assert writer.run() == ["digest 2026-03-11: 1 spike (takhar)"]
    assert writer.run() == []
    digest = rows(sessions)[-1]
    assert digest.channel == "daily" and digest.idempotency_key == "digest:2026-03-11:daily"
    payload = json.loads(digest.payload)
    assert [s["watchlist"] for s in payload["spikes"]] == ["takhar"]
    assert len(payload["stories"]) == 8 and payload["period"]["timezone"] == "Asia/Kabul"


def test_a_retry_that_would_fall_in_quiet_hours_waits_for_their_end(
    sessions: sessionmaker[Session], db_url: str
) -> None:
    """A failed try just before 13:00 with quiet hours 13:00-14:00 is retried at 14:00, not during them."""
    settings = settings_for(db_url, hook("http://127.0.0.1:9/hook", extra='quiet_hours = ["13:00", "14:00"]'))
    before = datetime(2026, 3, 10, 12, 59, 55, tzinfo=UTC)
    with sessions.begin() as session:
        enqueue(session, kind="test", key="k", subject="s", payload={}, channels=["hook"], now=before)
    deliverer = build_deliverer(settings, sessions)
    deliverer.clock = lambda: before
    assert deliverer.deliver_due().retrying == 1
    (row,) = rows(sessions)
    assert row.next_attempt_at == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
