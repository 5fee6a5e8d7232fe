"""Storing one extracted document: duplicate verdict, story, fingerprints, watchlist mentions and counts.

Everything for one document happens in the caller's transaction, so a crash stores all of it or none.
Used by the feed pipeline and by the seed import alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from monitor.db.fingerprint_index import NearMatch, SqlFingerprintIndex, lock_index
from monitor.db.models import Article, Fingerprint, KeywordCount, Mention, Story
from monitor.db.upsert import increment, insert_ignore
from monitor.dedup.exact import content_hash
from monitor.dedup.fingerprints import TextPrint, analyse
from monitor.keywords.matcher import WatchlistMatcher


@dataclass(frozen=True, slots=True)
class Document:
    """What the pipeline or the seed import hands in: an extracted piece and where it came from."""

    canonical_url: str
    source: str
    text: str
    title: str | None = None
    url: str | None = None
    feed_id: int | None = None
    is_seed: bool = False
    text_origin: str = "page"
    extract_problem: str | None = None
    author: str | None = None
    language: str | None = None
    image: str | None = None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Ingested:
    """The outcome for one document."""

    article_id: int
    story_id: int
    new: bool  # False when the canonical URL was already stored
    duplicate_of: int | None = None
    method: str | None = None  # url, hash, fingerprint
    watchlists: tuple[str, ...] = ()


def bucket_start(moment: datetime, bucket: timedelta) -> datetime:
    """The start of the fixed bucket holding ``moment`` (buckets are aligned on the Unix epoch, UTC)."""
    seconds = int(bucket.total_seconds())
    epoch = int(moment.astimezone(UTC).timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


class Ingestor:
    """Holds what ingesting needs across documents: the watchlist matcher and the bucket size."""

    def __init__(
        self,
        matcher: WatchlistMatcher,
        bucket: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.matcher = matcher
        self.bucket = bucket
        self.clock = clock

    def ingest(self, session: Session, doc: Document) -> Ingested:
        """Store ``doc`` unless its canonical URL is known; link it to its original when it is a repost."""
        known = session.execute(
            select(Article.id, Article.story_id).where(Article.canonical_url == doc.canonical_url)
        ).first()
        if known is not None:
            return Ingested(known.id, known.story_id, new=False, method="url")

        lock_index(session)  # the check and the insert below run one transaction at a time (PostgreSQL)
        now = self.clock()
        published = doc.published_at if doc.published_at and doc.published_at <= now else None
        digest = content_hash(doc.text)
        index = SqlFingerprintIndex(session)
        text_print = analyse(doc.text)
        match = self._find_original(session, digest, text_print, index)
        promote = match is not None and self._published_earlier(session, published, match.article_id)

        if match is not None:
            story_id = match.story_id
            session.execute(update(Story).where(Story.id == story_id).values(article_count=Story.article_count + 1))
        else:
            story = Story(title=doc.title, first_seen_at=now, published_at=published)
            session.add(story)
            session.flush()
            story_id = story.id

        article = Article(
            canonical_url=doc.canonical_url,
            url=doc.url,
            source=doc.source,
            feed_id=doc.feed_id,
            is_seed=doc.is_seed,
            title=doc.title,
            text=doc.text,
            text_origin=doc.text_origin,
            extract_problem=doc.extract_problem,
            author=doc.author,
            language=doc.language,
            image=doc.image,
            published_at=published,
            fetched_at=now,
            content_hash=digest,
            story_id=story_id,
        )
        if match is not None and not promote:
            article.duplicate_of_id = match.article_id
            article.dup_method = match.method
            article.containment_new = match.containment_new
            article.containment_old = match.containment_old
            article.similarity = match.similarity
        session.add(article)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            # Another process stored the same canonical URL a moment ago: theirs stands.
            session.expunge(article)
            row = session.execute(
                select(Article.id, Article.story_id).where(Article.canonical_url == doc.canonical_url)
            ).one()
            return Ingested(row.id, row.story_id, new=False, method="url")

        if match is not None and not promote:
            return Ingested(article.id, story_id, True, match.article_id, match.method)

        index.add(article.id, text_print)
        if match is not None:
            self._promote(session, article, match, published or now)
        hits = self.matcher.match(f"{doc.title or ''}\n{doc.text}")
        if hits and not doc.is_seed:
            self._count(session, story_id, hits, published or now)
        return Ingested(article.id, story_id, True, watchlists=tuple(sorted(hits)))

    def _published_earlier(self, session: Session, published: datetime | None, original_id: int) -> bool:
        """Whether a new repost was published before the stored original (seeds always stay originals)."""
        if published is None:
            return False
        row = session.execute(select(Article.published_at, Article.is_seed).where(Article.id == original_id)).one()
        return not row.is_seed and row.published_at is not None and published < row.published_at

    def _promote(self, session: Session, article: Article, match: NearMatch, when: datetime) -> None:
        """Make ``article`` its story's original: the earliest-published copy is the original, whatever
        order the copies were fetched in. The old original and its reposts now point at it, the index
        holds its fingerprints instead, and the story's mentions move to its publication bucket."""
        old = session.get_one(Article, match.article_id)
        session.execute(update(Article).where(Article.duplicate_of_id == old.id).values(duplicate_of_id=article.id))
        old.duplicate_of_id = article.id
        old.dup_method = match.method
        old.containment_new, old.containment_old = match.containment_old, match.containment_new
        old.similarity = match.similarity
        old.fingerprint_count = old.shingle_count = None
        old_hashes = analyse(old.text).fingerprints  # deleted by primary key: no index on article_id needed
        for start in range(0, len(old_hashes), 500):
            session.execute(
                delete(Fingerprint).where(
                    Fingerprint.article_id == old.id, Fingerprint.hash.in_(old_hashes[start : start + 500])
                )
            )
        story = session.get_one(Story, article.story_id)
        story.published_at = article.published_at
        story.title = article.title or story.title
        new_bucket = bucket_start(when, self.bucket)
        for mention in session.scalars(select(Mention).where(Mention.story_id == story.id)):
            if mention.bucket_start != new_bucket:
                session.execute(
                    update(KeywordCount)
                    .where(
                        KeywordCount.watchlist == mention.watchlist,
                        KeywordCount.bucket_start == mention.bucket_start,
                    )
                    .values(count=KeywordCount.count - 1)
                )
                key = {"watchlist": mention.watchlist, "bucket_start": new_bucket}
                increment(session, KeywordCount, key, "count")
                mention.bucket_start = new_bucket
        session.flush()

    def _find_original(
        self, session: Session, digest: str, text_print: TextPrint, index: SqlFingerprintIndex
    ) -> NearMatch | None:
        exact = session.execute(
            select(Article.id, Article.story_id, Article.duplicate_of_id)
            .where(Article.content_hash == digest)
            .order_by(Article.id)
            .limit(1)
        ).first()
        if exact is not None:
            original = exact.duplicate_of_id or exact.id
            return NearMatch(original, exact.story_id, "hash", 1.0, 1.0, 1.0)
        return index.find(text_print)

    def _count(self, session: Session, story_id: int, hits: dict[str, int], when: datetime) -> None:
        start = bucket_start(when, self.bucket)
        for watchlist, count in sorted(hits.items()):
            row = {"story_id": story_id, "watchlist": watchlist, "bucket_start": start, "hits": count}
            if insert_ignore(session, Mention, [row]):
                key = {"watchlist": watchlist, "bucket_start": start}
                increment(session, KeywordCount, key, "count")


__all__ = ["Document", "Ingested", "Ingestor", "bucket_start"]
