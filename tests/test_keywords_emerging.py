"""Emerging terms: what recent stories say far more often than the stories before them."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from monitor.keywords.emerging import emerging_terms, terms_of

ROUTINE = [
    "Taliban officials meet traders in Kabul",
    "Tajik border guards hold exercise near Panj",
    "Prices of flour rise in Kunduz market",
    "Uzbekistan opens new rail link to Termez",
    "Officials discuss water sharing on the Amu Darya",
]


def test_a_new_event_outranks_routine_words() -> None:
    """A flood suddenly in many titles is reported once, as its phrase; routine words do not rank at all."""
    background = ROUTINE * 40
    recent = [*ROUTINE, *(f"Flash flood hits Badakhshan villages ({n})" for n in range(6))]
    recent += ["Kunduz flood relief begins", "Flood waters recede in Kunduz", "Flood aid for Kunduz"]
    found = emerging_terms(recent, background, top=5)
    terms = [item.term for item in found]
    # "flood" is in 9 stories, the phrase in 6 of them: two events, the broader one first
    assert terms == ["flood", "flash flood hits badakhshan villages"]
    assert not any(term in {"taliban", "kabul", "border", "kunduz"} for term in terms)
    assert all(item.recent >= 3 and item.recent >= 3 * item.expected for item in found)


def test_nothing_emerges_from_business_as_usual() -> None:
    """When recent stories look like the background, no term is reported."""
    assert emerging_terms(ROUTINE * 2, ROUTINE * 40) == []
    assert emerging_terms([], ROUTINE) == []


def test_terms_are_folded_words_and_pairs_without_function_words() -> None:
    """Terms are folded words of 3+ letters and adjacent pairs; function words and numbers are left out."""
    assert terms_of("The Taliban in Kunduz, 2023") == {"taliban", "kunduz", "taliban kunduz"}


@pytest.mark.corpora
def test_finds_the_day_of_a_major_earthquake_in_real_headlines(corpora: Path) -> None:
    """On 2023-02-06 (Turkey-Syria earthquake), the top terms of 39 news feeds against 4 weeks before name it."""
    path = corpora / "news-rss-entries-2023" / "news_rss_entries_2023.jsonl.gz"
    day = datetime.fromisoformat("2023-02-06T00:00:00+00:00")
    recent: list[str] = []
    background: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            entry = json.loads(line)
            when = datetime.fromisoformat(entry["date_published"].replace(" ", "T"))
            if day <= when < day + timedelta(days=1):
                recent.append(entry["title"])
            elif day - timedelta(days=28) <= when < day:
                background.append(entry["title"])
    top = [item.term for item in emerging_terms(recent, background, top=3)]
    assert any("earthquake" in term or "quake" in term for term in top)
