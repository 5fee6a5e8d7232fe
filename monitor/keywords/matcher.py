"""Watchlists matched in one pass: every term of every list compiled into one regular expression.

Term syntax (each term is folded like the text, see `normalize.fold`):
  * ``Takhar``, ``Тахар``, ``تخار``: the word with the inflections of its script: Russian, Tajik
    and Uzbek case endings for Cyrillic (a final vowel of the dictionary form is replaced:
    ``Россия`` also matches ``России``), English and Uzbek suffixes for Latin, Persian/Dari/Pashto
    suffixes and the attached Arabic prefixes (و، ب، ل، ال) for Arabic script;
  * ``Таджик*``: a prefix; any continuation of the last word matches;
  * ``"IS-K"``: exact; no inflection;
  * several words form a phrase (hyphens and punctuation count as spaces); only the last word inflects.
An exclusion uses the same syntax; a term hit that overlaps an exclusion hit of the same watchlist does
not count (``Kunduz`` with exclusion ``Kunduz river`` still counts "Kunduz" elsewhere in the text).

The pattern finds candidate words (a trie of all stems, so hundreds of terms cost one scan); a dict
trie then decides which terms a candidate satisfies.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from monitor.keywords.normalize import fold, script_of

_MIN_STEM = 3


def _words(*groups: str) -> frozenset[str]:
    """The space-separated words of `groups` as a set."""
    return frozenset(word for group in groups for word in group.split())


_LATIN_SUFFIXES = _words(
    "s es i is ian ians ni ning ga ka qa da dan dagi lar larni larning larga larda lardan "
    "lik liklar si sini siga sida sidan ida idan iga ini iy",
)
_CYRILLIC_SUFFIXES = _words(
    # Russian case endings (й is folded to и, ё to е)
    "а я о е ы и у ю ь ом ем ои еи ою ею ам ям ах ях ами ями ов ев ью ия ие ии ию иеи",
    # Tajik
    "ро ҳо ҳои ҳоро он аш ам ат амон ашон",
    # Uzbek Cyrillic
    "да дан га ка қа ни нинг лар ларни ларда лардан ларга даги лик си сини сига сида",
)
_CYRILLIC_ENDINGS = _words("а я о е ы и у ю ь")
_ARABIC_SUFFIXES = _words(
    # Persian / Dari
    "ی ای یی ها های هایی هایش هایشان ان یان گان اش ش م ام ت ات مان تان شان یم ید ند ست است یست",
    "یها تر ترین",
    # Pashto and Arabic
    "ه و ې ونه ونو یه ین یون",
)
_ARABIC_PREFIXES = ("وال", "بال", "فال", "لل", "ال", "و", "ب", "ل", "ف")


@dataclass(frozen=True)
class Watchlist:
    """A named group of terms (any scripts) and exclusions."""

    name: str
    terms: tuple[str, ...]
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Term:
    watchlist: int
    exclude: bool
    mode: str  # "exact", "prefix" or "inflect"
    suffixes: frozenset[str]
    arabic: bool

    def accepts(self, suffix: str, prefixed: bool) -> bool:
        if prefixed and not self.arabic:
            return False
        if self.mode == "prefix":
            return True
        if not suffix:
            return True
        return self.mode == "inflect" and suffix in self.suffixes


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    terms: list[_Term] = field(default_factory=list)


class WatchlistMatcher:
    """Counts term hits per watchlist in a text; build once, call `match` per article (title + text)."""

    def __init__(self, watchlists: Sequence[Watchlist]) -> None:
        self._names = [watchlist.name for watchlist in watchlists]
        if len(set(self._names)) != len(self._names):
            raise ValueError("watchlist names must be unique")
        self._root = _Node()
        for index, watchlist in enumerate(watchlists):
            if not watchlist.terms:
                raise ValueError(f"watchlist {watchlist.name!r} has no terms")
            for raw, exclude in [(t, False) for t in watchlist.terms] + [(t, True) for t in watchlist.exclude]:
                stem, term = _parse(raw, index, exclude, watchlist.name)
                node = self._root
                for char in stem:
                    node = node.children.setdefault(char, _Node())
                node.terms.append(term)
        prefixes = "|".join(re.escape(prefix) for prefix in _ARABIC_PREFIXES)
        self.pattern: re.Pattern[str] = re.compile(rf"(?<!\w)(?:{prefixes})?{_trie_regex(self._root)}")

    def match(self, text: str) -> dict[str, int]:
        """Watchlist name -> number of term hits in `text` (only lists with at least one hit)."""
        folded = fold(text)
        hits: dict[tuple[int, int], int] = {}  # (watchlist, start) -> end of the longest hit there
        excluded: dict[int, list[tuple[int, int]]] = {}
        position = 0
        while True:
            found = self.pattern.search(folded, position)
            if found is None:
                break
            start = found.start()
            for term, end in self._terms_at(folded, start):
                if term.exclude:
                    excluded.setdefault(term.watchlist, []).append((start, end))
                else:
                    key = (term.watchlist, start)
                    hits[key] = max(hits.get(key, end), end)
            next_space = folded.find(" ", start)
            if next_space < 0:
                break
            position = next_space + 1
        counts: dict[str, int] = {}
        for (watchlist, start), end in hits.items():
            spans = excluded.get(watchlist, ())
            if any(start < stop and begin < end for begin, stop in spans):
                continue
            name = self._names[watchlist]
            counts[name] = counts.get(name, 0) + 1
        return counts

    def _terms_at(self, folded: str, start: int) -> Iterator[tuple[_Term, int]]:
        """Every term satisfied by the text from `start`, with the end of its hit."""
        for prefix in ("", *_ARABIC_PREFIXES):
            if prefix and not folded.startswith(prefix, start):
                continue
            node = self._root
            index = start + len(prefix)
            while index < len(folded):
                child = node.children.get(folded[index])
                if child is None:
                    break
                node = child
                index += 1
                if node.terms:
                    end = folded.find(" ", index)
                    end = len(folded) if end < 0 else end
                    suffix = folded[index:end]
                    for term in node.terms:
                        if term.accepts(suffix, bool(prefix)):
                            yield term, end


def _parse(raw: str, watchlist: int, exclude: bool, name: str) -> tuple[str, _Term]:
    """The folded stem of a term and how its last word may continue."""
    text = raw.strip()
    mode = "inflect"
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        mode, text = "exact", text[1:-1]
    elif text.endswith("*"):
        mode, text = "prefix", text.rstrip("*")
    words = fold(text).split()
    if not words:
        raise ValueError(f"watchlist {name!r}: term {raw!r} has no letters or digits")
    last = words[-1]
    script = script_of(last)
    suffixes: frozenset[str] = frozenset()
    if mode == "inflect":
        if script == "cyrillic":
            suffixes = _CYRILLIC_SUFFIXES
            if last[-1] in _CYRILLIC_ENDINGS and len(last) - 1 >= _MIN_STEM + 1:
                last = last[:-1]
        elif script == "latin":
            suffixes = _LATIN_SUFFIXES
        elif script == "arabic":
            suffixes = _ARABIC_SUFFIXES
        if len(last) < _MIN_STEM:
            mode, last, suffixes = "exact", words[-1], frozenset()
    stem = " ".join([*words[:-1], last])
    return stem, _Term(watchlist, exclude, mode, suffixes, arabic=script == "arabic")


def _trie_regex(node: _Node) -> str:
    """A regular expression matching exactly the stems stored under `node`, factored by prefix."""
    branches = [re.escape(char) + _trie_regex(child) for char, child in sorted(node.children.items())]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if node.terms:
        return body if body.startswith("(?:") and body.endswith(")?") else f"(?:{body})?"
    return body
