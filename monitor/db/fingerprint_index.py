"""The repost index in the database: fingerprint -> original article, read with one indexed query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from monitor.db.models import Article, Fingerprint, MetaValue
from monitor.db.upsert import insert_ignore
from monitor.dedup.fingerprints import PARAMS, TextPrint, analyse
from monitor.dedup.store import DocSize
from monitor.dedup.verdict import DedupSettings, check_print

PARAMS_KEY = "fingerprint_params"
_CHUNK = 900  # stays under SQLite's bound-parameter limit


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
        wanted = sorted(set(hashes))
        found: dict[int, list[int]] = defaultdict(list)
        for start in range(0, len(wanted), _CHUNK):
            rows = self.session.execute(
                select(Fingerprint.hash, Fingerprint.article_id).where(
                    Fingerprint.hash.in_(wanted[start : start + _CHUNK])
                )
            )
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
        rows = [{"hash": h, "article_id": article_id} for h in text_print.fingerprints]
        for start in range(0, len(rows), 500):
            insert_ignore(self.session, Fingerprint, rows[start : start + 500])
        self.session.execute(
            update(Article)
            .where(Article.id == article_id)
            .values(fingerprint_count=len(text_print.fingerprints), shingle_count=len(text_print.shingles))
        )
        insert_ignore(self.session, MetaValue, [{"key": PARAMS_KEY, "value": repr(PARAMS)}])


__all__ = ["NearMatch", "SqlFingerprintIndex", "analyse"]
