"""Repost detection at scale: check latency, index bytes per article and fingerprinting speed with N stored articles.

The stored corpus: distinct RSS descriptions from news-rss-entries-2023 (a fifth of N at most; some are held out
as unseen queries) and synthetic articles for the rest (words drawn from the descriptions' vocabulary with its
frequencies, sentences of 8-30 words, lengths log-normal around 450 words, 80-3,000). Articles are written in
bulk through the project's schema (Alembic), not through the ingest path: fingerprint rows are inserted in
primary-key order on SQLite and copied before the primary key is built on PostgreSQL. The built database is
cached (SQLite: bench/results/dedup_scale_<N>.db; PostgreSQL: schema dedup_scale_<N>) so reruns only measure.

A check is what ``monitor dedup check`` does for a text: exact hash lookup, fingerprint lookup of every shingle,
the verdict (monitor.db.fingerprint_index.check_text). Queries: stored articles reposted in new chrome with
comments, 50% excerpts of stored articles, unseen synthetic articles and unseen descriptions.

    .venv/bin/python bench/dedup_scale.py                          # 1,000,000 articles, SQLite
    .venv/bin/python bench/dedup_scale.py --articles 100000 --postgres postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import multiprocessing
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from monitor.db.engine import make_engine, make_sessionmaker
from monitor.db.fingerprint_index import PARAMS_KEY, check_text, params_record
from monitor.db.migrate import upgrade
from monitor.dedup.exact import content_hash
from monitor.dedup.fingerprints import PARAMS, fingerprint, index_entry
from monitor.dedup.normalize import tokens

SHARED = Path(os.environ.get("MONITOR_SHARED_DIR", Path(__file__).resolve().parents[1].parent / "shared"))
CORPORA = SHARED / "corpora"
RSS = CORPORA / "news-rss-entries-2023" / "news_rss_entries_2023.jsonl.gz"
RESULTS = Path(__file__).resolve().parent / "results"
CHUNK = 5000
HELD_OUT = 1500
BUILD_MARK = "bench_dedup_scale"
WHEN = "2026-01-01 00:00:00"

_vocab: npt.NDArray[Any] | None = None
_table: npt.NDArray[np.int32] | None = None  # one entry per word occurrence: uniform picks follow the frequencies
_descriptions: list[str] = []


@dataclass
class Chunk:
    """One batch of generated articles with everything the index stores for them."""

    ids: list[int]
    texts: list[str]
    digests: list[str]
    fingerprint_counts: list[int]
    shingle_counts: list[int]
    hashes: npt.NDArray[np.int64]
    owners: npt.NDArray[np.int64]


def load_descriptions() -> list[str]:
    """Distinct RSS descriptions of at least 12 words, in a fixed shuffled order."""
    seen: set[str] = set()
    out: list[str] = []
    with gzip.open(RSS, "rt", encoding="utf-8") as fh:
        for line in fh:
            d = (json.loads(line).get("description") or "").strip()
            key = " ".join(tokens(d))
            if len(key.split()) >= 12 and key not in seen:
                seen.add(key)
                out.append(d)
    random.Random(7).shuffle(out)
    return out


def vocabulary(descriptions: Sequence[str]) -> tuple[list[str], list[int]]:
    """Words of the descriptions (as written) with their counts."""
    counts: dict[str, int] = {}
    for d in descriptions:
        for w in d.split():
            w = w.strip(".,;:!?\"'()")
            if w:
                counts[w] = counts.get(w, 0) + 1
    words = sorted(counts)
    return words, [counts[w] for w in words]


def _init(words: list[str], counts: list[int], descriptions: list[str]) -> None:
    """Worker set-up: the word distribution and the real descriptions."""
    global _vocab, _table, _descriptions
    _vocab = np.array(words, dtype=object)
    _table = np.repeat(np.arange(len(words), dtype=np.int32), counts)
    _descriptions = descriptions


def synthetic_text(rng: np.random.Generator) -> str:
    """One synthetic article: sentences of frequency-weighted words, about 450 words (80-3,000)."""
    assert _vocab is not None and _table is not None
    length = int(np.clip(rng.lognormal(np.log(450), 0.55), 80, 3000))
    words = list(_vocab[_table[rng.integers(0, _table.size, length)]])
    out: list[str] = []
    i = 0
    while i < length:
        n = int(rng.integers(8, 31))
        sentence = words[i : i + n]
        sentence[0] = sentence[0].capitalize()
        out.append(" ".join(sentence) + ".")
        i += n
    paragraphs = [" ".join(out[j : j + 4]) for j in range(0, len(out), 4)]
    return "\n\n".join(paragraphs)


def article_text(article_id: int, real: int, seed: int) -> str:
    """The text of stored article `article_id` (1-based): a description, else a synthetic article."""
    if article_id <= real:
        return _descriptions[HELD_OUT + article_id - 1]
    return synthetic_text(np.random.default_rng([seed, article_id]))


def make_chunk(job: tuple[int, int, int, int]) -> Chunk:
    """Generate and fingerprint articles first..last (inclusive)."""
    first, last, real, seed = job
    chunk = Chunk([], [], [], [], [], np.empty(0, np.int64), np.empty(0, np.int64))
    hashes: list[list[int]] = []
    for article_id in range(first, last + 1):
        body = article_text(article_id, real, seed)
        prints, shingles = index_entry(body)
        chunk.ids.append(article_id)
        chunk.texts.append(body)
        chunk.digests.append(content_hash(body))
        chunk.fingerprint_counts.append(len(prints))
        chunk.shingle_counts.append(shingles)
        hashes.append(prints)
    chunk.hashes = np.fromiter((h for row in hashes for h in row), dtype=np.int64)
    chunk.owners = np.repeat(np.asarray(chunk.ids, dtype=np.int64), [len(r) for r in hashes])
    return chunk


def chunks(n: int, real: int, seed: int, workers: int, args: tuple[Any, ...]) -> Iterator[Chunk]:
    """Every chunk of the corpus, generated in `workers` processes."""
    jobs = [(a, min(n, a + CHUNK - 1), real, seed) for a in range(1, n + 1, CHUNK)]
    with multiprocessing.get_context("fork").Pool(workers, _init, args) as pool:
        yield from pool.imap(make_chunk, jobs)


def _rows(chunk: Chunk) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Story rows and article rows of a chunk, in table column order used by the writers."""
    stories = [(i, f"story {i}", WHEN, 1) for i in chunk.ids]
    articles = [
        (i, f"bench:{i}", f"https://bench.example/{i}", "bench", False, f"story {i}", body, "page", WHEN, digest, i,
         fps, shingles)
        for i, body, digest, fps, shingles in zip(chunk.ids, chunk.texts, chunk.digests, chunk.fingerprint_counts,
                                                  chunk.shingle_counts, strict=True)
    ]
    return stories, articles


