"""The repost index in the database: fingerprint -> original article, read with one indexed query.

Concurrent writers. Deciding "original or repost" and storing the answer must not interleave between two
transactions, or two reposts of one story arriving together could each find no original and both become one.
SQLite serialises writers already (every transaction is ``BEGIN IMMEDIATE``). On PostgreSQL, :func:`lock_index`
takes one transaction-level advisory lock before the check; it is held until commit, so the check-and-insert
runs one transaction at a time across every process sharing the database, and the rule of
``monitor.ingest`` (the earliest-published copy is the original, the first stored among equals) decides alone.
A lock keyed on the text instead (say its lowest fingerprints) cannot guarantee this: an excerpt and the full
text, or two different cuts of one article, need not share any key chosen in advance, and locking every
fingerprint takes hundreds of locks per article. The ingest transaction lasts milliseconds, far below any
feed's rate of new articles, so one lock costs no throughput that matters.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.db.models import Article, Fingerprint, MetaValue
from monitor.dedup.exact import content_hash
from monitor.dedup.fingerprints import PARAMS, TextPrint, analyse, index_entry
from monitor.dedup.store import DocSize
from monitor.dedup.verdict import DedupSettings, check_print

PARAMS_KEY = "fingerprint_params"
_CHUNK = 900  # stays under SQLite's bound-parameter limit
# Plain statements, compiled once, each taking its list of hashes as one parameter (an array or JSON).
_LOOKUP_PG = text("SELECT hash, article_id FROM fingerprints WHERE hash = ANY(CAST(:hashes AS BIGINT[]))")
_LOOKUP_SQLITE = text("SELECT hash, article_id FROM fingerprints WHERE hash IN (SELECT value FROM json_each(:hashes))")
_INSERT_PG = text(
    "INSERT INTO fingerprints (hash, article_id) SELECT unnest(CAST(:hashes AS BIGINT[])), :article_id "
    "ON CONFLICT DO NOTHING"
)
_INSERT_SQLITE = text(  # "WHERE true" lets SQLite parse ON CONFLICT after a SELECT
    "INSERT INTO fingerprints (hash, article_id) SELECT value, :article_id FROM json_each(:hashes) WHERE true "
    "ON CONFLICT DO NOTHING"
)
_INSERT_META = text("INSERT INTO meta (key, value) VALUES (:key, :value) ON CONFLICT DO NOTHING")
#: The PostgreSQL advisory lock serialising repost checks with their inserts (any fixed 64-bit number).
INDEX_LOCK_KEY = 0x6D6F6E69746F7201


def params_record() -> str:
    """The fingerprint method's parameters as stored in the ``meta`` table (JSON, sorted keys)."""
    return json.dumps(asdict(PARAMS), sort_keys=True)


_PARAMS_RECORD = params_record()


def lock_index(session: Session) -> None:
    """Serialise the duplicate check and the insert that follows it, until the transaction ends.

    A no-op on SQLite, whose ``BEGIN IMMEDIATE`` transactions already run one writer at a time.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INDEX_LOCK_KEY})


def insert_fingerprints(session: Session, article_id: int, hashes: list[int]) -> None:
    """Store an article's fingerprints in one statement (rows already present are left as they are)."""
    if not hashes:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_INSERT_PG, {"hashes": hashes, "article_id": article_id})
    else:
        session.execute(_INSERT_SQLITE, {"hashes": json.dumps(hashes), "article_id": article_id})


def stored_params(session: Session) -> str | None:
    """The parameters recorded with the stored fingerprints (None when nothing was indexed yet)."""
    return session.execute(select(MetaValue.value).where(MetaValue.key == PARAMS_KEY)).scalar()


def index_is_current(session: Session) -> bool:
    """Whether the stored fingerprints were made with the current method (or none are stored yet)."""
    recorded = stored_params(session)
    if recorded is None:
        return session.execute(select(Fingerprint.hash).limit(1)).first() is None
    return recorded == params_record()


@dataclass(frozen=True, slots=True)
class NearMatch:
    """The stored original a new document repeats, with the evidence."""

    article_id: int
    story_id: int
    method: str  # hash or fingerprint
    containment_new: float
    containment_old: float
    similarity: float


