"""WebSub end to end: a real ``monitor run`` daemon, a hub written here, intent verification and signed pushes."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.db.engine import make_engine, make_sessionmaker
from monitor.db.models import Article, Entry, WebSubSubscription
from monitor.websub import signature_ok
from tests.conftest import wait_until, write_config
from tests.servers import QuietServer, Site, serve

ARTICLE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    + "<p>{title}: border guards on the Panj river reported movement near the crossing at dawn. " * 6
    + "</p></article></body></html>"
)


def _rss(site: Site, hub: str, items: list[str]) -> str:
    entries = "".join(
        f"<item><title>{slug}</title><link>{site.base}/{slug}.html</link>"
        f"<pubDate>Wed, 25 Nov 2026 0{i}:00:00 GMT</pubDate></item>"
        for i, slug in enumerate(items)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f'<title>wire</title><link>{site.base}/</link><atom:link rel="hub" href="{hub}"/>'
        f'<atom:link rel="self" href="{site.base}/feed.xml"/>{entries}</channel></rss>'
    )


@dataclass
class Hub:
    """A WebSub hub: accepts a subscription, verifies intent at the callback, then publishes signed content."""

    url: str = ""
    subscriptions: list[dict[str, str]] = field(default_factory=list)
    verified: threading.Event = field(default_factory=threading.Event)
    verify_answers: list[str] = field(default_factory=list)

    def verify(self, form: dict[str, str]) -> None:
        challenge = "challenge-" + os.urandom(8).hex()
        query = urllib.parse.urlencode(
            {"hub.mode": form["hub.mode"], "hub.topic": form["hub.topic"], "hub.challenge": challenge,
             "hub.lease_seconds": "3600"}
        )
        with urllib.request.urlopen(f"{form['hub.callback']}?{query}", timeout=5) as response:
            answer = response.read().decode()
        self.verify_answers.append(answer)
        if answer == challenge:
            self.verified.set()

    def publish(self, body: bytes, secret: str | None = None) -> int:
        form = self.subscriptions[-1]
        key = (secret or form["hub.secret"]).encode()
        signature = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            form["hub.callback"],
            data=body,
            method="POST",
            headers={"Content-Type": "application/rss+xml", "X-Hub-Signature": signature},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)


@contextmanager
def running_hub() -> Iterator[Hub]:
    hub = Hub()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            form = dict(urllib.parse.parse_qsl(body.decode()))
            hub.subscriptions.append(form)
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            threading.Thread(target=hub.verify, args=(form,), daemon=True).start()  # verification comes later

    server = QuietServer(("127.0.0.1", 0), Handler)
    hub.url = f"http://127.0.0.1:{server.server_address[1]}/hub"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])




def _urls(db_url: str, model: type[Article] | type[Entry]) -> set[str]:
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return {str(u) for u in session.scalars(select(model.url))}
    finally:
        engine.dispose()


@pytest.mark.slow
def test_daemon_subscribes_verifies_and_ingests_signed_pushes_only(tmp_path: Path) -> None:
    """The daemon subscribes to the advertised hub, answers its challenge, stores a signed push at once, drops a forged one."""
    db_url = f"sqlite:///{tmp_path / 'monitor.db'}"
    port = _free_port()
    with serve(Site()) as site, running_hub() as hub:
        for slug in ("first", "pushed", "forged"):
            site.add(f"/{slug}.html", ARTICLE.format(title=f"Story {slug}"))
        site.add("/feed.xml", _rss(site, hub.url, ["first"]), "application/rss+xml")
        extra = f'[daemon]\ntick = "1s"\nhttp = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n'
        config = write_config(tmp_path / "monitor.toml", db_url, feeds=[("wire", site.base + "/feed.xml")], extra=extra)
        with open(tmp_path / "daemon.log", "wb") as log:
            daemon = subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), "run"], stdout=log, stderr=log)
        try:
            wait_until(hub.verified.is_set, 30, "the hub's intent verification to succeed")
            form = hub.subscriptions[-1]
            assert form["hub.mode"] == "subscribe" and form["hub.topic"] == site.base + "/feed.xml"
            assert form["hub.callback"].startswith(f"http://127.0.0.1:{port}/websub/") and len(form["hub.secret"]) >= 32
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
                report = json.loads(response.read())
            assert report["status"] == "ok" and report["websub_active"] == 1 and report["feeds"]["enabled"] == 1

            assert hub.publish(_rss(site, hub.url, ["forged"]).encode(), secret="not-the-secret") == 202
            assert hub.publish(_rss(site, hub.url, ["pushed"]).encode()) == 202
            wait_until(lambda: site.base + "/pushed.html" in _urls(db_url, Article), 15, "the pushed story to be stored")
            assert site.base + "/forged.html" not in _urls(db_url, Entry)
            assert site.hits("/forged.html") == []
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=20)
    assert daemon.returncode == 0, (tmp_path / "daemon.log").read_text()
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as session:
        sub = session.scalars(select(WebSubSubscription)).one()
        assert sub.state == "active" and sub.pushes == 1 and sub.lease_expires_at is not None
    engine.dispose()


def test_signature_check() -> None:
    """X-Hub-Signature: sha1 and sha256 accepted with the right secret; wrong secret, body or method refused."""
    body = b"<rss/>"
    good256 = "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    good1 = "sha1=" + hmac.new(b"k", body, hashlib.sha1).hexdigest()
    assert signature_ok("k", body, good256) and signature_ok("k", body, good1)
    assert not signature_ok("other", body, good256)
    assert not signature_ok("k", body + b" ", good256)
    assert not signature_ok("k", body, "md5=" + hashlib.md5(body).hexdigest())
    assert not signature_ok("k", body, None) and not signature_ok("k", body, "garbage")


def test_subscription_ended_when_the_feed_is_disabled(tmp_path: Path) -> None:
    """A feed disabled after subscribing is unsubscribed at the hub, which verifies it at the callback."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import update

    from monitor.app import App
    from monitor.config import load_settings
    from monitor.db.models import Feed
    from monitor.httpd import DaemonHTTP
    from monitor.websub import WebSub

    db_url = f"sqlite:///{tmp_path / 'monitor.db'}"
    port = _free_port()
    with serve(Site()) as site, running_hub() as hub:
        site.add("/feed.xml", _rss(site, hub.url, []), "application/rss+xml")
        extra = f'[daemon]\nhttp = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n'
        config = write_config(tmp_path / "m.toml", db_url, feeds=[("wire", site.base + "/feed.xml")], extra=extra)
        with App.open(load_settings(config)) as app, ThreadPoolExecutor(1) as pool:
            app.pipeline.sync_feeds()
            app.pipeline.poll_many(app.pipeline.feed_ids(), pool)
            websub = WebSub(app.settings, app.sessions, app.fetcher, app.pipeline)
            server = DaemonHTTP(f"127.0.0.1:{port}", app.sessions, websub, lambda _feed: None, 1_000_000)
            server.start()
            try:
                assert websub.ensure_subscriptions() == 1
                wait_until(hub.verified.is_set, 10, "subscription verified")
                hub.verified.clear()
                with app.sessions.begin() as session:
                    session.execute(update(Feed).values(enabled=False))
                assert websub.ensure_subscriptions() == 1
                wait_until(hub.verified.is_set, 10, "unsubscription verified")
            finally:
                server.stop()
            assert [f["hub.mode"] for f in hub.subscriptions] == ["subscribe", "unsubscribe"]
            with app.sessions() as session:
                assert session.scalars(select(WebSubSubscription.state)).one() == "unsubscribed"
