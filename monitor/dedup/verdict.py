"""Is a new text a repost (whole, excerpt, edited or quoted) of an article already indexed?

Method. The new text is looked up by *every* distinct shingle hash it has; stored articles hold only their
winnowed fingerprints, a content-defined sample of their shingles. So, for a stored article A:

* ``matched``: A's fingerprints found among the new text's shingles, ignoring *common* hashes (held by more
  than ``max(common_df_floor, common_df_fraction * doc_count)`` articles: site chrome, "Post a Comment").
* ``containment_old`` = matched / A's fingerprints (less the common ones seen): the share of A found in the new
  text, estimated from A's sample, independent of the new text's surroundings.
* shared shingles ≈ matched * (A's shingles / A's fingerprints); ``containment_new`` = that / the new text's
  shingles (less common ones): the share of the new text taken from A.
* ``similarity``: the Jaccard index of the two shingle sets from the same estimates.

Rule: A is a match when ``matched >= min_shared``, ``containment_old >= min_containment_any`` and either
``containment_new >= min_containment_new`` or ``containment_old >= min_containment_old``. A repost in new
chrome with comments, or a quotation inside a longer post, has a high containment_old; an excerpt has a high
containment_new and a fair containment_old. A post quoting one sentence of a long article has both low; a new
post in the template of a stored one shares only the chrome, a small part of the stored page (low
containment_old) however large a part of a short new post it is; a post quoting one sentence of a short stored
text has a fair containment_old but a tiny containment_new. Among matches the one supplying most of the new text
(highest ``containment_new``, to two decimals) wins; ties go to the lowest id, the earliest original.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.dedup.fingerprints import TextPrint, analyse
from monitor.dedup.store import DocSize, FingerprintStore

__all__ = ["Candidate", "DedupSettings", "Verdict", "check", "check_print", "decide", "measure_candidates"]


@dataclass(frozen=True)
class DedupSettings:
    """Thresholds of the duplicate rule (tuned by bench/dedup.py on its tuning split)."""

    min_containment_any: float = 0.1
    min_containment_new: float = 0.2
    min_containment_old: float = 0.4
    min_shared: int = 6
    common_df_floor: int = 5
    common_df_fraction: float = 0.001
    max_candidates: int = 20


@dataclass(frozen=True)
class Candidate:
    """One stored article measured against the new text."""

    article_id: int
    matched: int
    containment_new: float
    containment_old: float
    similarity: float

    def is_match(self, settings: DedupSettings) -> bool:
        """Whether this candidate makes the new text a duplicate under `settings`."""
        return (
            self.matched >= settings.min_shared
            and self.containment_old >= settings.min_containment_any
            and (
                self.containment_new >= settings.min_containment_new
                or self.containment_old >= settings.min_containment_old
            )
        )

    @property
    def score(self) -> float:
        """Share of the new text taken from this article, to two decimals (near-equal ones go to the lowest id)."""
        return round(self.containment_new, 2)


@dataclass(frozen=True)
class Verdict:
    """Original, or duplicate of an article, with the measures against the best candidate (if any)."""

    duplicate: bool
    duplicate_of: int | None
    containment_new: float
    containment_old: float
    similarity: float
    best: Candidate | None = None


ORIGINAL = Verdict(False, None, 0.0, 0.0, 0.0)


def _measure(
    text_print: TextPrint,
    hits: Mapping[int, Sequence[int]],
    sizes: Mapping[int, DocSize],
    doc_count: int,
    settings: DedupSettings,
) -> list[Candidate]:
    """Containment both ways and similarity for each candidate in `sizes`."""
    max_df = max(settings.common_df_floor, settings.common_df_fraction * doc_count)
    matched: Counter[int] = Counter()
    common: Counter[int] = Counter()
    common_new = 0
    for ids in hits.values():
        if len(ids) > max_df:
            common_new += 1
            common.update(ids)
        else:
            matched.update(ids)
    new_shingles = max(1, len(text_print.shingles) - common_new)
    candidates = []
    for article_id, size in sizes.items():
        found = matched[article_id]
        sampled = max(1, size.fingerprints - common[article_id])
        containment_old = min(1.0, found / sampled)
        shared = found * size.shingles / max(1, size.fingerprints)
        old_shingles = sampled * size.shingles / max(1, size.fingerprints)
        containment_new = min(1.0, shared / new_shingles)
        union = new_shingles + old_shingles - shared
        candidates.append(
            Candidate(article_id, found, containment_new, containment_old, min(1.0, shared / max(1.0, union)))
        )
    return candidates


def decide(candidates: Sequence[Candidate], settings: DedupSettings) -> Verdict:
    """Apply the duplicate rule to measured candidates (pure)."""
    if not candidates:
        return ORIGINAL
    matches = [c for c in candidates if c.is_match(settings)]
    best = min(matches or candidates, key=lambda c: (-c.score, c.article_id))
    return Verdict(bool(matches), best.article_id if matches else None, best.containment_new,
                   best.containment_old, best.similarity, best)


def measure_candidates(text_print: TextPrint, store: FingerprintStore, settings: DedupSettings) -> list[Candidate]:
    """Stored articles sharing fingerprints with an analysed text, measured: one lookup, one size query."""
    if not text_print.shingles:
        return []
    hits = store.lookup(text_print.shingles)
    if not hits:
        return []
    doc_count = store.doc_count()
    max_df = max(settings.common_df_floor, settings.common_df_fraction * doc_count)
    matched: Counter[int] = Counter()
    for ids in hits.values():
        if len(ids) <= max_df:
            matched.update(ids)
    top = sorted(matched.items(), key=lambda item: (-item[1], item[0]))[: settings.max_candidates]
    ids = [article_id for article_id, count in top if count >= settings.min_shared]
    if not ids:
        return []
    return _measure(text_print, hits, store.sizes(ids), doc_count, settings)


def check_print(text_print: TextPrint, store: FingerprintStore, settings: DedupSettings) -> Verdict:
    """Verdict for an analysed text (see the module docstring for the rule)."""
    return decide(measure_candidates(text_print, store, settings), settings)


def check(text: str, store: FingerprintStore, settings: DedupSettings | None = None) -> Verdict:
    """Verdict for `text` against `store`: original, or duplicate of the best matching stored article."""
    return check_print(analyse(text), store, settings or DedupSettings())
