"""Where fingerprints live: the interface the verdict needs, and an in-memory implementation.

The database-backed store implements the same three calls: ``lookup`` is one indexed query
(``SELECT hash, article_id FROM fingerprints WHERE hash IN (...)``), ``sizes`` reads per-article counts that
are written when the fingerprints are stored (with the parameters' version, so a change of method can be
found and re-indexed), and ``doc_count`` counts the articles indexed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from monitor.dedup.fingerprints import TextPrint

__all__ = ["DocSize", "FingerprintStore", "MemoryStore"]


@dataclass(frozen=True)
class DocSize:
    """How much of an article was indexed: its stored fingerprints and its distinct shingles."""

    fingerprints: int
    shingles: int


class FingerprintStore(Protocol):
    """Read side of the fingerprint index."""

    def lookup(self, hashes: Collection[int]) -> Mapping[int, Sequence[int]]:
        """Map each of `hashes` that is stored to the ids of the articles holding it (absent hashes omitted)."""
        ...

    def sizes(self, article_ids: Collection[int]) -> Mapping[int, DocSize]:
        """Return the indexed size of each of `article_ids`."""
        ...

    def doc_count(self) -> int:
        """Return how many articles are indexed."""
        ...


class MemoryStore:
    """A fingerprint index in dictionaries, for tests and benchmarks."""

    def __init__(self) -> None:
        self._postings: dict[int, list[int]] = {}
        self._sizes: dict[int, DocSize] = {}

    def add(self, article_id: int, text_print: TextPrint) -> None:
        """Index the fingerprints of one article (re-adding an id is an error)."""
        if article_id in self._sizes:
            raise ValueError(f"article {article_id} is already indexed")
        for value in text_print.fingerprints:
            self._postings.setdefault(value, []).append(article_id)
        self._sizes[article_id] = DocSize(len(text_print.fingerprints), len(text_print.shingles))

    def lookup(self, hashes: Collection[int]) -> dict[int, list[int]]:
        """Map each stored hash among `hashes` to its article ids."""
        postings = self._postings
        return {h: postings[h] for h in hashes if h in postings}

    def sizes(self, article_ids: Collection[int]) -> dict[int, DocSize]:
        """Return the indexed size of each known id among `article_ids`."""
        return {a: self._sizes[a] for a in article_ids if a in self._sizes}

    def doc_count(self) -> int:
        """Return how many articles are indexed."""
        return len(self._sizes)

    def row_count(self) -> int:
        """Return how many (hash, article) rows the index holds."""
        return sum(size.fingerprints for size in self._sizes.values())
