"""The poll end to end on real parts: a real HTTP server on 127.0.0.1, real feeds and pages, real databases."""

from __future__ import annotations

import gzip
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.app import App
from monitor.config import FeedSettings, load_settings
from monitor.db.models import Alert, Article, Entry, Feed, Spike
from monitor.pipeline import PollSummary, body_digest
from monitor.seeds import import_seeds
from tests.conftest import write_config
from tests.servers import Site, serve, webhook_receiver

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "config" / "seeds"
SECRET = "test-secret-123"


def _open(tmp_path: Path, db_url: str, site: Site, hook_url: str | None = None) -> App:
    extra = ""
    if hook_url:
        extra = f'[[channels]]\nkind = "webhook"\nname = "hook"\nurl = "{hook_url}"\nsecret_env = "MONITOR_TEST_HOOK_SECRET"\n'
    path = write_config(
        tmp_path / "monitor.toml",
        db_url,
        feeds=[("frontier-wire", site.base + "/wire/rss.xml"), ("steppe-blog", site.base + "/blog/atom.xml")],
        watchlists={"takhar": ["Takhar", "Тахар", "تخار"], "kunduz": ["Kunduz", "Кундуз", "قندوز"]},
        extra=extra,
    )
    return App.open(load_settings(path))


def _poll_all(app: App) -> list[PollSummary]:
    app.pipeline.sync_feeds()
    return [app.pipeline.poll(feed_id) for feed_id in app.pipeline.feed_ids()]


