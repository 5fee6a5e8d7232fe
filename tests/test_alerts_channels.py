"""Channels on real servers: email with its inline chart, an SMTP server down then back, Apprise to a local
HTTP endpoint, two deliverers sharing one outbox, and the ``monitor alerts`` commands."""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.alerts.chat import AppriseSender
from monitor.alerts.delivery import Sender
from monitor.alerts.email import EmailSender
from monitor.alerts.message import sample_payload
from monitor.alerts.outbox import Deliverer, enqueue
from monitor.alerts.webhook import WebhookSender
from monitor.config import AppriseChannel, EmailChannel, WebhookChannel
from monitor.db.engine import make_engine, make_sessionmaker
from monitor.db.migrate import upgrade
from monitor.db.models import Alert, DeliveryAttempt
from tests.conftest import write_config
from tests.servers import QuietServer, webhook_receiver
from tests.test_alerts_controls import decode_png

SECRET = "whsec-channels"
MAX_AGE = timedelta(hours=24)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def _spike(sessions: sessionmaker[Session], channels: list[str], key: str = "spike.opened:sample:1") -> None:
    payload = sample_payload(key, datetime.now(UTC))
    with sessions.begin() as session:
        enqueue(session, kind="spike.opened", key=key, subject=payload["summary"], payload=payload, channels=channels)


