"""Watchlist matching: one compiled pattern for every term of every watchlist.

Text and terms are folded the same way (NFKD, diacritics dropped, case-folded), and a term matches
at a word start followed by up to a few more letters, so inflected forms (Таджикистана, Тахаре)
are found too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_SUFFIX = r"\w{0,4}"


def fold(text: str) -> str:
    """Case-fold and drop combining marks, keeping the string's letters in place."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold()


@dataclass(frozen=True)
class Watchlist:
    name: str
    terms: tuple[str, ...]
    exclude: tuple[str, ...] = ()


class WatchlistMatcher:
    def __init__(self, watchlists: Sequence[Watchlist]) -> None:
        self.watchlists = tuple(watchlists)
        groups: list[str] = []
        self._owners: dict[str, str] = {}
        for index, watchlist in enumerate(self.watchlists):
            alternatives = sorted({re.escape(fold(t)) for t in watchlist.terms if t.strip()}, key=len, reverse=True)
            if alternatives:
                group = f"w{index}"
                self._owners[group] = watchlist.name
                groups.append(f"(?P<{group}>(?<!\\w)(?:{'|'.join(alternatives)}){_SUFFIX}(?!\\w))")
        self._pattern = re.compile("|".join(groups)) if groups else None
        self._exclude = {
            w.name: re.compile("|".join(re.escape(fold(t)) for t in w.exclude)) for w in self.watchlists if w.exclude
        }

    def match(self, text: str) -> dict[str, int]:
        """Watchlist name -> number of term hits, for the watchlists with at least one hit."""
        if self._pattern is None:
            return {}
        folded = fold(text)
        hits: dict[str, int] = {}
        for found in self._pattern.finditer(folded):
            group = found.lastgroup
            if group is None:
                continue
            name = self._owners[group]
            excluded = self._exclude.get(name)
            if excluded is not None and excluded.match(folded, found.start()):
                continue
            hits[name] = hits.get(name, 0) + 1
        return hits
