"""Real servers on 127.0.0.1 for tests: a site serving files (with ETag / 304), a webhook receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    validators: bool = True  # False: no ETag, so every request gets the full body


class QuietServer(ThreadingHTTPServer):
    """A threaded server that does not print a traceback when a client drops its connection."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class Site:
    """Routes served by a ThreadingHTTPServer; ``requests`` logs (method, path, status) for assertions."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str, int]] = []
        self.request_headers: list[dict[str, str]] = []  # each request's headers (lower-cased names)
        self.peers: list[tuple[str, int]] = []  # each request's client address: one per TCP connection used
        self.lock = threading.Lock()
        self.base = ""

    def add(
        self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8", **kw: Any
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, content_type, **kw)
        return self.base + path

    def hits(self, path: str) -> list[int]:
        with self.lock:
            return [status for _m, p, status in self.requests if p == path]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            route = site.routes.get(self.path.split("#")[0])
            if route is None:
                self._send(404, b"not found", "text/plain", {})
                return
            if route.delay:
                time.sleep(route.delay)
            etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
            headers = {"ETag": etag, **route.headers} if route.validators else dict(route.headers)
            if route.validators and route.status == 200 and self.headers.get("If-None-Match") == etag:
                self._send(304, b"", None, headers)
                return
            self._send(route.status, route.body, route.content_type, headers)

        def _send(self, status: int, body: bytes, ctype: str | None, headers: dict[str, str]) -> None:
            with site.lock:
                site.requests.append(("GET", self.path, status))
                site.request_headers.append({k.lower(): v for k, v in self.headers.items()})
                site.peers.append(self.client_address)
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

    return Handler


@contextmanager
def serve(site: Site) -> Iterator[Site]:
    server = QuietServer(("127.0.0.1", 0), _handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Receiver:
    """A webhook receiver that checks Standard Webhooks signatures itself (independent of the sender's code)."""

    secret: str
    status: Callable[[], int] = lambda: 200
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    url: str = ""

    def check(self, headers: dict[str, str], body: bytes) -> str | None:
        msg_id = headers.get("webhook-id")
        stamp = headers.get("webhook-timestamp")
        signature = headers.get("webhook-signature", "")
        if not msg_id or not stamp:
            return "missing webhook-id or webhook-timestamp"
        if abs(time.time() - int(stamp)) > 300:
            return "timestamp too old (replay)"
        mac = hmac.new(self.secret.encode(), f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(mac).decode()
        if not any(hmac.compare_digest(expected, s) for s in signature.split()):
            return "bad signature"
        return None


@contextmanager
def webhook_receiver(secret: str, status: Callable[[], int] = lambda: 200) -> Iterator[Receiver]:
    receiver = Receiver(secret, status)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            problem = receiver.check(headers, body)
            code = receiver.status()
            if problem:
                receiver.rejected.append(problem)
                code = 401
            elif code < 300:
                receiver.received.append({"headers": headers, "payload": json.loads(body)})
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
