"""Adaptive scheduling through a real poll: the rate and interval land on the feed row, server hints lengthen it."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.app import App
from monitor.config import load_settings
from monitor.db.models import Feed
from tests.conftest import write_config
from tests.servers import Site, serve


def _rss(site: Site, now: datetime, every: timedelta, count: int) -> str:
    items = "".join(
        f"<item><title>n{i}</title><link>{site.base}/n{i}.html</link>"
        f"<pubDate>{format_datetime(now - every * (i + 1), usegmt=True)}</pubDate></item>"
        for i in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


@pytest.fixture
def site() -> Iterator[Site]:
    with serve(Site()) as s:
        yield s


def test_interval_follows_rate_and_cache_hint(tmp_path: Path, db_url: str, site: Site) -> None:
    """A feed posting every 2 h is polled hourly; max-age=4h stretches another to 4 h; a 304 keeps the rate."""
    now = datetime.now(UTC)
    body = _rss(site, now, timedelta(hours=2), 10)
    plain = site.add("/plain.xml", body, "application/rss+xml")
    cached = site.add("/cached.xml", body, "application/rss+xml", headers={"Cache-Control": "max-age=14400"})
    config = write_config(tmp_path / "m.toml", db_url, feeds=[("plain", plain), ("cached", cached)])
    with App.open(load_settings(config)) as app, ThreadPoolExecutor(2) as pool:
        app.pipeline.sync_feeds()
        ids = app.pipeline.feed_ids()
        app.pipeline.poll_many(ids, pool)
        with app.sessions() as session:
            rows = {f.name: (f.publish_rate, f.interval_seconds) for f in session.scalars(select(Feed))}
        rate, interval = rows["plain"]
        assert rate is not None and 11.0 < rate < 13.0  # 10 entries over 20 h
        assert interval is not None and 3300 <= interval <= 3900
        assert rows["cached"][1] == 4 * 3600
        summaries = app.pipeline.poll_many(ids, pool)  # conditional: 304s, state written in one batch
        assert all(s.not_modified for s in summaries)
        with app.sessions() as session:
            again = {f.name: (f.publish_rate, f.interval_seconds) for f in session.scalars(select(Feed))}
        assert again["plain"] == rows["plain"]
    assert site.hits("/plain.xml") == [200, 304]
