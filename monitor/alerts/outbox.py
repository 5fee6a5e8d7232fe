"""The outbox: alert rows written in their cause's transaction, then claimed, sent and recorded.

Delivery is at least once, and a repeat has one cause only. A claim stamps due rows with a lease
and a fresh token in one conditional UPDATE (after a SKIP LOCKED select on PostgreSQL), so two
daemons never hold the same row; a send starts only while enough of the lease is left for it to
finish, and its record is written only where the token still matches. So the one way a row is
sent twice is a daemon dying between a send and its record: the lease runs out and the row goes
again with the same idempotency key, which receivers use to drop the repeat. The log says
"sending KEY" before each send and "sent KEY" once it is recorded, so every repeat can be traced.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.alerts.delivery import DeliveryError, Sender
from monitor.alerts.message import AlertMessage
from monitor.db.models import Alert, DeliveryAttempt
from monitor.db.upsert import insert_ignore

log = logging.getLogger("monitor.alerts")

LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
MAX_MARGIN = timedelta(seconds=60)  # lease left over a send's timeout before it may start (at most a quarter)


def enqueue(
    session: Session,
    *,
    kind: str,
    key: str,
    subject: str,
    payload: Mapping[str, Any],
    channels: Sequence[str],
    spike_id: int | None = None,
    now: datetime | None = None,
    not_before: Mapping[str, datetime] | None = None,
) -> int:
    """Write one outbox row per channel (idempotent on ``key:channel``); return how many were new.

    ``not_before`` holds a channel's row back (quiet hours, a grouping window)."""
    now = now or datetime.now(UTC)
    not_before = not_before or {}
    rows = []
    for channel in channels:
        channel_key = f"{key}:{channel}"
        rows.append(
            {
                "idempotency_key": channel_key,
                "kind": kind,
                "channel": channel,
                "spike_id": spike_id,
                "subject": subject,
                "payload": json.dumps({**payload, "id": channel_key}, ensure_ascii=False, sort_keys=True),
                "status": "pending",
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": max(now, not_before.get(channel, now)),
            }
        )
    return insert_ignore(session, Alert, rows)


def retry_delay(
    attempts: int, rng: random.Random | None = None, first: timedelta = FIRST_RETRY, cap: timedelta = MAX_RETRY
) -> timedelta:
    """Exponential backoff with jitter: about ``first``, then double each time, capped at ``cap``."""
    ceiling = min(cap.total_seconds(), first.total_seconds() * 2 ** max(0, attempts - 1))
    return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    lost_leases: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Claimed:
    """An outbox row as claimed: what a send needs, detached from the session."""

    id: int
    key: str
    kind: str
    channel: str
    subject: str
    payload: str
    attempts: int
    created_at: datetime
    token: str
    lease_until: datetime


