"""Hostile servers on 127.0.0.1 against a real ``monitor run`` daemon: every feed ends in a recorded, readable
error or a partial but correct result; no worker hangs and the daemon neither crashes nor stalls."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.db.engine import make_engine, make_sessionmaker
from monitor.db.models import Entry, Feed
from tests.conftest import wait_until, write_config

ARTICLE = (
    "<html><head><title>Story {n}</title></head><body><article><h1>Story {n}</h1>"
    + "<p>Story {n}: the crossing at Shir Khan Bandar reopened after a week of repairs to the bridge. " * 5
    + "</p></article></body></html>"
)


def _rss(items: range, base: str) -> bytes:
    body = "".join(
        f"<item><title>Story {i}</title><link>{base}/p/{i}.html</link><guid>{base}/p/{i}</guid>"
        f"<pubDate>Wed, 25 Nov 2026 {i % 24:02d}:00:00 GMT</pubDate></item>"
        for i in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


def _gzip_bomb(megabytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1 << 20)
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


class Hostile(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HostileHandler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        self.bomb = _gzip_bomb(100)
        full = _rss(range(10), self.base)
        self.truncated = full[: full.index(b"<item><title>Story 7<") + 40]  # cut inside the 8th item
        self.big = _rss(range(50_000), self.base)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hang up on purpose here


class HostileHandler(socketserver.StreamRequestHandler):
    server: Hostile

    def _head(self, status: str, headers: dict[str, str]) -> None:
        lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers.items()]
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def _send(self, body: bytes, ctype: str = "application/rss+xml", status: str = "200 OK", **extra: str) -> None:
        self._head(status, {"Content-Type": ctype, "Content-Length": str(len(body)), "Connection": "close", **extra})
        self.wfile.write(body)

    def handle(self) -> None:
        request = self.rfile.readline().decode("latin-1")
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        path = request.split(" ")[1] if " " in request else "/"
        base = self.server.base
        if path == "/good.xml":
            self._send(_rss(range(2), base))
        elif path.startswith("/p/"):
            self._send(ARTICLE.format(n=path[3:].split(".")[0]).encode(), "text/html; charset=utf-8")
        elif path == "/drip":  # a body one byte at a time, each within the read timeout
            self._head("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": "100000"})
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        elif path == "/drip-headers":  # headers that never end
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for _ in range(1000):
                self.wfile.write(b"X")
                self.wfile.flush()
                time.sleep(0.2)
        elif path == "/endless":
            self._head("200 OK", {"Content-Type": "application/rss+xml", "Transfer-Encoding": "chunked"})
            chunk = b"<item>" * 10_000
            while True:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        elif path == "/bomb":
            self._send(self.server.bomb, **{"Content-Encoding": "gzip"})
        elif path in ("/loop", "/loop2"):
            target = "/loop2" if path == "/loop" else "/loop"
            self._send(b"", "text/plain", "302 Found", Location=target)
        elif path == "/storm":
            self._send(b"internal error", "text/plain", "500 Internal Server Error")
        elif path == "/html":
            page = b'<html><head><link rel="alternate" type="application/rss+xml" href="/good.xml"></head><body>hi</body></html>'
            self._send(page, "text/html")
        elif path == "/truncated.xml":
            self._send(self.server.truncated)
        elif path == "/big.xml":
            self._send(self.server.big)
        elif path == "/reset":
            self._head("200 OK", {"Content-Type": "application/rss+xml", "Content-Length": "100000"})
            self.wfile.write(_rss(range(50), base)[:3000])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # RST mid-body
        elif path == "/image":
            self._send(b"\x89PNG\r\n\x1a\n" + os.urandom(2048), "image/png")
        else:
            self._send(b"not found", "text/plain", "404 Not Found")


@contextmanager
def hostile_server() -> Iterator[Hostile]:
    server = Hostile()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


EXPECTED_ERRORS = {
    "drip": r"total time limit exceeded",
    "drip-headers": r"total time limit exceeded",
    "endless": r"exceeds the 10,000,000-byte cap",
    "bomb": r"exceeds the 10,000,000-byte cap \(after decompression\)",
    "loop": r"redirect loop",
    "storm": r"HTTP 500",
    "html": r"HTML, not a feed; it advertises http://127\.0\.0\.1:\d+/good\.xml: run `monitor feeds add",
    "reset": r"network error|peer closed|incomplete",
    "image": r"not a feed: the server sent a PNG image \(served as image/png\)",
}
PARTIAL = {"good": 2, "truncated": 7, "big": 40}  # feed -> entries stored




@pytest.mark.slow
def test_hostile_feeds_end_in_recorded_errors_or_partial_results(tmp_path: Path) -> None:
    """Slow drip, endless body, gzip bomb, redirect loop, 500 storm, HTML, image, truncated XML, 50,000 entries, reset."""
    db_url = f"sqlite:///{tmp_path / 'monitor.db'}"
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    http_port = port.getsockname()[1]
    port.close()
    with hostile_server() as server:
        names = [*EXPECTED_ERRORS, *PARTIAL]
        paths = {"truncated": "/truncated.xml", "big": "/big.xml", "good": "/good.xml"}
        feeds = [(name, server.base + paths.get(name, f"/{name}")) for name in names]
        extra = f'[daemon]\ntick = "1s"\nshutdown_grace = "10s"\nhttp = "127.0.0.1:{http_port}"\n'
        config = write_config(tmp_path / "monitor.toml", db_url, feeds=feeds, extra=extra)
        tight = 'read_timeout = "1s"\ntotal_timeout = "3s"\nmax_entries_per_poll = 40'
        config.write_text(config.read_text().replace('read_timeout = "5s"\ntotal_timeout = "10s"', tight))
        with open(tmp_path / "daemon.log", "wb") as log:
            daemon = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), "run"], stdout=log, stderr=log)
        engine = make_engine(db_url)
        sessions = make_sessionmaker(engine)

        def checked() -> bool:
            try:
                with sessions() as session:
                    return (
                        session.scalar(select(func.count()).select_from(Feed).where(Feed.last_checked_at.is_not(None)))
                        == len(names)
                    )
            except Exception:
                return False

        try:
            wait_until(checked, 60, "every feed to be polled once")
            wait_until(lambda: _entries_done(sessions, "big") >= PARTIAL["big"], 60, "the big feed's pages")
            assert daemon.poll() is None, "the daemon died"
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/health", timeout=5) as response:
                health = json.loads(response.read())
            assert health["feeds"]["failing"] == len(EXPECTED_ERRORS)
            with sessions() as session:
                rows = {f.name: f for f in session.scalars(select(Feed))}
                counts = dict(session.execute(select(Entry.feed_id, func.count()).group_by(Entry.feed_id)).all())
            for name, pattern in EXPECTED_ERRORS.items():
                row = rows[name]
                assert row.last_error and re.search(pattern, row.last_error), (name, row.last_error)
                assert row.consecutive_failures >= 1 and row.failing_since is not None
                assert counts.get(row.id, 0) == 0, name
            for name, stored in PARTIAL.items():
                row = rows[name]
                assert row.last_error is None, (name, row.last_error)
                assert counts.get(row.id, 0) == stored, (name, counts.get(row.id))
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
            engine.dispose()
    assert daemon.returncode == 0, (tmp_path / "daemon.log").read_text()[-3000:]


def _entries_done(sessions: Callable[[], object], feed: str) -> int:
    with sessions() as session:  # type: ignore[attr-defined]
        return int(
            session.scalar(
                select(func.count())
                .select_from(Entry)
                .join(Feed, Feed.id == Entry.feed_id)
                .where(Feed.name == feed, Entry.status == "done")
            )
            or 0
        )