ARTICLE_COLUMNS = ("id, canonical_url, url, source, is_seed, title, text, text_origin, fetched_at, content_hash, "
                   "story_id, fingerprint_count, shingle_count")


class SqliteWriter:
    """Bulk load into a SQLite file made by Alembic: stories and articles per chunk, fingerprints sorted at the end."""

    def __init__(self, path: Path) -> None:
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        self.db = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -1000000", "foreign_keys = OFF"):
            self.db.execute(f"PRAGMA {pragma}")
        self.hashes: list[npt.NDArray[np.int64]] = []
        self.owners: list[npt.NDArray[np.int64]] = []

    def write(self, chunk: Chunk) -> None:
        """Store one chunk's stories and articles; keep its fingerprint rows for the sorted load."""
        stories, articles = _rows(chunk)
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO stories (id, title, first_seen_at, article_count) VALUES (?, ?, ?, ?)",
                            stories)
        self.db.executemany(f"INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES ({', '.join('?' * 13)})", articles)
        self.db.execute("COMMIT")
        self.hashes.append(chunk.hashes)
        self.owners.append(chunk.owners)

    def finish(self, n: int) -> None:
        """Insert the fingerprint rows in primary-key order (appends to the B-tree), record parameters and size."""
        hashes, owners = np.concatenate(self.hashes), np.concatenate(self.owners)
        self.hashes, self.owners = [], []
        order = np.lexsort((owners, hashes))
        hashes, owners = hashes[order], owners[order]
        print(f"\n  sqlite: inserting {hashes.size:,} fingerprint rows in key order", file=sys.stderr)
        step = 2_000_000
        for start in range(0, hashes.size, step):
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR IGNORE INTO fingerprints (hash, article_id) VALUES (?, ?)",
                                zip(hashes[start:start + step].tolist(), owners[start:start + step].tolist(),
                                    strict=True))
            self.db.execute("COMMIT")
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (PARAMS_KEY, params_record()))
        self.db.execute("ANALYZE")
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (BUILD_MARK, str(n)))
        self.db.close()


