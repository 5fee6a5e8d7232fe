"""What a feed URL answers with, through a real poll: HTML read as a listing only when configured so, binary refused."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.app import App
from monitor.config import load_settings
from monitor.db.models import Entry, Feed
from tests.conftest import write_config
from tests.servers import Site, serve

LISTING = (
    "<html><head><title>Section</title></head><body><nav><a href='/about'>About</a></nav><main>"
    "<h2 class='headline'><a href='/2026/11/24/border-post-reopens-after-floods'>Border post reopens after floods</a></h2>"
    "<h2 class='headline'><a href='/2026/11/25/bridge-repairs-finished-at-the-crossing'>Bridge repairs finished</a></h2>"
    "</main></body></html>"
)


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(Site()) as s:
        yield s


def test_html_listing_only_when_configured(tmp_path: Path, site: Site) -> None:
    """kind = "html" with selectors reads the page's links as entries; the same page as an auto feed is an error."""
    page = site.add("/section", LISTING)
    extra = (
        f'[[feeds]]\nname = "listing"\nurl = "{page}"\nkind = "html"\nselectors = ["h2.headline a"]\n'
        f'[[feeds]]\nname = "image"\nurl = "{site.add("/logo.gif", b"GIF89a" + bytes(64), "image/gif")}"\n'
    )
    config = write_config(tmp_path / "m.toml", f"sqlite:///{tmp_path / 'm.db'}", feeds=[("auto", page)], extra=extra)
    with App.open(load_settings(config)) as app, ThreadPoolExecutor(2) as pool:
        app.pipeline.sync_feeds()
        app.pipeline.poll_many(app.pipeline.feed_ids(), pool)
        with app.sessions() as session:
            rows = {f.name: f for f in session.scalars(select(Feed))}
            counts = dict(session.execute(select(Entry.feed_id, func.count()).group_by(Entry.feed_id)).all())
    assert rows["listing"].last_error is None and rows["listing"].kind == "html"
    assert counts.get(rows["listing"].id) == 2
    assert rows["auto"].last_error is not None and rows["auto"].last_error.startswith("HTML, not a feed")
    assert "monitor feeds add" in rows["auto"].last_error and rows["auto"].id not in counts
    assert rows["image"].last_error is not None and "a GIF image (served as image/gif)" in rows["image"].last_error
