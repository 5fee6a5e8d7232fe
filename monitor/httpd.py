"""The daemon's small HTTP server: ``GET /health`` (JSON) and the WebSub callback ``/websub/<token>``."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Entry, Feed, WebSubSubscription
from monitor.websub import CALLBACK_PREFIX, Reply, WebSub

log = logging.getLogger("monitor.http")

FAILING_FLAG = timedelta(days=1)  # a feed failing this long is counted as "failing for a day"


def health(sessions: sessionmaker[Session], started: float, now: datetime | None = None) -> dict[str, Any]:
    """The daemon's health: feeds (enabled, failing, failing for a day), pending entries, WebSub, uptime."""
    now = now or datetime.now(UTC)
    with sessions() as session:
        enabled = session.scalar(select(func.count()).select_from(Feed).where(Feed.enabled.is_(True))) or 0
        failing = list(
            session.execute(
                select(Feed.name, Feed.failing_since, Feed.consecutive_failures, Feed.last_error).where(
                    Feed.enabled.is_(True), Feed.consecutive_failures > 0
                )
            )
        )
        pending = session.scalar(select(func.count()).select_from(Entry).where(Entry.status == "pending")) or 0
        last_poll = session.scalar(select(func.max(Feed.last_checked_at)))
        active = session.scalar(
            select(func.count()).select_from(WebSubSubscription).where(WebSubSubscription.state == "active")
        )
    stale = [row for row in failing if row.failing_since is not None and now - row.failing_since >= FAILING_FLAG]
    return {
        "status": "degraded" if stale else "ok",
        "uptime_seconds": round(time.monotonic() - started, 1),
        "feeds": {"enabled": int(enabled), "failing": len(failing), "failing_for_a_day": len(stale)},
        "failing_for_a_day": [
            {
                "feed": r.name,
                "since": r.failing_since.isoformat(),
                "failures": r.consecutive_failures,
                "error": r.last_error,
            }
            for r in stale
        ],
        "pending_entries": int(pending),
        "last_poll_at": last_poll.isoformat() if last_poll else None,
        "websub_active": int(active or 0),
    }


class DaemonHTTP:
    """A threaded HTTP server on ``address`` ("HOST:PORT"); ``on_push(feed_id)`` runs after a stored push."""

    def __init__(
        self,
        address: str,
        sessions: sessionmaker[Session],
        websub: WebSub | None,
        on_push: Callable[[int], None],
        max_body: int,
    ) -> None:
        host, _, port = address.rpartition(":")
        self.sessions = sessions
        self.websub = websub
        self.on_push = on_push
        self.max_body = max_body
        self.started = time.monotonic()
        self.server = ThreadingHTTPServer((host.strip("[]"), int(port)), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="http", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(app: DaemonHTTP) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30  # a client that stops sending is dropped

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("%s " + format, self.client_address[0], *args)

        def _reply(self, reply: Reply, content_type: str = "text/plain") -> None:
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def _token(self) -> str | None:
            path = urlsplit(self.path).path
            if app.websub is None or not path.startswith(CALLBACK_PREFIX):
                return None
            return path[len(CALLBACK_PREFIX) :] or None

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/health":
                try:
                    body, status = health(app.sessions, app.started), 200
                except Exception as exc:  # the database is down: say so rather than hang up
                    body, status = {"status": "error", "error": str(exc).splitlines()[0]}, 503
                self._reply(Reply(status, json.dumps(body).encode()), "application/json")
                return
            token = self._token()
            if token is None or app.websub is None:
                self._reply(Reply(404, b"not found"))
                return
            self._reply(app.websub.verify(token, dict(parse_qsl(parts.query, keep_blank_values=True))))

        def do_POST(self) -> None:
            token = self._token()
            length = self.headers.get("Content-Length", "")
            if token is None or app.websub is None:
                self._reply(Reply(404, b"not found"))
                return
            if not length.isdigit():
                self._reply(Reply(411, b"Content-Length required"))
                return
            if int(length) > app.max_body:
                self._reply(Reply(413, b"body too large"))
                self.close_connection = True
                return
            body = self.rfile.read(int(length))
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = app.websub.receive(token, headers, body)
            self._reply(reply)
            if reply.feed_id is not None:
                app.on_push(reply.feed_id)

    return Handler