class PostgresWriter:
    """Bulk load into a PostgreSQL schema made by Alembic with COPY; the primary key is built after the load."""

    def __init__(self, engine: Engine) -> None:
        upgrade(engine)
        self.engine = engine
        self.raw = engine.raw_connection()
        self.cur: Any = self.raw.cursor()
        self.cur.execute("ALTER TABLE fingerprints DROP CONSTRAINT pk_fingerprints")
        self.cur.execute("ALTER TABLE fingerprints DROP CONSTRAINT IF EXISTS fk_fingerprints_article_id_articles")

    def write(self, chunk: Chunk) -> None:
        """COPY one chunk's stories, articles and fingerprint rows, in one transaction."""
        stories, articles = _rows(chunk)
        with self.cur.copy("COPY stories (id, title, first_seen_at, article_count) FROM STDIN") as copy:
            for row in stories:
                copy.write_row(row)
        with self.cur.copy(f"COPY articles ({ARTICLE_COLUMNS}) FROM STDIN") as copy:
            for row in articles:
                copy.write_row(row)
        buffer = io.StringIO()
        np.savetxt(buffer, np.column_stack((chunk.hashes, chunk.owners)), fmt="%d", delimiter="\t")
        with self.cur.copy("COPY fingerprints (hash, article_id) FROM STDIN") as copy:
            copy.write(buffer.getvalue())
        self.raw.commit()

    def finish(self, n: int) -> None:
        """Build the primary key and foreign key, move the id sequences on, record parameters; VACUUM ANALYZE."""
        print("\n  postgres: building the primary key", file=sys.stderr)
        cur = self.cur
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("ALTER TABLE fingerprints ADD CONSTRAINT pk_fingerprints PRIMARY KEY (hash, article_id)")
        cur.execute("ALTER TABLE fingerprints ADD CONSTRAINT fk_fingerprints_article_id_articles FOREIGN KEY "
                    "(article_id) REFERENCES articles (id) ON DELETE CASCADE")
        for table in ("stories", "articles"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})")
        cur.execute("INSERT INTO meta (key, value) VALUES (%s, %s)", (PARAMS_KEY, params_record()))
        cur.execute("INSERT INTO meta (key, value) VALUES (%s, %s)", (BUILD_MARK, str(n)))
        self.raw.commit()
        self.raw.close()
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE fingerprints"))
            conn.execute(text("VACUUM ANALYZE articles"))


def build(writers: Sequence[SqliteWriter | PostgresWriter], n: int, real: int, seed: int, workers: int,
          args: tuple[Any, ...]) -> None:
    """Generate the corpus once, in `workers` processes, and write every chunk to each database."""
    done = 0
    started = time.perf_counter()
    for chunk in chunks(n, real, seed, workers, args):
        for writer in writers:
            writer.write(chunk)
        done += len(chunk.ids)
        print(f"\r  build: {done:,}/{n:,} articles ({time.perf_counter() - started:.0f} s)", end="", file=sys.stderr)
    for writer in writers:
        writer.finish(n)
    print(f"  build: {time.perf_counter() - started:.0f} s in all", file=sys.stderr)


@dataclass(frozen=True)
class Query:
    """One text to check and the stored article it repeats (None for unseen texts)."""

    kind: str
    text: str
    target: int | None


