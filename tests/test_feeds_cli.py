"""``monitor feeds check/add/list`` as an operator runs them, against real feed files on a local server."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, write_config
from tests.servers import Site, serve

SOURCES = FIXTURES / "sources"


def monitor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], capture_output=True, text=True, timeout=60, env=dict(os.environ)
    )


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(Site()) as s:
        yield s


def _home(feed_path: str) -> str:
    return (
        "<!doctype html><html><head><title>Home</title>"
        f'<link rel="alternate" type="application/rss+xml" title="News" href="{feed_path}">'
        "</head><body><h1>News</h1></body></html>"
    )


def test_check_prints_kind_entries_dates_and_problems(tmp_path: Path, site: Site) -> None:
    """`feeds check` on a real feed prints its kind, entry count and dates; the undated entries are a problem."""
    url = site.add("/rss", (SOURCES / "koreatimes-excerpt.rss").read_bytes(), "application/rss+xml")
    config = write_config(tmp_path / "m.toml", f"sqlite:///{tmp_path / 'm.db'}")
    result = monitor("--config", str(config), "feeds", "check", url)
    assert result.returncode == 0, result.stderr
    assert "kind:        rss" in result.stdout
    assert "entries:" in result.stdout and "dated" in result.stdout
    assert "problems:" in result.stdout
    assert not (tmp_path / "m.db").exists()  # nothing stored


def test_check_reports_html_and_binary_clearly(tmp_path: Path, site: Site) -> None:
    """An HTML page is reported as not a feed with the feed it advertises; an image is a clear error (exit 1)."""
    page = site.add("/", _home("/news.rss"))
    image = site.add("/logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    config = write_config(tmp_path / "m.toml", f"sqlite:///{tmp_path / 'm.db'}")
    html = monitor("--config", str(config), "feeds", "check", page)
    assert html.returncode == 0, html.stderr
    assert "HTML, not a feed" in html.stdout and f"advertises: {site.base}/news.rss" in html.stdout
    binary = monitor("--config", str(config), "feeds", "check", image)
    assert binary.returncode == 1
    assert "a PNG image" in binary.stdout and "a PNG image" in binary.stderr


def test_add_finds_advertised_feed_and_appends_it(tmp_path: Path, site: Site) -> None:
    """`feeds add` on a home page follows <link rel=alternate> and appends a valid [[feeds]] table, comments kept."""
    site.add("/", _home("/news.rss"))
    site.add("/news.rss", (SOURCES / "uol-portuguese-dates.rss").read_bytes(), "application/rss+xml")
    config = write_config(tmp_path / "m.toml", f"sqlite:///{tmp_path / 'm.db'}", extra="# keep this comment\n")
    result = monitor("--config", str(config), "feeds", "add", site.base + "/")
    assert result.returncode == 0, result.stderr
    text = config.read_text()
    assert "# keep this comment" in text
    feeds = tomllib.loads(text)["feeds"]
    assert feeds == [{"name": "127-0-0-1", "url": site.base + "/news.rss"}]
    again = monitor("--config", str(config), "feeds", "add", site.base + "/")
    assert again.returncode == 2 and "already configured" in again.stderr
    listed = monitor("--config", str(config), "feeds", "list")
    assert listed.returncode == 0 and "127-0-0-1" in listed.stdout


def test_add_falls_back_to_common_paths(tmp_path: Path, site: Site) -> None:
    """A page advertising no feed: the usual paths are tried and the first real feed is added under --name."""
    site.add("/", "<html><head><title>x</title></head><body>no links</body></html>")
    site.add("/atom.xml", (SOURCES / "heise-excerpt.atom").read_bytes(), "application/atom+xml")
    config = write_config(tmp_path / "m.toml", f"sqlite:///{tmp_path / 'm.db'}")
    result = monitor("--config", str(config), "feeds", "add", site.base + "/", "--name", "heise", "--interval", "20m")
    assert result.returncode == 0, result.stderr
    feeds = tomllib.loads(config.read_text())["feeds"]
    assert feeds == [{"name": "heise", "url": site.base + "/atom.xml", "interval": "20m"}]
    assert site.hits("/feed") == [404]  # tried before /atom.xml
    nothing = tmp_path / "n.toml"
    write_config(nothing, f"sqlite:///{tmp_path / 'n.db'}")
    site.routes.pop("/atom.xml")
    missing = monitor("--config", str(nothing), "feeds", "add", site.base + "/")
    assert missing.returncode == 1 and "no feed found" in missing.stderr
