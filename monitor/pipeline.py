"""One poll of one feed, top to bottom: fetch, parse, record entries, fetch pages, extract, store.

Feed state and the entries a poll finds are written in one transaction, then each entry's page is
stored in a transaction of its own; a crash or kill at any point leaves pending entries that the
next poll finishes, and unique constraints make every step safe to repeat.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from monitor.config import FeedSettings, Settings
from monitor.db.models import Article, Entry, Feed
from monitor.db.upsert import insert_ignore_returning
from monitor.extract import extract_article
from monitor.extract.urls import canonicalize_url, page_canonical
from monitor.fetch import Fetcher, FetchError, FetchHTTPError
from monitor.ingest import Document, Ingestor
from monitor.schedule import adaptive_interval, next_failure, next_success, observed_rate, server_hint, smoothed_rate
from monitor.sources import discover_feeds, parse_source
from monitor.sources.items import dump_seen, load_seen
from monitor.sources.model import ParsedFeed, ParseError

log = logging.getLogger("monitor.poll")

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
    "text/xml;q=0.9, text/html;q=0.5, */*;q=0.1"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
FULL_FETCH_EVERY = timedelta(days=1)  # conditional GET is skipped once a day against stale 304s
PAGE_ATTEMPTS = 3  # after this many failed page fetches an entry is stored with the feed's summary
MIN_PAGE_TEXT = 200  # shorter page text than the feed's summary means the extraction failed


def body_digest(body: bytes, cfg: FeedSettings, max_entries: int) -> str:
    """SHA-256 of a feed body and of the settings its parse depends on (kind, selectors, entry cap)."""
    digest = hashlib.sha256(body)
    digest.update(f"\0{cfg.kind}\0{chr(31).join(cfg.selectors)}\0{max_entries}".encode())
    return digest.hexdigest()


@dataclass
class PollSummary:
    """What one poll did, for the log line and ``monitor poll``."""

    feed: str
    status: int | None = None
    entries: int = 0
    new: int = 0
    duplicates: int = 0
    known: int = 0
    failed: int = 0
    unchanged_items: int = 0  # items of a changed feed skipped because their bytes were seen last time
    not_modified: bool = False
    error: str | None = None
    duration: float = 0.0
    watchlists: set[str] = field(default_factory=set)

    def line(self) -> str:
        if self.not_modified:
            status = "304" if self.status in (None, 304) else f"{self.status}-unchanged"
        else:
            status = str(self.status) if self.status else "-"
        text = (
            f"poll feed={self.feed} status={status} entries={self.entries} new={self.new} "
            f"duplicates={self.duplicates} failed={self.failed} duration={self.duration:.2f}s"
        )
        if self.unchanged_items:
            text += f" unchanged_items={self.unchanged_items}"
        return text + (f" error={self.error!r}" if self.error else "")


@dataclass
class FeedWrites:
    """Feed-stage results waiting for one transaction: the new state of each feed (by ``id``) and, for
    changed feeds, the entry rows to insert. Appends from many threads are safe (list.append)."""

    unchanged: list[dict[str, object]] = field(default_factory=list)
    changed: list[tuple[dict[str, object], list[dict[str, object]]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.unchanged) + len(self.changed)


class Pipeline:
    """Polls feeds; shared by the daemon's workers (thread-safe: each poll opens its own sessions)."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        fetcher: Fetcher,
        ingestor: Ingestor,
        stop: threading.Event | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.fetcher = fetcher
        self.ingestor = ingestor
        self.stop = stop or threading.Event()
        self.clock = clock
        self._feeds = {f.name: f for f in settings.feeds}

    # -- feeds ------------------------------------------------------------------------------
    def sync_feeds(self) -> None:
        """Make the feeds table match the config: add new feeds, follow URL edits, disable removed ones."""
        with self.sessions.begin() as session:
            rows = {f.name: f for f in session.scalars(select(Feed))}
            for cfg in self.settings.feeds:
                row = rows.get(cfg.name)
                if row is None:
                    session.add(Feed(name=cfg.name, url=cfg.url, current_url=cfg.url, enabled=cfg.enabled))
                    continue
                if row.url != cfg.url:
                    row.url = row.current_url = cfg.url
                    row.etag = row.last_modified = None
                    row.next_check_at = self.clock()
                if row.enabled != cfg.enabled or (cfg.enabled and row.disabled_reason == "removed from config"):
                    row.enabled = cfg.enabled
                    row.disabled_reason = None if cfg.enabled else "disabled in config"
            for name, row in rows.items():
                if name not in self._feeds and row.enabled:
                    row.enabled = False
                    row.disabled_reason = "removed from config"

    def due_feeds(self, now: datetime | None = None) -> list[int]:
        """Feeds whose next check has come, and feeds with entries a stopped poll left untried."""
        now = now or self.clock()
        interrupted = select(Entry.feed_id).where(Entry.status == "pending", Entry.attempts == 0)
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Feed.id)
                    .where(Feed.enabled.is_(True), (Feed.next_check_at <= now) | Feed.id.in_(interrupted))
                    .order_by(Feed.next_check_at)
                )
            )

    def feed_ids(self, names: list[str] | None = None) -> list[int]:
        with self.sessions() as session:
            query = select(Feed.id).where(Feed.enabled.is_(True))
            if names:
                query = query.where(Feed.name.in_(names))
            return list(session.scalars(query.order_by(Feed.id)))

    # -- one poll ---------------------------------------------------------------------------
    def _detached_feed(self, feed_id: int) -> Feed:
        """The feed's row, detached from its session (its state is read, then written with UPDATEs)."""
        with self.sessions() as session:
            feed = session.get(Feed, feed_id)
            if feed is None:
                raise LookupError(f"no feed with id {feed_id}")
            session.expunge(feed)
        return feed

    def poll(self, feed_id: int, *, pages: bool = True) -> PollSummary:
        """Poll one feed and store its new entries; never raises for a feed's or a page's failure.

        ``pages=False`` runs only the feed stage (fetch, parse, entries stored as pending, feed state).
        """
        started = time.monotonic()
        feed = self._detached_feed(feed_id)
        cfg = self._feeds.get(feed.name) or FeedSettings(name=feed.name, url=feed.url)
        summary = PollSummary(feed.name)
        try:
            self._fetch_feed(feed, cfg, summary)
            if pages and not summary.error:
                self._process_pending(feed, summary)
        finally:
            summary.duration = time.monotonic() - started
            log.info(summary.line())
        return summary

    def poll_many(self, feed_ids: Sequence[int], pool: Executor, chunk: int = 500) -> list[PollSummary]:
        """The feed stage for many feeds at once: rows loaded per chunk in one query, fetches run on ``pool``,
        and each chunk's results (feed state, new entries as pending) written in one transaction.

        Their pages are left to ``process_pending`` (``PollSummary.entries`` > 0 tells which feeds have
        some). Losing a chunk's write in a crash only means those feeds are fetched and read again: their
        stored validators and items are still the old ones. A database that is down raises (DBAPIError).
        """
        summaries: list[PollSummary] = []
        for start in range(0, len(feed_ids), chunk):
            with self.sessions() as session:
                feeds = list(session.scalars(select(Feed).where(Feed.id.in_(feed_ids[start : start + chunk]))))
                session.expunge_all()
            writes = FeedWrites()
            futures = [pool.submit(self._feed_stage, feed, writes) for feed in feeds]
            done = [future.result() for future in futures]
            self._write_chunk(writes, {feed.id: summary for feed, summary in zip(feeds, done, strict=True)})
            summaries.extend(done)
        return summaries

    def _write_chunk(self, writes: FeedWrites, summaries: dict[int, PollSummary]) -> None:
        """Write a chunk's results; when a row is refused, write feed by feed so only that feed fails."""
        if not writes:
            return
        try:
            self._write(writes)
            return
        except OperationalError:
            raise  # the database is unavailable: nothing of this chunk is written, all is fetched again
        except DBAPIError as exc:
            log.warning("writing %d feeds' results at once failed (%s); writing them one by one", len(writes), exc.orig)
        if writes.unchanged:
            self._write(FeedWrites(unchanged=writes.unchanged))
        for state, rows in writes.changed:
            try:
                self._write(FeedWrites(changed=[(state, rows)]))
            except OperationalError:
                raise
            except DBAPIError as exc:
                summary = summaries[cast(int, state["id"])]
                summary.error = f"cannot store the feed's entries: {exc.orig}"
                log.warning("poll feed=%s: %s", summary.feed, summary.error)

    def _write(self, writes: FeedWrites) -> None:
        """One transaction: the changed feeds' new entries, then every feed's state."""
        with self.sessions.begin() as session:
            rows = [row for _state, feed_rows in writes.changed for row in feed_rows]
            fed = set(_insert_new_entries(session, rows))
            states = list(writes.unchanged)
            for state, _rows in writes.changed:
                new_entry = {"last_new_entry_at": state["last_success_at"]} if state["id"] in fed else {}
                states.append({**state, **new_entry})
            session.execute(update(Feed), states)

    def pending_feeds(self, feed_ids: Sequence[int]) -> set[int]:
        """Which of these feeds have pending entries (pages to fetch)."""
        found: set[int] = set()
        with self.sessions() as session:
            for start in range(0, len(feed_ids), 500):
                chunk = feed_ids[start : start + 500]
                found.update(
                    session.scalars(
                        select(Entry.feed_id).where(Entry.status == "pending", Entry.feed_id.in_(chunk)).distinct()
                    )
                )
        return found

    def _feed_stage(self, feed: Feed, writes: FeedWrites) -> PollSummary:
        started = time.monotonic()
        cfg = self._feeds.get(feed.name) or FeedSettings(name=feed.name, url=feed.url)
        summary = PollSummary(feed.name)
        try:
            self._fetch_feed(feed, cfg, summary, writes)
        except Exception as exc:  # one feed's unexpected failure must not end the cycle
            log.exception("feed stage of %s failed unexpectedly", feed.name)
            summary.error = f"internal error: {type(exc).__name__}: {exc}"
        summary.duration = time.monotonic() - started
        if not summary.not_modified:
            log.info(summary.line())
        return summary

    def _interval(self, cfg: FeedSettings) -> timedelta:
        return cfg.interval or self.settings.fetch.default_interval

    def _adaptive(self, cfg: FeedSettings, rate: float | None, hint: timedelta | None) -> timedelta:
        """The feed's fixed interval, or one adapted to its publishing rate and the server's caching hints."""
        return cfg.interval or adaptive_interval(rate, hint, self.settings.fetch)

    def entry_rows(self, feed_id: int, parsed: ParsedFeed, now: datetime) -> list[dict[str, object]]:
        """The parsed entries as ``entries`` rows (canonical URLs, no duplicates, capped per poll)."""
        rows: list[dict[str, object]] = []
        seen: set[str] = set()
        for entry in parsed.entries[: self.settings.fetch.max_entries_per_poll]:
            try:
                url = canonicalize_url(entry.url)
            except ValueError:
                continue
            if url in seen:
                continue
            seen.add(url)
            rows.append(
                {
                    "feed_id": feed_id,
                    "url": url,
                    "guid": entry.guid,
                    "title": entry.title,
                    "summary": entry.summary,
                    "published_at": entry.published,
                    "first_seen_at": now,
                    "status": "pending",
                    "attempts": 0,
                }
            )
        return rows

    def store_push(self, feed_id: int, parsed: ParsedFeed) -> int:
        """Store the entries of a pushed feed document (WebSub) as pending; returns how many were new."""
        now = self.clock()
        rows = self.entry_rows(feed_id, parsed, now)
        with self.sessions.begin() as session:
            inserted = len(_insert_new_entries(session, rows))
            if inserted:
                session.execute(update(Feed).where(Feed.id == feed_id).values(last_new_entry_at=now))
        return inserted

    def process_pending(self, feed_id: int) -> PollSummary:
        """Fetch and store the pages of a feed's pending entries (after a push), without fetching the feed."""
        started = time.monotonic()
        feed = self._detached_feed(feed_id)
        summary = PollSummary(feed.name)
        try:
            self._process_pending(feed, summary)
        finally:
            summary.duration = time.monotonic() - started
            log.info("pages " + summary.line())
        return summary

    def _fetch_feed(
        self, feed: Feed, cfg: FeedSettings, summary: PollSummary, writes: FeedWrites | None = None
    ) -> None:
        now = self.clock()
        conditional = feed.last_full_fetch_at is not None and now - feed.last_full_fetch_at < FULL_FETCH_EVERY
        try:
            result = self.fetcher.get(
                feed.current_url,
                etag=feed.etag if conditional else None,
                last_modified=feed.last_modified if conditional else None,
                accept=FEED_ACCEPT,
            )
        except FetchError as exc:
            status = exc.status if isinstance(exc, FetchHTTPError) else None
            retry_after = exc.retry_after if isinstance(exc, FetchHTTPError) else None
            self._record_failure(feed, cfg, summary, str(exc), status, retry_after)
            return
        summary.status = result.status
        max_entries = self.settings.fetch.max_entries_per_poll
        digest = None if result.not_modified else body_digest(result.body, cfg, max_entries)
        if digest is None or digest == feed.body_hash:
            # A 304, or byte for byte the body parsed last time (a server without validators, or the daily full
            # fetch): nothing can be new, so it costs no parsing.
            summary.not_modified = True
            validators: dict[str, object] | None = None
            if digest is not None:
                validators = {
                    "etag": result.headers.get("etag"),
                    "last_modified": result.headers.get("last-modified"),
                    "last_full_fetch_at": now if not conditional else feed.last_full_fetch_at,
                }
            interval = self._adaptive(cfg, feed.publish_rate, server_hint(result.headers, None, now))
            self._record_success(feed, cfg, result.status, validators, None, interval, writes)
            return
        try:
            parsed = parse_source(
                result.body,
                result.url,
                result.content_type,
                listing_selectors=cfg.selectors,
                max_entries=max_entries,
                # Items unchanged since the last parse are skipped, except on the daily full fetch.
                seen=load_seen(feed.item_digests) if conditional else None,
            )
        except ParseError as exc:
            self._record_failure(feed, cfg, summary, f"cannot parse: {exc}", result.status, None)
            return
        if parsed.kind == "html" and not (cfg.kind == "html" or (cfg.kind == "auto" and cfg.selectors)):
            self._record_failure(feed, cfg, summary, _html_not_a_feed(result.body, result.url), result.status, None)
            return
        rows = self.entry_rows(feed.id, parsed, now)
        summary.entries = len(rows)
        summary.unchanged_items = parsed.known
        # The publishing rate counts every item in the feed, the skipped (seen) ones included.
        dates = [e.published for e in parsed.entries] if parsed.items is None else [when for _, when in parsed.items]
        rate = smoothed_rate(feed.publish_rate, observed_rate(dates, now))
        interval = self._adaptive(cfg, rate, server_hint(result.headers, parsed.ttl, now))

        headers = result.headers
        state: dict[str, object] = {
            "etag": headers.get("etag"),
            "last_modified": headers.get("last-modified"),
            "kind": parsed.kind,
            "last_full_fetch_at": now if not conditional else feed.last_full_fetch_at,
            "publish_rate": rate,
            "hub_url": parsed.hub,
            "topic_url": parsed.self_url or (result.url if parsed.hub else None),
            "body_hash": digest,
            "item_digests": dump_seen(parsed.items) if parsed.items is not None else None,
        }
        if result.permanent_url:
            state["current_url"] = result.permanent_url
        self._record_success(feed, cfg, result.status, state, rows, interval, writes)

    def _record_success(
        self,
        feed: Feed,
        cfg: FeedSettings,
        status: int,
        state: dict[str, object] | None,
        rows: list[dict[str, object]] | None,
        interval: timedelta,
        writes: FeedWrites | None = None,
    ) -> None:
        """The feed's state after a success (and its entry ``rows`` when it changed), added to ``writes``
        for a batched write, or written at once without it."""
        now = self.clock()
        values: dict[str, object] = {
            "id": feed.id,
            "last_checked_at": now,
            "last_success_at": now,
            "last_status": status,
            "consecutive_failures": 0,
            "failing_since": None,
            "last_error": None,
            "interval_seconds": int(interval.total_seconds()),
            "next_check_at": next_success(
                now,
                interval,
                self.settings.fetch,
                self.settings.daemon.jitter,
                cfg.interval is not None,
            ),
            **(state or {}),
        }
        batch = writes if writes is not None else FeedWrites()
        if rows is None:
            batch.unchanged.append(values)
        else:
            batch.changed.append((values, rows))
        if writes is None:
            self._write(batch)

    def _record_failure(
        self,
        feed: Feed,
        cfg: FeedSettings,
        summary: PollSummary,
        error: str,
        status: int | None,
        retry_after: timedelta | None,
    ) -> None:
        now = self.clock()
        summary.error = error
        summary.status = status
        failures = feed.consecutive_failures + 1
        values: dict[str, object] = {
            "last_checked_at": now,
            "last_status": status,
            "consecutive_failures": failures,
            "failing_since": feed.failing_since or now,
            "last_error": error,
            "next_check_at": next_failure(now, self._interval(cfg), failures, self.settings.fetch, retry_after),
        }
        if status == 410:
            values |= {"enabled": False, "disabled_reason": "HTTP 410 Gone: the publisher removed this feed"}
        with self.sessions.begin() as session:
            session.execute(update(Feed).where(Feed.id == feed.id).values(**values))

    # -- pages ------------------------------------------------------------------------------
    def _process_pending(self, feed: Feed, summary: PollSummary) -> None:
        with self.sessions() as session:
            pending = list(
                session.scalars(
                    select(Entry)
                    .where(Entry.feed_id == feed.id, Entry.status == "pending")
                    .order_by(Entry.published_at.is_(None), Entry.published_at, Entry.id)  # oldest first
                    .limit(self.settings.fetch.max_entries_per_poll)
                )
            )
            session.expunge_all()
        for entry in pending:
            if self.stop.is_set():
                break
            self._process_entry(feed, entry, summary)

    def _process_entry(self, feed: Feed, entry: Entry, summary: PollSummary) -> None:
        with self.sessions() as session:
            known = session.scalar(select(Article.id).where(Article.canonical_url == entry.url))
        if known is not None:
            with self.sessions.begin() as session:
                session.execute(update(Entry).where(Entry.id == entry.id).values(status="done", article_id=known))
            summary.known += 1
            return
        doc = self._document(feed, entry, summary)
        if doc is None:
            return
        with self.sessions.begin() as session:
            outcome = self.ingestor.ingest(session, doc)
            session.execute(
                update(Entry).where(Entry.id == entry.id).values(status="done", article_id=outcome.article_id)
            )
        if not outcome.new:
            summary.known += 1
        elif outcome.duplicate_of is not None:
            summary.duplicates += 1
        else:
            summary.new += 1
            summary.watchlists.update(outcome.watchlists)

    def _document(self, feed: Feed, entry: Entry, summary: PollSummary) -> Document | None:
        """Fetch and extract the entry's page; None while the page should be retried later."""
        fallback = entry.summary or ""
        try:
            page = self.fetcher.get(entry.url, accept=PAGE_ACCEPT, robots=True)
        except FetchError as exc:
            attempts = entry.attempts + 1
            if exc.retryable and attempts < PAGE_ATTEMPTS:
                with self.sessions.begin() as session:
                    session.execute(
                        update(Entry).where(Entry.id == entry.id).values(attempts=attempts, last_error=str(exc))
                    )
                summary.failed += 1
                return None
            return self._summary_document(feed, entry, f"page not fetched: {exc.reason}")
        article = extract_article(page.body, page.url)
        text, origin, problem = article.text, "page", article.problem
        if problem or len(text) < min(MIN_PAGE_TEXT, len(fallback)):
            if len(fallback) > len(text):
                text, origin = fallback, "summary"
            problem = problem or "page text shorter than the feed's summary"
        if not text.strip() and not (entry.title or article.title):
            return self._summary_document(feed, entry, problem or "empty page")
        try:
            canonical = page_canonical(article.canonical_url, None, page.url)
        except ValueError:
            canonical = entry.url
        return Document(
            canonical_url=canonical,
            source=feed.name,
            text=text,
            title=article.title or entry.title,
            url=entry.url,
            feed_id=feed.id,
            text_origin=origin,
            extract_problem=problem,
            author=article.author,
            language=article.language,
            image=article.image,
            published_at=entry.published_at or article.published,
        )

    def _summary_document(self, feed: Feed, entry: Entry, problem: str) -> Document:
        return Document(
            canonical_url=entry.url,
            source=feed.name,
            text=entry.summary or "",
            title=entry.title,
            url=entry.url,
            feed_id=feed.id,
            text_origin="summary",
            extract_problem=problem,
            published_at=entry.published_at,
        )