def make_queries(count: int, n: int, real: int, seed: int) -> list[Query]:
    """Reposts in chrome, excerpts, unseen synthetic articles and unseen descriptions, in a shuffled order."""
    rng = random.Random(seed + 1)
    unseen = _descriptions[:HELD_OUT]
    queries: list[Query] = []
    for i in range(count):
        kind = ("repost", "excerpt", "unseen", "unseen-short")[i % 4]
        if kind in ("repost", "excerpt"):
            target = rng.randint(1, n)
            body = article_text(target, real, seed)
            if kind == "excerpt":
                words = body.split()
                if len(words) < 100:
                    kind = "repost"
                else:
                    start = rng.randrange(0, len(words) // 2)
                    body = " ".join(words[start : start + len(words) // 2])
            if kind == "repost":
                body = (f"World News Roundup | Home | Asia\n\nReported today:\n\n{body}\n\nRead more ...\n\n"
                        f"Comments:\n{rng.choice(unseen)}\n{rng.choice(unseen)}")
            queries.append(Query(kind, body, target))
        elif kind == "unseen":
            queries.append(Query(kind, synthetic_text(np.random.default_rng([seed, 10**9 + i])), None))
        else:
            queries.append(Query(kind, rng.choice(unseen), None))
    rng.shuffle(queries)
    return queries


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def time_checks(session: Session, queries: Sequence[Query]) -> None:
    """Time one check per query (after a warm-up pass over a tenth of them) and print latency and accuracy."""
    for q in queries[: len(queries) // 10]:
        check_text(session, q.text)
    times: dict[str, list[float]] = {}
    right: dict[str, int] = {}
    for q in queries:
        started = time.perf_counter()
        verdict = check_text(session, q.text)
        elapsed = (time.perf_counter() - started) * 1000
        times.setdefault(q.kind, []).append(elapsed)
        right[q.kind] = right.get(q.kind, 0) + (verdict.duplicate_of == q.target)
    every = [t for ts in times.values() for t in ts]
    print(f"  one check, all {len(every)} queries: p50 {percentile(every, 0.5):.2f} ms, "
          f"p99 {percentile(every, 0.99):.2f} ms, max {max(every):.1f} ms")
    for kind, ts in sorted(times.items()):
        print(f"    {kind:<13} p50 {percentile(ts, 0.5):6.2f} ms  p99 {percentile(ts, 0.99):6.2f} ms  "
              f"verdict right {right[kind]}/{len(ts)}")


def sqlite_index_bytes(path: Path) -> tuple[int, dict[str, int]]:
    """Bytes of the fingerprints table and its indexes (dbstat), and of every table for context."""
    db = sqlite3.connect(path)
    sizes = dict(db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    index_names = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE tbl_name = 'fingerprints'").fetchall()]
    db.close()
    return sum(sizes.get(name, 0) for name in index_names), sizes


def fingerprint_speed(texts: Sequence[str]) -> None:
    """Articles per second on one core: our stored fingerprints vs datasketch MinHash(128), same texts, interleaved."""
    from datasketch import MinHash

    def minhash(body: str) -> None:
        toks = tokens(body)
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(toks[i:i + PARAMS.k]).encode() for i in range(len(toks) - PARAMS.k + 1)])

    def rate(fn: Any) -> float:
        started = time.perf_counter()
        for body in texts:
            fn(body)
        return len(texts) / (time.perf_counter() - started)

    ours, entry, peer = [], [], []
    for _ in range(2):
        ours.append(rate(fingerprint))
        entry.append(rate(index_entry))
        peer.append(rate(minhash))
    words = statistics.mean(len(t.split()) for t in texts)
    print(f"  fingerprinting ({len(texts)} stored texts, {words:.0f} words on average, one core): "
          f"ours {max(ours):,.0f}/s (with the shingle count stored alongside: {max(entry):,.0f}/s), "
          f"datasketch MinHash(128) {max(peer):,.0f}/s, ratio {max(ours) / max(peer):.2f}")


def main() -> int:
    """Build (or reuse) the databases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=1_000_000, help="stored articles (default 1,000,000)")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--postgres", metavar="URL", help="also build and measure on this PostgreSQL database")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument("--workers", type=int, default=2, help="processes generating the corpus")
    parser.add_argument("--rebuild", action="store_true", help="ignore the cached databases")
    parser.add_argument("--speed-only", action="store_true", help="only the fingerprinting speed (no databases)")
    parser.add_argument("--seed", type=int, default=20260102)
    args = parser.parse_args()
    if not RSS.is_file():
        print(f"bench/dedup_scale.py: needs {RSS} (set MONITOR_SHARED_DIR); nothing to do.")
        return 0
    n = args.articles
    descriptions = load_descriptions()
    real = min(len(descriptions) - HELD_OUT, n // 5)
    words, counts = vocabulary(descriptions)
    init_args = (words, counts, descriptions)
    _init(*init_args)
    print(f"corpus: {n:,} articles ({real:,} RSS descriptions, {n - real:,} synthetic); "
          f"{len(words):,} distinct words; fingerprint parameters {PARAMS.version}")
    queries = make_queries(args.queries, n, real, args.seed)
    sample = [article_text(i, real, args.seed) for i in random.Random(3).sample(range(1, n + 1), min(n, 2000))]
    fingerprint_speed(sample)
    if args.speed_only:
        return 0

    writers: list[SqliteWriter | PostgresWriter] = []
    path = RESULTS / f"dedup_scale_{n}.db"
    if not args.no_sqlite:
        RESULTS.mkdir(exist_ok=True)
        cached = False
        if path.exists() and not args.rebuild:
            with sqlite3.connect(path) as db:
                mark = db.execute("SELECT value FROM meta WHERE key = ?", (BUILD_MARK,)).fetchone()
            cached = mark is not None and mark[0] == str(n)
        if not cached:
            path.unlink(missing_ok=True)
            writers.append(SqliteWriter(path))
    schema = f"dedup_scale_{n}"
    pg_engine = None
    if args.postgres:
        admin = make_engine(args.postgres)
        with admin.begin() as conn:
            exists = conn.execute(text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s "
                                       "AND table_name = 'meta'"), {"s": schema}).first()
            cached = False
            if exists and not args.rebuild:
                mark = conn.execute(text(f"SELECT value FROM {schema}.meta WHERE key = :k"), {"k": BUILD_MARK}).first()
                cached = mark is not None and mark[0] == str(n)
            if not cached:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        sep = "&" if "?" in args.postgres else "?"
        pg_engine = make_engine(f"{args.postgres}{sep}options=-csearch_path%3D{schema}")
        if not cached:
            writers.append(PostgresWriter(pg_engine))
    if writers:
        build(writers, n, real, args.seed, args.workers, init_args)

    if not args.no_sqlite:
        print(f"\n== SQLite ({path.name}, {path.stat().st_size / 2**30:.2f} GiB file) ==")
        index_bytes, sizes = sqlite_index_bytes(path)
        rows = sqlite3.connect(path).execute("SELECT COUNT(*) FROM fingerprints").fetchone()[0]
        print(f"  index: {rows:,} fingerprint rows, {rows / n:.1f} per article; fingerprints table + primary key "
              f"{index_bytes / 2**20:,.0f} MiB = {index_bytes / n:,.0f} B per article "
              f"(articles table with texts: {sizes.get('articles', 0) / 2**20:,.0f} MiB)")
        engine = make_engine(f"sqlite:///{path}")
        with make_sessionmaker(engine)() as session:
            time_checks(session, queries)
        engine.dispose()

    if pg_engine is not None:
        with pg_engine.connect() as conn:
            index_bytes = conn.execute(text("SELECT pg_total_relation_size('fingerprints')")).scalar_one()
            articles_bytes = conn.execute(text("SELECT pg_total_relation_size('articles')")).scalar_one()
            rows = conn.execute(text("SELECT COUNT(*) FROM fingerprints")).scalar_one()
        print(f"\n== PostgreSQL (schema {schema}) ==")
        print(f"  index: {rows:,} fingerprint rows; pg_total_relation_size(fingerprints) "
              f"{index_bytes / 2**20:,.0f} MiB = {index_bytes / n:,.0f} B per article "
              f"(articles with texts: {articles_bytes / 2**20:,.0f} MiB)")
        with make_sessionmaker(pg_engine)() as session:
            time_checks(session, queries)
        pg_engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