def test_demo_site_poll_stores_articles_recognises_reposts_and_alerts_once(
    tmp_path: Path, db_url: str, demo_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seeds, then a poll: every page stored with full text, seed reposts linked, one spike, one webhook call."""
    monkeypatch.setenv("MONITOR_TEST_HOOK_SECRET", SECRET)
    with webhook_receiver(SECRET) as receiver, _open(tmp_path, db_url, demo_site, receiver.url) as app:
        import_seeds([SEEDS], app.sessions, app.ingestor)
        summaries = _poll_all(app)
        assert all(s.error is None for s in summaries)
        pages = [p for p in demo_site.routes if p.endswith(".html")]
        with app.sessions() as session:
            stored = session.scalars(select(Article).where(Article.is_seed.is_(False))).all()
            assert len(stored) == len(pages)
            assert all(len(a.text) > 300 and a.text_origin == "page" for a in stored)
            seed_reposts = [
                a
                for a in stored
                if a.duplicate_of_id and session.get(Article, a.duplicate_of_id).is_seed  # type: ignore[union-attr]
            ]
            assert len(seed_reposts) >= 3
            assert all(a.source == "steppe-blog" for a in seed_reposts)
            # the blog's repost of a burst story joins that story instead of counting twice
            other_reposts = [a for a in stored if a.duplicate_of_id and a not in seed_reposts]
            assert len(other_reposts) == 1 and other_reposts[0].source == "steppe-blog"

        events = app.watcher.run()
        assert [e.watchlist for e in events] == ["takhar"]
        report = app.deliverer.deliver_due()
        assert report.sent == 1
        assert len(receiver.received) == 1 and not receiver.rejected
        payload = receiver.received[0]["payload"]
        assert payload["type"] == "spike.opened" and payload["watchlist"] == "takhar"
        titles = [s["title"] for s in payload["stories"]]
        assert (
            len(titles) == len(set(titles)) >= 3
        )  # stories, not articles: the repost is folded under its original

        # Running the spike pass and delivery again sends nothing more.
        assert app.watcher.run() == []
        assert app.deliverer.deliver_due().sent == 0
        assert len(receiver.received) == 1


def test_second_poll_is_conditional_and_stores_nothing(tmp_path: Path, db_url: str, demo_site: Site) -> None:
    """The second poll sends If-None-Match, gets 304 for each feed and stores nothing new."""
    with _open(tmp_path, db_url, demo_site) as app:
        _poll_all(app)
        with app.sessions() as session:
            before = session.scalar(select(func.count()).select_from(Article))
            session.execute(Feed.__table__.update().values(next_check_at=datetime.now(UTC)))
        second = _poll_all(app)
        assert all(s.not_modified for s in second)
        assert demo_site.hits("/wire/rss.xml") == [200, 304]
        with app.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == before
            assert session.scalar(select(func.count()).select_from(Entry).where(Entry.status != "done")) == 0


def test_seed_import_is_idempotent(tmp_path: Path, db_url: str, demo_site: Site) -> None:
    """Importing the seed folder twice stores each seed once."""
    with _open(tmp_path, db_url, demo_site) as app:
        first = import_seeds([SEEDS], app.sessions, app.ingestor)
        second = import_seeds([SEEDS], app.sessions, app.ingestor)
        assert first.files == second.files == 5
        assert first.imported == 5 and second.already == 5 and second.imported == 0
        with app.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Article)) == 5


def _corpus_site(corpora: Path, site: Site, feed_file: str, limit: int) -> tuple[str, int]:
    """Serve a real publisher feed with its item links pointed at real article pages from the benchmark."""
    feed = (corpora / "news-feeds-xml" / feed_file).read_bytes().decode("utf-8")
    pages = sorted((corpora / "article-extraction-benchmark" / "html").glob("*.html.gz"))[:limit]
    parts = feed.split("<item>")
    items = [item.split("</item>")[0] for item in parts[1 : limit + 1]]
    feed = parts[0] + "".join(f"<item>{item}</item>" for item in items) + "</channel></rss>"
    links = [re.search(r"<link>\s*(https?://[^<\s]+)\s*</link>", item).group(1) for item in items]  # type: ignore[union-attr]
    for index, (link, page) in enumerate(zip(links, pages, strict=True)):
        local = site.add(f"/a/{index}.html", gzip.decompress(page.read_bytes()))
        feed = feed.replace(f">{link}<", f">{local}<")
    url = site.add("/feed.xml", feed, "application/rss+xml; charset=utf-8")
    return url, min(len(links), len(pages))


@pytest.mark.corpora
def test_poll_real_publisher_feed_with_real_pages(tmp_path: Path, db_url: str, corpora: Path) -> None:
    """A real feed (The Guardian) whose items lead to real article pages: each page stored with its text."""
    site = Site()
    with serve(site):
        url, count = _corpus_site(corpora, site, "rss-parser/guardian.rss", 12)
        path = write_config(tmp_path / "monitor.toml", db_url, feeds=[("guardian", url)])
        with App.open(load_settings(path)) as app:
            app.pipeline.sync_feeds()
            (feed_id,) = app.pipeline.feed_ids()
            summary = app.pipeline.poll(feed_id)
            assert summary.status == 200 and summary.error is None
            with app.sessions() as session:
                local = session.scalars(select(Article).where(Article.url.like(f"{site.base}%"))).all()
                assert len(local) == count
                assert sum(1 for a in local if a.text_origin == "page" and len(a.text) > 500) >= count - 1
                assert all(a.published_at is not None and a.published_at.tzinfo is not None for a in local)
            # a second poll gets a 304 and stores nothing
            with app.sessions.begin() as session:
                session.execute(Feed.__table__.update().values(next_check_at=datetime.now(UTC)))
            again = app.pipeline.poll(feed_id)
            assert again.not_modified and again.new == 0
            assert site.hits("/feed.xml") == [200, 304]


def test_spike_rows_and_alert_rows_are_written_together(tmp_path: Path, db_url: str, demo_site: Site) -> None:
    """With no channel configured a spike is still recorded, with no outbox rows; nothing is delivered."""
    with _open(tmp_path, db_url, demo_site) as app:
        _poll_all(app)
        events = app.watcher.run()
        assert len(events) == 1
        with app.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Spike)) == 1
            assert session.scalar(select(func.count()).select_from(Alert)) == 0


def _rss(base: str, slugs: list[str]) -> str:
    items = "".join(
        f"<item><title>Story {slug}</title><link>{base}/a/{slug}.html</link>"
        f"<pubDate>Mon, 0{i + 1} Jun 2026 08:00:00 GMT</pubDate></item>"
        for i, slug in enumerate(slugs)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>No validators</title>{items}</channel></rss>'


def test_byte_identical_feed_without_validators_is_not_parsed_again(tmp_path: Path, db_url: str) -> None:
    """A server that sends no ETag returns the same body: the poll counts it unchanged; a changed body is parsed."""
    site = Site()
    with serve(site):
        for slug in ("one", "two", "three"):
            site.add(f"/a/{slug}.html", f"<html><body><article><p>{'Crossing at Sherkhan Bandar reopened. ' * 20}</p></article></body></html>")
        feed_url = site.add("/feed.xml", _rss(site.base, ["one", "two"]), "application/rss+xml", validators=False)
        path = write_config(tmp_path / "monitor.toml", db_url, feeds=[("plain", feed_url)])
        with App.open(load_settings(path)) as app:
            app.pipeline.sync_feeds()
            (feed_id,) = app.pipeline.feed_ids()

            def poll_now() -> PollSummary:
                with app.sessions.begin() as session:
                    session.execute(Feed.__table__.update().values(next_check_at=datetime.now(UTC)))
                return app.pipeline.poll(feed_id)

            first = poll_now()
            assert first.status == 200 and first.entries == 2 and not first.not_modified
            second = poll_now()
            assert second.not_modified and second.status == 200 and second.entries == 0
            assert "status=200-unchanged" in second.line()
            assert "if-none-match" not in site.request_headers[-1]
            with app.sessions.begin() as session:
                session.execute(Feed.__table__.update().values(next_check_at=datetime.now(UTC)))
            with ThreadPoolExecutor(max_workers=2) as pool:
                (batched,) = app.pipeline.poll_many([feed_id], pool)
            assert batched.not_modified and batched.entries == 0
            with app.sessions() as session:
                assert session.get(Feed, feed_id).last_status == 200  # type: ignore[union-attr]
            site.add("/feed.xml", _rss(site.base, ["one", "two", "three"]), "application/rss+xml", validators=False)
            third = poll_now()
            assert not third.not_modified and third.entries == 1 and third.unchanged_items == 2  # only "three" read
            assert "unchanged_items=2" in third.line()
            with app.sessions() as session:
                assert session.scalar(select(func.count()).select_from(Entry)) == 3
                assert session.scalar(select(func.count()).select_from(Article)) == 3
            assert site.hits("/feed.xml") == [200, 200, 200, 200]


def test_a_refused_row_fails_only_its_own_feed_in_a_batched_write(tmp_path: Path, db_url: str) -> None:
    """poll_many writes a chunk in one transaction; when the database refuses one feed's entry, the chunk is
    written feed by feed: the others are stored, that feed reports the error and is read again next time."""
    site = Site()
    with serve(site):
        good = site.add("/good.xml", _rss(site.base, ["one", "two"]), "application/rss+xml")
        bad = site.add("/bad.xml", _rss(site.base, ["poison", "three"]), "application/rss+xml")
        path = write_config(tmp_path / "monitor.toml", db_url, feeds=[("good", good), ("bad", bad)])
        with App.open(load_settings(path)) as app:
            app.pipeline.sync_feeds()
            ids = app.pipeline.feed_ids()
            refuse = (
                "CREATE TRIGGER refuse BEFORE INSERT ON entries WHEN instr(NEW.url, 'poison') > 0 "
                "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
                if db_url.startswith("sqlite")
                else "ALTER TABLE entries ADD CONSTRAINT refuse CHECK (strpos(url, 'poison') = 0)"
            )
            with app.engine.begin() as connection:
                connection.exec_driver_sql(refuse)
            with ThreadPoolExecutor(max_workers=2) as pool:
                first = {s.feed: s for s in app.pipeline.poll_many(ids, pool)}
            assert first["good"].error is None and first["good"].entries == 2
            assert first["bad"].error is not None and "cannot store the feed's entries" in first["bad"].error
            with app.sessions() as session:
                urls = set(session.scalars(select(Entry.url)))
                assert {u.rsplit("/", 1)[1] for u in urls} == {"one.html", "two.html"}
                states = {f.name: f for f in session.scalars(select(Feed))}
                assert states["good"].etag is not None and states["good"].item_digests is not None
                assert states["bad"].etag is None and states["bad"].last_success_at is None  # nothing written
            drop = "DROP TRIGGER refuse" if db_url.startswith("sqlite") else "ALTER TABLE entries DROP CONSTRAINT refuse"
            with app.engine.begin() as connection:
                connection.exec_driver_sql(drop)
            with ThreadPoolExecutor(max_workers=2) as pool:
                second = {s.feed: s for s in app.pipeline.poll_many(ids, pool)}
            assert second["good"].not_modified and second["bad"].error is None and second["bad"].entries == 2
            with app.sessions() as session:
                assert session.scalar(select(func.count()).select_from(Entry)) == 4


def test_body_digest_covers_the_parse_settings() -> None:
    """The same bytes under other parse settings (kind, selectors, entry cap) must be parsed again."""
    body = b"<html><a href='/x'>x</a></html>"
    plain = FeedSettings(name="f", url="https://example.org/")
    assert body_digest(body, plain, 200) == body_digest(body, plain, 200)
    assert body_digest(body, plain, 200) != body_digest(body + b" ", plain, 200)
    assert body_digest(body, plain, 200) != body_digest(body, plain, 100)
    assert body_digest(body, plain, 200) != body_digest(body, plain.model_copy(update={"kind": "html"}), 200)
    assert body_digest(body, plain, 200) != body_digest(body, plain.model_copy(update={"selectors": ["a.x"]}), 200)
