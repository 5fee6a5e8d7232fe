"""Reposts of one story ingested at the same moment by separate processes end as one original and linked copies."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from monitor.db.engine import make_engine, make_sessionmaker
from monitor.db.migrate import upgrade
from monitor.db.models import Article, KeywordCount, Mention, Story

SEEDS = Path(__file__).resolve().parents[1] / "config" / "seeds"
WORKERS = 4
ROUNDS = 3

# Each worker is a separate Python process with its own engine. Per round it prepares its document, reports
# ready, waits for the go file, then ingests in one transaction: the N transactions start within a millisecond.
WORKER = r"""
import json, sys, time
from datetime import datetime, timedelta, UTC
from pathlib import Path
from monitor.db.engine import make_engine, make_sessionmaker
from monitor.ingest import Document, Ingestor
from monitor.keywords.matcher import Watchlist, WatchlistMatcher

url, folder, worker = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
jobs = json.loads((folder / "jobs.json").read_text())[worker]
sessions = make_sessionmaker(make_engine(url))
ingestor = Ingestor(WatchlistMatcher([Watchlist("north", ("Badakhshan", "Takhar", "Kunduz", "Afghanistan"))]),
                    timedelta(hours=1))
with sessions() as session:  # connect before the race
    session.connection()
for round_no, job in enumerate(jobs):
    doc = Document(canonical_url=job["url"], source=f"worker-{worker}", text=job["text"], title=job["url"],
                   url=job["url"], published_at=datetime.fromisoformat(job["published"]))
    (folder / f"ready-{round_no}-{worker}").touch()
    while not (folder / f"go-{round_no}").exists():
        time.sleep(0.0005)
    with sessions.begin() as session:
        outcome = ingestor.ingest(session, doc)
    print(json.dumps({"round": round_no, "article": outcome.article_id, "duplicate_of": outcome.duplicate_of}),
          flush=True)
"""


def _variant(body: str, worker: int) -> str:
    """A different repost of `body` per worker: new chrome and comments, or a long excerpt."""
    words = body.split()
    if worker % 2:
        return " ".join(words[: len(words) * 7 // 10]) + f"\n\nRead more at the source. Posted by reader {worker}."
    return (f"Frontier blog number {worker} | Home | World | Asia\n\n{body}\n\n"
            f"Comments ({worker}): thanks for sharing, worth watching closely this season.")


def _run_workers(db_url: str, folder: Path, jobs: list[list[dict[str, str]]]) -> list[dict[str, int | None]]:
    """Start the workers, release each round once all are ready, and collect their outcomes."""
    (folder / "jobs.json").write_text(json.dumps(jobs))
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER, db_url, str(folder), str(w)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for w in range(WORKERS)
    ]
    try:
        for round_no in range(ROUNDS):
            deadline = time.monotonic() + 60
            while not all((folder / f"ready-{round_no}-{w}").exists() for w in range(WORKERS)):
                failed = [p for p in procs if p.poll() not in (None, 0)]
                assert not failed, failed[0].communicate()[1]
                assert time.monotonic() < deadline, "workers did not get ready"
                time.sleep(0.005)
            (folder / f"go-{round_no}").touch()
        outputs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    return [json.loads(line) for out, _err in outputs for line in out.splitlines()]


def test_concurrent_reposts_end_with_one_original(db_url: str, tmp_path: Path) -> None:
    """N processes storing reposts of one text at once leave one original (the earliest published), rest linked."""
    engine = make_engine(db_url)
    upgrade(engine)
    now = datetime.now(UTC).replace(microsecond=0)
    bodies = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))[:ROUNDS]]
    # Worker w's copy is published w hours before now: the last worker's copy is the earliest, whatever the order.
    jobs = [
        [
            {"url": f"https://site{w}.example/story-{r}", "text": _variant(bodies[r], w),
             "published": (now - timedelta(hours=w + 1)).isoformat()}
            for r in range(ROUNDS)
        ]
        for w in range(WORKERS)
    ]
    outcomes = _run_workers(db_url, tmp_path, jobs)
    assert len(outcomes) == WORKERS * ROUNDS

    with make_sessionmaker(engine)() as session:
        stories = session.scalars(select(Story)).all()
        assert len(stories) == ROUNDS
        for story in stories:
            articles = session.scalars(select(Article).where(Article.story_id == story.id)).all()
            assert len(articles) == WORKERS == story.article_count
            originals = [a for a in articles if a.duplicate_of_id is None]
            assert len(originals) == 1, [(a.id, a.source, a.duplicate_of_id) for a in articles]
            original = originals[0]
            assert original.source == f"worker-{WORKERS - 1}"  # the earliest-published copy
            assert original.fingerprint_count and all(
                a.fingerprint_count is None for a in articles if a is not original
            )
            assert {a.duplicate_of_id for a in articles if a is not original} == {original.id}
        # Each story counts once, in the bucket of its original's publication.
        mentions = session.scalars(select(Mention)).all()
        assert len(mentions) == ROUNDS
        assert sum(session.scalars(select(KeywordCount.count)).all()) == ROUNDS
    engine.dispose()
