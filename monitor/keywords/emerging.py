"""Emerging terms: words and word pairs that recent stories use far more than the stories before them.

Each term is scored by how many recent stories mention it against what its share of the background
stories predicts (a Poisson tail on document counts, with add-one smoothing so a term never seen
before is expected about once per background-sized sample). Terms must also be at least `min_ratio`
times their expectation and be mentioned by `min_count` stories, so routine words never rank.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.keywords.normalize import fold
from monitor.spikes.nbinom import poisson_sf


def _words(*groups: str) -> frozenset[str]:
    return frozenset(word for group in groups for word in group.split())


# Function words of the feeds' main languages; they never make a useful watchlist term.
_STOPWORDS = _words(
    "the a an and or of to in on at for from by with as is are was were be been has have had it its this that",
    "these those after before over under into about new says said will would could can not no more than",
    "up out off who what when where why how amid against between during while also just",
    "и в во на с со по к из у о об от до за для что как это не но а или же ли бы при над под",
    "و در به از که با را این آن برای تا بر یک هم می شد است بود کرد",
)


@dataclass(frozen=True)
class EmergingTerm:
    """A term, the recent stories mentioning it, how many were expected, and the surprise (-ln p)."""

    term: str
    recent: int
    expected: float
    score: float


def words_of(text: str) -> list[str]:
    """The folded words of `text` that can be terms: 3+ characters, not function words or numbers."""
    return [word for word in fold(text).split() if len(word) >= 3 and word not in _STOPWORDS and not word.isdigit()]


def terms_of(text: str) -> set[str]:
    """The distinct candidate words of `text` and its adjacent pairs of them."""
    words = words_of(text)
    return set(words) | {f"{first} {second}" for first, second in itertools.pairwise(words)}


def emerging_terms(
    recent: Sequence[str],
    background: Sequence[str],
    *,
    min_count: int = 3,
    min_ratio: float = 3.0,
    top: int = 20,
) -> list[EmergingTerm]:
    """The `top` terms of the `recent` stories (titles, say) most surprising against `background`.

    Terms carried by exactly the same recent stories are one event: they are reported once, as the
    longest run of them in the first such story ("flash flood hits badakhshan", not five fragments).
    """
    if not recent:
        return []
    postings: dict[str, set[int]] = {}
    for index, text in enumerate(recent):
        for term in terms_of(text):
            postings.setdefault(term, set()).add(index)
    background_counts: Counter[str] = Counter()
    for text in background:
        background_counts.update(terms_of(text))
    share = len(recent) / (len(background) + 1.0)
    groups: dict[frozenset[int], list[EmergingTerm]] = {}
    for term, stories in postings.items():
        count = len(stories)
        expected = (background_counts.get(term, 0) + 1.0) * share
        if count < min_count or count < min_ratio * expected:
            continue
        score = -math.log(max(poisson_sf(count, expected), 1e-300))
        groups.setdefault(frozenset(stories), []).append(EmergingTerm(term, count, expected, score))
    found = [_merge(recent[min(stories)], members) for stories, members in groups.items()]
    found.sort(key=lambda item: (-item.score, item.term))
    return found[:top]


def _merge(story: str, members: list[EmergingTerm]) -> EmergingTerm:
    """One term for a group sharing the same stories: the longest run of its words in `story`."""
    best = max(members, key=lambda item: item.score)
    single = {item.term for item in members if " " not in item.term}
    paired = {item.term for item in members if " " in item.term}
    words = words_of(story)
    runs: list[list[str]] = []
    run: list[str] = []
    for position, word in enumerate(words):
        if run and f"{words[position - 1]} {word}" in paired:
            run.append(word)
            continue
        if run:
            runs.append(run)
        starts_pair = position + 1 < len(words) and f"{word} {words[position + 1]}" in paired
        run = [word] if word in single or starts_pair else []
    if run:
        runs.append(run)
    longest = max(runs, key=len) if runs else best.term.split()
    return EmergingTerm(" ".join(longest), best.recent, best.expected, best.score)
