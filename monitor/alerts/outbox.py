"""The outbox: alert rows written in their cause's transaction, then claimed, sent and recorded.

Delivery is at least once. A row is claimed with a lease (row locks with SKIP LOCKED on
PostgreSQL, so several daemons never send the same row at once); a daemon that dies after a
send but before its record leaves the lease to expire, and the row is sent again with the same
idempotency key, which receivers use to drop the repeat.
"""

from __future__ import annotations

import json
import logging
import random
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
) -> int:
    """Write one outbox row per channel (idempotent on ``key:channel``); return how many were new."""
    now = now or datetime.now(UTC)
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
                "next_attempt_at": now,
            }
        )
    return insert_ignore(session, Alert, rows)


def retry_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with full jitter: about 30 s, 1 min, 2 min ... capped at an hour."""
    ceiling = min(MAX_RETRY.total_seconds(), FIRST_RETRY.total_seconds() * 2 ** max(0, attempts - 1))
    return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class Deliverer:
    """Claims due outbox rows and sends them through their channel's sender."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        senders: Mapping[str, Sender],
        max_age: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        batch: int = 50,
    ) -> None:
        self.sessions = sessions
        self.senders = senders
        self.max_age = max_age
        self.clock = clock
        self.batch = batch

    def claim(self) -> list[Alert]:
        now = self.clock()
        with self.sessions.begin() as session:
            rows = list(
                session.scalars(
                    select(Alert)
                    .where(
                        Alert.status == "pending",
                        Alert.next_attempt_at <= now,
                        (Alert.claimed_until.is_(None)) | (Alert.claimed_until < now),
                    )
                    .order_by(Alert.id)
                    .limit(self.batch)
                    .with_for_update(skip_locked=True)
                )
            )
            for row in rows:
                row.claimed_until = now + LEASE
            session.flush()
            session.expunge_all()
        return rows

    def deliver_due(self) -> DeliveryReport:
        """Send every due row once; record each attempt."""
        report = DeliveryReport()
        for alert in self.claim():
            self._deliver(alert, report)
        return report

    def _deliver(self, alert: Alert, report: DeliveryReport) -> None:
        sender = self.senders.get(alert.channel)
        message = AlertMessage(alert.idempotency_key, alert.kind, alert.subject, json.loads(alert.payload))
        ok, retryable = False, True
        if sender is None:
            detail, retryable = f"channel {alert.channel!r} is no longer configured", False
        else:
            try:
                detail = sender.send(message)
                ok = True
            except DeliveryError as exc:
                detail, retryable = str(exc), exc.retryable
        now = self.clock()
        attempts = alert.attempts + 1
        values: dict[str, Any] = {"attempts": attempts, "claimed_until": None}
        if ok:
            values |= {"status": "sent", "sent_at": now, "last_error": None}
            report.sent += 1
        elif not retryable or now - alert.created_at >= self.max_age:
            values |= {"status": "failed", "last_error": detail}
            report.failed += 1
            report.errors.append(detail)
            log.warning("alert %s to %s failed for good: %s", alert.idempotency_key, alert.channel, detail)
        else:
            values |= {"next_attempt_at": now + retry_delay(attempts), "last_error": detail}
            report.retrying += 1
            report.errors.append(detail)
            log.info("alert %s to %s will be retried: %s", alert.idempotency_key, alert.channel, detail)
        with self.sessions.begin() as session:
            session.add(DeliveryAttempt(alert_id=alert.id, attempted_at=now, ok=ok, detail=detail))
            session.execute(update(Alert).where(Alert.id == alert.id).values(**values))
