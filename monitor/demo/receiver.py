"""A webhook receiver on 127.0.0.1 for the demo: verifies each signature and keeps what arrived."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from monitor.alerts.webhook import verify


@dataclass
class Received:
    url: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0


@contextmanager
def receive_webhooks(secret: str) -> Iterator[Received]:
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ok = verify(secret, dict(self.headers.items()), body)
            if ok:
                received.messages.append(json.loads(body))
            else:
                received.rejected += 1
            self.send_response(204 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    received.url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