class SqlFingerprintIndex:
    """``monitor.dedup.store.FingerprintStore`` over the ``fingerprints`` table, plus writing to it."""

    def __init__(self, session: Session, settings: DedupSettings | None = None) -> None:
        self.session = session
        self.settings = settings or DedupSettings()

    # -- the store protocol ------------------------------------------------------------------
    def lookup(self, hashes: Collection[int]) -> dict[int, list[int]]:
        # One statement with one parameter (an array on PostgreSQL, a JSON list on SQLite): binding hundreds
        # of separate parameters costs more than the index probes themselves.
        wanted = sorted(set(hashes))
        if not wanted:
            return {}
        if self.session.get_bind().dialect.name == "postgresql":
            rows = self.session.execute(_LOOKUP_PG, {"hashes": wanted})
        else:
            rows = self.session.execute(_LOOKUP_SQLITE, {"hashes": json.dumps(wanted)})
        found: dict[int, list[int]] = defaultdict(list)
        for hash_value, article_id in rows:
            found[hash_value].append(article_id)
        return dict(found)

    def sizes(self, article_ids: Collection[int]) -> dict[int, DocSize]:
        ids = sorted(set(article_ids))
        out: dict[int, DocSize] = {}
        for start in range(0, len(ids), _CHUNK):
            rows = self.session.execute(
                select(Article.id, Article.fingerprint_count, Article.shingle_count).where(
                    Article.id.in_(ids[start : start + _CHUNK])
                )
            )
            for article_id, fingerprints, shingles in rows:
                out[article_id] = DocSize(fingerprints or 0, shingles or 0)
        return out

    def doc_count(self) -> int:
        # The highest article id bounds the indexed count; it is O(1), where COUNT(*) scans.
        return int(self.session.execute(select(func.max(Article.id))).scalar() or 0)

    # -- used by ingest ----------------------------------------------------------------------
    def find(self, text_print: TextPrint) -> NearMatch | None:
        """The stored original that ``text_print`` repeats, if any."""
        verdict = check_print(text_print, self, self.settings)
        if not verdict.duplicate or verdict.duplicate_of is None:
            return None
        story_id = self.session.execute(select(Article.story_id).where(Article.id == verdict.duplicate_of)).scalar_one()
        return NearMatch(
            verdict.duplicate_of,
            story_id,
            "fingerprint",
            verdict.containment_new,
            verdict.containment_old,
            verdict.similarity,
        )

    def add(self, article_id: int, text_print: TextPrint) -> None:
        """Index an original's fingerprints and sizes, and record the method's parameters once."""
        insert_fingerprints(self.session, article_id, text_print.fingerprints)
        self.session.execute(
            update(Article)
            .where(Article.id == article_id)
            .values(fingerprint_count=len(text_print.fingerprints), shingle_count=len(text_print.shingles))
        )
        self.session.execute(_INSERT_META, {"key": PARAMS_KEY, "value": _PARAMS_RECORD})


@dataclass(frozen=True, slots=True)
class TextCheck:
    """How a text compares with everything stored: the original it repeats (if any) and the measures."""

    duplicate_of: int | None
    method: str | None  # hash or fingerprint, when a duplicate
    containment_new: float  # share of the text found in the best stored article
    containment_old: float  # share of that stored article found in the text
    similarity: float


def check_text(session: Session, body: str, settings: DedupSettings | None = None) -> TextCheck:
    """Compare ``body`` with the stored articles as ingesting would (exact hash, then fingerprints); store nothing."""
    exact = session.execute(
        select(Article.id, Article.duplicate_of_id)
        .where(Article.content_hash == content_hash(body))
        .order_by(Article.id)
        .limit(1)
    ).first()
    if exact is not None:
        return TextCheck(exact.duplicate_of_id or exact.id, "hash", 1.0, 1.0, 1.0)
    index = SqlFingerprintIndex(session, settings)
    verdict = check_print(analyse(body), index, index.settings)
    return TextCheck(
        verdict.duplicate_of,
        "fingerprint" if verdict.duplicate else None,
        verdict.containment_new,
        verdict.containment_old,
        verdict.similarity,
    )


def reindex(sessions: sessionmaker[Session], batch: int = 2000, progress: Callable[[int], None] | None = None) -> int:
    """Fingerprint every original again with the current method; return how many were indexed.

    The old rows are deleted and the parameters marked as in progress in a first transaction, then originals
    are indexed in batches; the current parameters are recorded last, so an interrupted run is simply run again.
    """
    with sessions.begin() as session:
        lock_index(session)
        session.execute(delete(Fingerprint))
        session.execute(delete(MetaValue).where(MetaValue.key == PARAMS_KEY))
        session.add(MetaValue(key=PARAMS_KEY, value="reindexing"))
    done, last_id = 0, 0
    while True:
        with sessions.begin() as session:
            lock_index(session)
            rows = session.execute(
                select(Article.id, Article.text)
                .where(Article.duplicate_of_id.is_(None), Article.id > last_id)
                .order_by(Article.id)
                .limit(batch)
            ).all()
            if not rows:
                session.execute(update(MetaValue).where(MetaValue.key == PARAMS_KEY).values(value=params_record()))
                return done
            for article_id, body in rows:
                hashes, shingles = index_entry(body)
                insert_fingerprints(session, article_id, hashes)
                session.execute(
                    update(Article)
                    .where(Article.id == article_id)
                    .values(fingerprint_count=len(hashes), shingle_count=shingles)
                )
            last_id = rows[-1].id
            done += len(rows)
        if progress:
            progress(len(rows))


__all__ = [
    "INDEX_LOCK_KEY",
    "NearMatch",
    "SqlFingerprintIndex",
    "TextCheck",
    "analyse",
    "check_text",
    "index_is_current",
    "insert_fingerprints",
    "lock_index",
    "params_record",
    "reindex",
    "stored_params",
]
