"""Watchlist matching across Latin, Cyrillic and Arabic script: inflections, phrases, exclusions, speed."""

from __future__ import annotations

import random
import re
import time

import pytest

from monitor.keywords.matcher import Watchlist, WatchlistMatcher
from monitor.keywords.normalize import fold

TAKHAR = Watchlist("takhar", ("Takhar", "Тахар", "تخار"), exclude=("Takhar Hotel",))
TAJIKISTAN = Watchlist("tajikistan", ("Tajikistan", "Таджикистан", "تاجیکستان", "Tojikiston", "Тоҷикистон"))
BORDER = Watchlist("border", ("Amu Darya", "Аму-Дарья", "Panjshir*", '"IS-K"', "Россия"))
MATCHER = WatchlistMatcher([TAKHAR, TAJIKISTAN, BORDER])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fighting in Takhar province", {"takhar": 1}),
        ("Бои в провинции Тахар", {"takhar": 1}),
        ("درگیری در ولایت تخار", {"takhar": 1}),
        ("TAKHAR, Тахар and تخار", {"takhar": 3}),
    ],
)
def test_matches_each_script(text: str, expected: dict[str, int]) -> None:
    """A watchlist's Latin, Cyrillic and Arabic spellings all count, case-insensitively."""
    assert MATCHER.match(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "граница Таджикистана",  # genitive
        "в Таджикистане",  # prepositional
        "с Таджикистаном",  # instrumental
        "Tajikistan's president",  # English possessive
        "Tojikistonda",  # Uzbek locative
        "Tojikistonning",  # Uzbek genitive
        "Тоҷикистонро",  # Tajik object marker
        "مرز تاجیکستان‌ها",  # Persian plural with zero-width non-joiner
        "تاجیکستانی",  # Persian adjective / ezafe
        "والتاجیکستان",  # attached Arabic prefixes
    ],
)
def test_inflected_forms_match(text: str) -> None:
    """Case endings and suffixes of Russian, Tajik, Uzbek, English and Persian still hit the term."""
    assert MATCHER.match(text) == {"tajikistan": 1}


def test_dictionary_form_ending_is_replaced() -> None:
    """A Cyrillic term ending in a vowel matches its other cases (Россия, России, Россию)."""
    assert MATCHER.match("Россия, России и Россию") == {"border": 3}


def test_unrelated_longer_words_do_not_match() -> None:
    """A term is not a bare prefix: other words that merely start with it do not count."""
    assert MATCHER.match("Takharistan Таджикистанский tajikistanization") == {}


def test_diacritics_and_harakat_are_ignored() -> None:
    """Accents, Cyrillic stress marks and Arabic vowel marks do not block a match."""
    assert MATCHER.match("Tákhar, Та́хар, تَخار") == {"takhar": 3}


def test_arabic_and_persian_letter_variants_meet() -> None:
    """Arabic yeh and kaf match the Persian letters (تاجيكستان ~ تاجیکستان)."""
    assert MATCHER.match("تاجيكستان") == {"tajikistan": 1}


def test_phrases_match_across_punctuation_and_inflect_on_the_last_word() -> None:
    """Amu Darya matches "Amu-Darya"; Аму-Дарья matches "Аму-Дарье"; a single word of it does not."""
    assert MATCHER.match("the Amu-Darya crossing near Аму-Дарье") == {"border": 2}
    assert MATCHER.match("Darya and Amu apart") == {}


def test_prefix_terms_match_any_continuation() -> None:
    """A term ending in * matches every word that starts with it."""
    assert MATCHER.match("Panjshiri fighters in Panjshir") == {"border": 2}


def test_quoted_terms_are_exact() -> None:
    """A quoted term takes no inflection but still ignores case and punctuation."""
    assert MATCHER.match("IS-K claimed; is k again; ISKs") == {"border": 2}


def test_exclusions_remove_only_overlapping_hits() -> None:
    """ "Takhar Hotel" does not count as a Takhar hit, but Takhar elsewhere in the same text does."""
    assert MATCHER.match("Guests at the Takhar Hotel") == {}
    assert MATCHER.match("Guests at the Takhar Hotel left Takhar") == {"takhar": 1}


def test_one_word_can_hit_several_watchlists() -> None:
    """Watchlists sharing a term each count the hit."""
    matcher = WatchlistMatcher([Watchlist("a", ("Kunduz",)), Watchlist("b", ("Кундуз", "Kunduz"))])
    assert matcher.match("Kunduz") == {"a": 1, "b": 1}


def test_fold_is_shared_by_terms_and_text() -> None:
    """Folding lower-cases, strips marks, drops joiners and apostrophes, and separates words by one space."""
    assert fold("  O‘zbekiston — TAKHAR's\u200cها!  ") == "ozbekiston takharsها"


def test_bad_watchlists_are_refused() -> None:
    """Duplicate names, empty lists and terms without letters are configuration errors."""
    with pytest.raises(ValueError, match="unique"):
        WatchlistMatcher([Watchlist("a", ("x1",)), Watchlist("a", ("y1",))])
    with pytest.raises(ValueError, match="no terms"):
        WatchlistMatcher([Watchlist("a", ())])
    with pytest.raises(ValueError, match="no letters"):
        WatchlistMatcher([Watchlist("a", ("--",))])


def test_hundreds_of_terms_are_one_pattern_and_cost_about_the_same() -> None:
    """600 terms compile to one pattern; matching them takes about as long as matching 6."""
    rng = random.Random(3)
    alphabets = ("abcdefghijklmnopqrstuvwxyz", "абвгдежзиклмнопрстуфхцчшыэюя", "ابپتجچحخدرزسشعفقکگلمنوهی")

    def word(length: int) -> str:
        alphabet = rng.choice(alphabets)
        return "".join(rng.choice(alphabet) for _ in range(length))

    terms = [word(rng.randint(5, 10)) for _ in range(600)]
    text = " ".join(word(rng.randint(2, 9)) for _ in range(3000)) + " " + terms[599]
    small = WatchlistMatcher([Watchlist("w0", tuple(terms[:6]))])
    large = WatchlistMatcher([Watchlist(f"w{i}", tuple(terms[i * 6 : i * 6 + 6])) for i in range(100)])
    assert isinstance(large.pattern, re.Pattern)
    assert large.match(text).get("w99", 0) >= 1

    def best_of(matcher: WatchlistMatcher) -> float:
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            matcher.match(text)
            timings.append(time.perf_counter() - began)
        return min(timings)

    assert best_of(large) < 4 * best_of(small)
