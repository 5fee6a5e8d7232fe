"""Storing documents: exact and near duplicates join the original's story; the earliest copy is the original."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Article, Fingerprint, KeywordCount, Mention, Story
from monitor.ingest import Document, Ingestor, bucket_start
from monitor.keywords.matcher import Watchlist, WatchlistMatcher

SEED = (Path(__file__).resolve().parents[1] / "config" / "seeds" / "004_b9716d304f0d04f8.txt").read_text()
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _ingestor() -> Ingestor:
    matcher = WatchlistMatcher([Watchlist("badakhshan", ("Badakhshan",)), Watchlist("faizabad", ("Faizabad",))])
    return Ingestor(matcher, HOUR, clock=lambda: NOW)


def _doc(url: str, text: str, published: datetime, source: str = "wire") -> Document:
    return Document(canonical_url=url, source=source, text=text, title=url, url=url, published_at=published)


def test_exact_and_near_duplicates_join_the_story(sessions: sessionmaker[Session]) -> None:
    """The same text again is a hash duplicate; the text inside new chrome is a fingerprint duplicate."""
    ingest = _ingestor()
    body = SEED.split("DetlefKroeze")[0]
    with sessions.begin() as session:
        first = ingest.ingest(session, _doc("https://a.example/1", body, NOW - 5 * HOUR))
        same = ingest.ingest(session, _doc("https://b.example/2", "  " + body.upper() + " ", NOW - 4 * HOUR))
        wrapped = "My blog intro about the north.\n\n" + body[:2500] + "\n\nComments: great post, thanks for sharing this."
        near = ingest.ingest(session, _doc("https://c.example/3", wrapped, NOW - 3 * HOUR))
        again = ingest.ingest(session, _doc("https://a.example/1", "other text", NOW))
    assert first.duplicate_of is None and first.watchlists == ("badakhshan", "faizabad")
    assert (same.duplicate_of, same.method) == (first.article_id, "hash")
    assert (near.duplicate_of, near.method) == (first.article_id, "fingerprint")
    assert not again.new and again.article_id == first.article_id
    with sessions() as session:
        story = session.get_one(Story, first.story_id)
        assert story.article_count == 3
        counts = session.scalars(select(KeywordCount.count)).all()
        assert counts == [1, 1]  # one story, counted once per watchlist


def test_earlier_copy_becomes_the_original_whatever_the_order(sessions: sessionmaker[Session]) -> None:
    """A repost stored first is demoted when the earlier-published original arrives; counts move with the story."""
    ingest = _ingestor()
    body = SEED.split("DetlefKroeze")[0]
    repost_text = "Reposted from the wire:\n\n" + body + "\n\nReader comments follow below, please be civil."
    with sessions.begin() as session:
        repost = ingest.ingest(session, _doc("https://blog.example/r", repost_text, NOW - 1 * HOUR, "blog"))
        original = ingest.ingest(session, _doc("https://wire.example/o", body, NOW - 6 * HOUR, "wire"))
    assert original.duplicate_of is None and original.story_id == repost.story_id
    with sessions() as session:
        demoted = session.get_one(Article, repost.article_id)
        assert demoted.duplicate_of_id == original.article_id and demoted.dup_method == "fingerprint"
        assert session.scalars(select(Fingerprint.article_id).distinct()).all() == [original.article_id]
        buckets = {m.bucket_start for m in session.scalars(select(Mention))}
        assert buckets == {bucket_start(NOW - 6 * HOUR, HOUR)}
        counts = {(k.bucket_start, k.count) for k in session.scalars(select(KeywordCount)) if k.count}
        assert counts == {(bucket_start(NOW - 6 * HOUR, HOUR), 1)}
        assert session.get_one(Story, original.story_id).published_at == NOW - 6 * HOUR


def test_seed_stays_the_original(sessions: sessionmaker[Session]) -> None:
    """A seed is never demoted, even by a copy dated earlier; seeds add nothing to keyword counts."""
    ingest = _ingestor()
    with sessions.begin() as session:
        seed = ingest.ingest(
            session, Document(canonical_url="seed:x", source="seeds/x.txt", text=SEED, is_seed=True, published_at=NOW)
        )
        copy = ingest.ingest(session, _doc("https://old.example/c", SEED, NOW - 100 * HOUR))
    assert copy.duplicate_of == seed.article_id
    with sessions() as session:
        assert session.scalars(select(KeywordCount)).all() == []
