"""Serving the shipped demo site on 127.0.0.1 (feeds rendered with dates relative to now)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from monitor.demo.site_model import load_manifest, render_feed, render_page

SITE_DIR = Path(__file__).resolve().parent / "site"


def site_routes(base_url: str, now: datetime, site_dir: Path = SITE_DIR) -> dict[str, tuple[bytes, str]]:
    """Every path of the demo site with its body and content type."""
    site = load_manifest((site_dir / "manifest.toml").read_text(encoding="utf-8"))
    routes: dict[str, tuple[bytes, str]] = {}
    folders = {}
    for feed in site.feeds:
        ctype = "application/rss+xml" if feed.format == "rss" else "application/atom+xml"
        routes["/" + feed.path] = (render_feed(site, feed.name, base_url, now), f"{ctype}; charset=utf-8")
        folders[feed.name] = feed.path.rsplit("/", 1)[0]
    for article in site.articles:
        template = (site_dir / "pages" / f"{article.slug}.html").read_text(encoding="utf-8")
        path = f"/{folders[article.feed]}/{article.slug}.html"
        routes[path] = (render_page(template, base_url), "text/html; charset=utf-8")
    return routes


@contextmanager
def serve_site(now: datetime | None = None, site_dir: Path = SITE_DIR) -> Iterator[str]:
    """Serve the demo site on a free port of 127.0.0.1; yields its base URL."""
    routes: dict[str, tuple[bytes, str]] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body, ctype = routes.get(self.path, (b"not found", "text/plain"))
            self.send_response(200 if self.path in routes else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    routes.update(site_routes(base, now or datetime.now(UTC), site_dir))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
