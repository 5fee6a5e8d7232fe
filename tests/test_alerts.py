"""Alert delivery on real parts: the outbox, a signed webhook at a real receiver, email at a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.alerts.delivery import Sender
from monitor.alerts.email import EmailSender, message_id
from monitor.alerts.message import spike_subject
from monitor.alerts.outbox import Deliverer, enqueue
from monitor.alerts.webhook import WebhookSender, sign, verify
from monitor.config import EmailChannel, WebhookChannel
from monitor.db.models import Alert, DeliveryAttempt
from tests.servers import webhook_receiver

SECRET = "whsec-test"
PAYLOAD = {
    "version": "1",
    "type": "spike.opened",
    "watchlist": "takhar",
    "summary": "takhar: 9 stories in 3 h, usually 0.4",
}


def test_signature_verifies_and_rejects_tampering_and_replays() -> None:
    """The signature checks out for the exact body and fails for a changed body, another secret or an old timestamp."""
    body = b'{"a": 1}'
    now = 1_700_000_000
    headers = {"webhook-id": "k1", "webhook-timestamp": str(now), "webhook-signature": sign(SECRET, "k1", now, body)}
    assert verify(SECRET, headers, body, now=now + 10)
    assert not verify(SECRET, headers, b'{"a": 2}', now=now + 10)
    assert not verify("other", headers, body, now=now + 10)
    assert not verify(SECRET, headers, body, now=now + 3600)


def _deliverer(
    sessions: sessionmaker[Session], senders: dict[str, Sender], max_age: timedelta = timedelta(hours=24)
) -> Deliverer:
    return Deliverer(sessions, senders, max_age)


def _enqueue(sessions: sessionmaker[Session], channels: list[str], key: str = "spike.opened:takhar:1") -> None:
    with sessions.begin() as session:
        enqueue(session, kind="spike.opened", key=key, subject=PAYLOAD["summary"], payload=PAYLOAD, channels=channels)


def test_enqueue_is_idempotent_per_key_and_channel(sessions: sessionmaker[Session]) -> None:
    """Writing the same alert twice leaves one row per channel."""
    _enqueue(sessions, ["a", "b"])
    _enqueue(sessions, ["a", "b"])
    with sessions() as session:
        keys = sorted(session.scalars(select(Alert.idempotency_key)))
    assert keys == ["spike.opened:takhar:1:a", "spike.opened:takhar:1:b"]


def test_webhook_delivered_signed_once(sessions: sessionmaker[Session]) -> None:
    """A pending alert reaches the receiver once, with a valid signature and its idempotency key."""
    with webhook_receiver(SECRET) as receiver:
        channel = WebhookChannel(kind="webhook", url=receiver.url)
        deliverer = _deliverer(sessions, {"hook": WebhookSender(channel, SECRET, "test")})
        _enqueue(sessions, ["hook"])
        assert deliverer.deliver_due().sent == 1
        assert deliverer.deliver_due().sent == 0
    assert len(receiver.received) == 1 and not receiver.rejected
    got = receiver.received[0]
    assert got["headers"]["webhook-id"] == "spike.opened:takhar:1:hook"
    assert got["payload"]["watchlist"] == "takhar" and got["payload"]["id"] == "spike.opened:takhar:1:hook"


def test_webhook_retried_after_5xx_until_the_receiver_recovers(sessions: sessionmaker[Session]) -> None:
    """A 503 leaves the row pending with a backoff; once due again and the receiver is up, it is sent."""
    state = {"code": 503}
    with webhook_receiver(SECRET, status=lambda: state["code"]) as receiver:
        deliverer = _deliverer(
            sessions, {"hook": WebhookSender(WebhookChannel(kind="webhook", url=receiver.url), SECRET, "t")}
        )
        _enqueue(sessions, ["hook"])
        first = deliverer.deliver_due()
        assert first.retrying == 1 and first.sent == 0
        with sessions() as session:
            row = session.scalars(select(Alert)).one()
            assert row.status == "pending" and row.attempts == 1 and "HTTP 503" in (row.last_error or "")
            assert row.next_attempt_at > datetime.now(UTC)
        assert deliverer.deliver_due().sent == 0  # not due yet
        with sessions.begin() as session:
            session.execute(Alert.__table__.update().values(next_attempt_at=datetime.now(UTC)))
        state["code"] = 200
        assert deliverer.deliver_due().sent == 1
    with sessions() as session:
        attempts = session.scalars(select(DeliveryAttempt.ok).order_by(DeliveryAttempt.id)).all()
    assert attempts == [False, True]


def test_webhook_4xx_is_not_retried(sessions: sessionmaker[Session]) -> None:
    """A 400 marks the row failed at once (retrying cannot help)."""
    with webhook_receiver(SECRET, status=lambda: 400) as receiver:
        deliverer = _deliverer(
            sessions, {"hook": WebhookSender(WebhookChannel(kind="webhook", url=receiver.url), SECRET, "t")}
        )
        _enqueue(sessions, ["hook"])
        assert deliverer.deliver_due().failed == 1
    with sessions() as session:
        assert session.scalars(select(Alert.status)).one() == "failed"


def test_network_error_past_max_age_fails_for_good(sessions: sessionmaker[Session]) -> None:
    """An alert older than the configured age that still cannot be sent is marked failed."""
    channel = WebhookChannel(kind="webhook", url="http://127.0.0.1:9/hook")  # discard port: connection refused
    deliverer = _deliverer(sessions, {"hook": WebhookSender(channel, SECRET, "t")}, max_age=timedelta(seconds=0))
    _enqueue(sessions, ["hook"])
    report = deliverer.deliver_due()
    assert report.failed == 1 and "ConnectError" in report.errors[0]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        data = envelope.content  # type: ignore[attr-defined]
        self.messages.append(email.message_from_bytes(data, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_email_delivered_to_a_real_smtp_server(
    sessions: sessionmaker[Session], smtp_server: tuple[_Inbox, int]
) -> None:
    """The alert arrives as multipart text + HTML, with the subject and a Message-ID derived from its key."""
    inbox, port = smtp_server
    channel = EmailChannel(
        kind="email",
        host="127.0.0.1",
        port=port,
        security="none",
        sender="monitor@example.org",
        recipients=["analyst@example.org"],
    )
    deliverer = _deliverer(sessions, {"mail": EmailSender(channel, None)})
    _enqueue(sessions, ["mail"])
    assert deliverer.deliver_due().sent == 1
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["Subject"] == PAYLOAD["summary"]
    assert mail["Message-ID"] == message_id("spike.opened:takhar:1:mail")
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "takhar: 9 stories in 3 h" in text


def test_email_server_down_then_up(
    sessions: sessionmaker[Session], smtp_server: tuple[_Inbox, int], tmp_path: Path
) -> None:
    """With the SMTP server unreachable the alert waits; pointed at a live server it is sent exactly once."""
    inbox, port = smtp_server
    down = EmailChannel(
        kind="email", host="127.0.0.1", port=9, security="none", sender="m@example.org", recipients=["a@example.org"]
    )
    _enqueue(sessions, ["mail"])
    assert _deliverer(sessions, {"mail": EmailSender(down, None)}).deliver_due().retrying == 1
    with sessions.begin() as session:
        session.execute(Alert.__table__.update().values(next_attempt_at=datetime.now(UTC)))
    up = down.model_copy(update={"port": port})
    assert _deliverer(sessions, {"mail": EmailSender(up, None)}).deliver_due().sent == 1
    assert len(inbox.messages) == 1


def test_spike_subject_names_the_rise() -> None:
    """The subject gives the window count and the usual one, never a bare 0.00 for a rare watchlist."""
    assert spike_subject("Takhar", 9, 3, 0.4) == "Takhar: 9 stories in 3 h, usually 0.40"
    assert spike_subject("Takhar", 12, 1, 2.25) == "Takhar: 12 stories in 1 h, usually 2.2"
    assert spike_subject("Takhar", 3, 1, 0.001) == "Takhar: 3 stories in 1 h, usually < 0.01"
    assert spike_subject("Takhar", 1, 0.5, 0.02) == "Takhar: 1 story in 0.5 h, usually 0.02"