def _html_not_a_feed(body: bytes, url: str) -> str:
    """The error for an HTML page configured as a feed, naming the feeds it advertises."""
    try:
        advertised = discover_feeds(body, url)
    except Exception:  # a hostile page must not turn a clear error into a crash
        advertised = []
    where = f"; it advertises {', '.join(advertised[:3])}" if advertised else ""
    return (
        f"HTML, not a feed{where}: run `monitor feeds add {url}` to find and add the site's feed "
        "(or set kind = \"html\" with selectors to read it as a listing page)"
    )


def _insert_new_entries(session: Session, rows: list[dict[str, object]]) -> list[int]:
    """Insert the rows whose URL their feed has not listed before; the feed id of each row inserted.

    Known URLs are looked up first (indexed), so a full read of a long feed inserts only its new rows;
    ON CONFLICT still guards against a concurrent insert.
    """
    if not rows:
        return []
    known: set[tuple[object, str]] = set()
    for start in range(0, len(rows), 500):
        part = rows[start : start + 500]
        urls = {str(row["url"]) for row in part}
        feeds = {row["feed_id"] for row in part}
        query = select(Entry.feed_id, Entry.url).where(Entry.feed_id.in_(feeds), Entry.url.in_(urls))
        known.update((feed_id, url) for feed_id, url in session.execute(query))
    fresh = [row for row in rows if (row["feed_id"], row["url"]) not in known]
    return insert_ignore_returning(session, Entry, fresh, "feed_id") if fresh else []