def _due_now(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.execute(Alert.__table__.update().values(next_attempt_at=datetime.now(UTC)))


def _mail_channel(port: int) -> EmailChannel:
    return EmailChannel(
        kind="email", host="127.0.0.1", port=port, security="none", sender="m@example.org", recipients=["a@example.org"]
    )


def test_email_carries_its_chart_as_a_related_inline_image(sessions: sessionmaker[Session]) -> None:
    """The HTML part references a PNG part by Content-ID; the PNG decodes to the chart's size."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        _spike(sessions, ["mail"])
        assert Deliverer(sessions, {"mail": EmailSender(_mail_channel(port), None)}, MAX_AGE).deliver_due().sent == 1
    finally:
        controller.stop()
    mail = inbox.messages[0]
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "observed 9 in 3 h against an expected 0.40" in text
    related = [p for p in mail.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1
    parts = list(related[0].iter_parts())
    html = parts[0].get_content()
    image = next(p for p in parts if p.get_content_type() == "image/png")
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html and "Test alert from frontier-monitor" in html
    width, height, _rows = decode_png(image.get_content())
    assert (width, height) == (448, 120)


def test_smtp_server_down_for_a_while_then_back_on_the_same_port(sessions: sessionmaker[Session]) -> None:
    """While the server is stopped every due try is recorded as a failure; once it is back the mail goes once."""
    inbox, port = Inbox(), free_port()
    deliverer = Deliverer(sessions, {"mail": EmailSender(_mail_channel(port), None)}, MAX_AGE)
    _spike(sessions, ["mail"])
    for _ in range(3):  # down: three tries, each recorded
        assert deliverer.deliver_due().retrying == 1
        _due_now(sessions)
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert deliverer.deliver_due().sent == 1
        _due_now(sessions)
        assert deliverer.deliver_due().sent == 0
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    with sessions() as session:
        assert session.scalars(select(DeliveryAttempt.ok).order_by(DeliveryAttempt.id)).all() == [False] * 3 + [True]


@contextmanager
def json_endpoint(status: list[int]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP endpoint recording JSON POST bodies; ``status[0]`` is the code it answers."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if status[0] < 300:
                received.append(json.loads(body))
            self.send_response(status[0])
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def test_apprise_channel_posts_to_a_local_endpoint_and_retries(sessions: sessionmaker[Session]) -> None:
    """An Apprise json:// URL delivers title and Markdown body; a 500 is retried and then sent once."""
    status = [500]
    with json_endpoint(status) as (address, received):
        channel = AppriseChannel(kind="apprise", url_env="CHAT_URL")
        deliverer = Deliverer(sessions, {"chat": AppriseSender(channel, f"json://{address}/notify")}, MAX_AGE)
        _spike(sessions, ["chat"])
        first = deliverer.deliver_due()
        assert first.retrying == 1 and "apprise:" in first.errors[0]
        status[0] = 200
        _due_now(sessions)
        assert deliverer.deliver_due().sent == 1
    assert len(received) == 1
    assert received[0]["title"] == "test: sample: 9 stories in 3 h, usually 0.40"
    assert "[Test alert from frontier-monitor](https://example.org/test-alert)" in received[0]["message"]
    assert "id: spike.opened:sample:1:chat" in received[0]["message"]


def test_apprise_url_that_apprise_cannot_read_fails_at_once(sessions: sessionmaker[Session]) -> None:
    """A URL of no known service is a permanent failure, not an endless retry."""
    channel = AppriseChannel(kind="apprise", url_env="CHAT_URL")
    deliverer = Deliverer(sessions, {"chat": AppriseSender(channel, "nosuchservice://x")}, MAX_AGE)
    _spike(sessions, ["chat"])
    assert deliverer.deliver_due().failed == 1


def test_two_deliverers_on_one_outbox_never_send_a_row_twice(sessions: sessionmaker[Session]) -> None:
    """Two deliverers draining the same outbox at once deliver each of 120 rows exactly once."""
    with webhook_receiver(SECRET) as receiver:
        sender: Sender = WebhookSender(WebhookChannel(kind="webhook", url=receiver.url), SECRET, "t")
        with sessions.begin() as session:
            for i in range(120):
                enqueue(session, kind="drill", key=f"k{i}", subject="s", payload={"n": i}, channels=["hook"])
        deliverers = [Deliverer(sessions, {"hook": sender}, MAX_AGE, batch=7) for _ in range(2)]
        threads = [threading.Thread(target=lambda d=d: d.deliver_due(rounds=100)) for d in deliverers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    keys = [r["headers"]["webhook-id"] for r in receiver.received]
    assert len(keys) == len(set(keys)) == 120
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(DeliveryAttempt)) == 120


def test_a_send_is_not_started_without_enough_lease_left(sessions: sessionmaker[Session]) -> None:
    """With a lease shorter than a send may take, rows are given back unsent instead of risking a double send."""
    with webhook_receiver(SECRET) as receiver:
        sender = WebhookSender(WebhookChannel(kind="webhook", url=receiver.url), SECRET, "t")
        _spike(sessions, ["hook"])
        short = Deliverer(
            sessions, {"hook": sender}, MAX_AGE, lease=timedelta(seconds=5), timeouts={"hook": timedelta(seconds=10)}
        )
        assert short.deliver_due().sent == 0
        with sessions() as session:
            row = session.scalars(select(Alert)).one()
            assert row.status == "pending" and row.claimed_by is None and row.attempts == 0
        assert Deliverer(sessions, {"hook": sender}, MAX_AGE).deliver_due().sent == 1
    assert len(receiver.received) == 1


def monitor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_alerts_test_command_reports_success_and_failure(tmp_path: Path) -> None:
    """`monitor alerts test` sends a signed sample through a webhook (exit 0) and reports a dead one (exit 1)."""
    with webhook_receiver(SECRET) as receiver:
        extra = f"""[[channels]]
kind = "webhook"
name = "desk"
url = "{receiver.url}"
secret_env = "TEST_HOOK_SECRET"
[[channels]]
kind = "webhook"
name = "dead"
url = "http://127.0.0.1:9/hook"
timeout = "2s"
"""
        config = write_config(tmp_path / "monitor.toml", f"sqlite:///{tmp_path / 'm.db'}", extra=extra)
        env = {"TEST_HOOK_SECRET": SECRET}
        ok = monitor("--config", str(config), "alerts", "test", "desk", env=env)
        dead = monitor("--config", str(config), "alerts", "test", "dead", env=env)
        unknown = monitor("--config", str(config), "alerts", "test", "nope", env=env)
    assert ok.returncode == 0, ok.stderr
    assert "desk: sent test alert test:" in ok.stdout and "HTTP 200" in ok.stdout
    assert len(receiver.received) == 1 and not receiver.rejected
    assert receiver.received[0]["payload"]["type"] == "test"
    assert dead.returncode == 1 and "dead: FAILED (temporary" in dead.stdout
    assert unknown.returncode == 2 and "no channel named 'nope' (channels: desk, dead)" in unknown.stderr


def test_alerts_list_shows_each_attempt(tmp_path: Path) -> None:
    """`monitor alerts list` prints an alert with its failed and successful attempts in order."""
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    config = write_config(tmp_path / "monitor.toml", db_url)
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    try:
        inbox, port = Inbox(), free_port()
        _spike(sessions, ["mail"])
        deliverer = Deliverer(sessions, {"mail": EmailSender(_mail_channel(port), None)}, MAX_AGE)
        deliverer.deliver_due()
        _due_now(sessions)
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            deliverer.deliver_due()
        finally:
            controller.stop()
    finally:
        engine.dispose()
    out = monitor("--config", str(config), "alerts", "list")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "sent" in lines[0] and "tries 2" in lines[0] and "9 stories in 3 h" in lines[0]
    assert "fail SMTP 127.0.0.1" in lines[1] and "ok   sent to 1 recipient(s)" in lines[2]