class Deliverer:
    """Claims due outbox rows and sends them through their channel's sender."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        senders: Mapping[str, Sender],
        max_age: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        batch: int = 50,
        *,
        lease: timedelta = LEASE,
        retry_first: timedelta = FIRST_RETRY,
        retry_max: timedelta = MAX_RETRY,
        timeouts: Mapping[str, timedelta] | None = None,
        stop: threading.Event | None = None,
        hold: Callable[[str, datetime], datetime] | None = None,
    ) -> None:
        self.sessions = sessions
        self.senders = senders
        self.max_age = max_age
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.retry_first = retry_first
        self.retry_max = retry_max
        self.timeouts = dict(timeouts or {})
        self.stop = stop or threading.Event()
        # Moves a retry time out of the channel's quiet hours: hold(channel, moment) -> moment or later.
        self.hold = hold or (lambda _channel, moment: moment)

    def claim(self) -> list[Claimed]:
        """Take up to ``batch`` due rows under a fresh token; rows another daemon holds are skipped."""
        now = self.clock()
        token = uuid.uuid4().hex
        lease_until = now + self.lease
        due = (
            (Alert.status == "pending")
            & (Alert.next_attempt_at <= now)
            & ((Alert.claimed_until.is_(None)) | (Alert.claimed_until < now))
        )
        with self.sessions.begin() as session:
            ids = list(
                session.scalars(
                    select(Alert.id).where(due).order_by(Alert.id).limit(self.batch).with_for_update(skip_locked=True)
                )
            )
            if not ids:
                return []
            # The condition is checked again by the UPDATE itself: on SQLite (no row locks) a row another
            # process claimed since the select is not taken twice.
            session.execute(
                update(Alert)
                .where(Alert.id.in_(ids), due)
                .values(claimed_until=lease_until, claimed_by=token)
                .execution_options(synchronize_session=False)
            )
            rows = session.scalars(select(Alert).where(Alert.claimed_by == token).order_by(Alert.id)).all()
            return [
                Claimed(
                    r.id,
                    r.idempotency_key,
                    r.kind,
                    r.channel,
                    r.subject,
                    r.payload,
                    r.attempts,
                    r.created_at,
                    token,
                    lease_until,
                )
                for r in rows
            ]

    def deliver_due(self, rounds: int = 20) -> DeliveryReport:
        """Send due rows, claiming batch after batch (at most ``rounds``) while full batches come back."""
        report = DeliveryReport()
        for _ in range(rounds):
            claimed = self.claim()
            for index, row in enumerate(claimed):
                # A send is several network steps, each up to the channel's timeout.
                budget = 3 * self.timeouts.get(row.channel, timedelta(seconds=30)) + min(MAX_MARGIN, self.lease / 4)
                if self.stop.is_set() or self.clock() + budget > row.lease_until:
                    self._release(claimed[index:])
                    return report
                self._deliver(row, report)
            if len(claimed) < self.batch or self.stop.is_set():
                break
        return report

    def _release(self, rows: Sequence[Claimed]) -> None:
        """Give claimed rows back unsent (shutting down, or too little lease left to start a send)."""
        with self.sessions.begin() as session:
            for row in rows:
                session.execute(
                    update(Alert)
                    .where(Alert.id == row.id, Alert.claimed_by == row.token)
                    .values(claimed_until=None, claimed_by=None)
                )

    def _deliver(self, alert: Claimed, report: DeliveryReport) -> None:
        sender = self.senders.get(alert.channel)
        message = AlertMessage(alert.key, alert.kind, alert.subject, json.loads(alert.payload))
        ok, retryable = False, True
        if sender is None:
            detail, retryable = f"channel {alert.channel!r} is no longer configured", False
        else:
            log.info("sending %s", alert.key)
            try:
                detail = sender.send(message)
                ok = True
            except DeliveryError as exc:
                detail, retryable = str(exc), exc.retryable
        now = self.clock()
        attempts = alert.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "claimed_until": None, "claimed_by": None}
        if ok:
            values |= {"status": "sent", "sent_at": now, "last_error": None}
        elif not retryable or now - alert.created_at >= self.max_age:
            values |= {"status": "failed", "last_error": detail}
        else:
            delay = retry_delay(attempts, first=self.retry_first, cap=self.retry_max)
            values |= {"next_attempt_at": self.hold(alert.channel, now + delay), "last_error": detail}
        with self.sessions.begin() as session:
            recorded = session.execute(
                update(Alert)
                .where(Alert.id == alert.id, Alert.claimed_by == alert.token, Alert.status == "pending")
                .values(**values)
                .returning(Alert.id)
                .execution_options(synchronize_session=False)
            ).first()
            if recorded:
                session.add(DeliveryAttempt(alert_id=alert.id, attempted_at=now, ok=ok, detail=detail))
        if not recorded:
            report.lost_leases += 1
            log.warning("alert %s: lease ran out before the outcome was recorded (%s)", alert.key, detail)
        elif ok:
            report.sent += 1
            log.info("sent %s", alert.key)
        elif values.get("status") == "failed":
            report.failed += 1
            report.errors.append(detail)
            log.warning("not sent %s: failed for good: %s", alert.key, detail)
        else:
            report.retrying += 1
            report.errors.append(detail)
            log.info("not sent %s: will be retried: %s", alert.key, detail)
