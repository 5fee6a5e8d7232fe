"""Normalisation and tokens for repost detection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.dedup.normalize import normalize_text, token_keys, tokens


def test_compatibility_forms_and_case_fold() -> None:
    """NFKC and casefolding make ligatures, full-width letters and sharp s compare equal."""
    assert tokens("ﬁnance ＴＡＬＩＢＡＮ Straße") == tokens("finance taliban STRASSE") == [
        "finance", "taliban", "strasse"]


def test_quotes_and_dashes_unified() -> None:
    """Typographic quotes, primes and dashes become their ASCII forms in the normalised text."""
    assert normalize_text("“Afghanistan’s  border” — «hot zone» – ‘now’") == (
        "\"afghanistan's border\" - \"hot zone\" - 'now'")


def test_latin_diacritics_stripped() -> None:
    """Diacritics are removed so transliteration variants meet."""
    assert tokens("Ṭālibān Kābul Mazār-i-Sharīf") == tokens("Taliban Kabul Mazar-i-Sharif")


def test_cyrillic_words_kept_and_yo_folded() -> None:
    """Cyrillic words survive as words; ё folds to е and case is folded."""
    assert tokens("Талибы заняли ЁЛКУ, граница «горячая»") == ["талибы", "заняли", "елку", "граница", "горячая"]


def test_arabic_tashkeel_tatweel_and_letter_variants() -> None:
    """Arabic diacritics and tatweel vanish; Persian yeh/keheh and alef forms meet their Arabic letters."""
    assert tokens("يَكْتُبُ كتـــاب") == tokens("يكتب كتاب")
    assert tokens("کابل یک") == tokens("كابل يك")
    assert tokens("أفغانستان إيران آمو") == tokens("افغانستان ايران امو")


def test_arabic_indic_digits() -> None:
    """Arabic-Indic and Persian digits read as ASCII digits."""
    assert tokens("۱۴۰۰ ١٤٠٠") == ["1400", "1400"]


def test_invisible_format_characters_removed() -> None:
    """Soft hyphens, zero-width characters and bidi marks do not split or change words."""
    assert tokens("Af\u00adghan\u200bistan \u200fTakhar\u200e") == ["afghanistan", "takhar"]


def test_cjk_one_token_per_character() -> None:
    """Ideographs and kana count one token each; Latin words around them stay whole."""
    assert tokens("東京 news 한국") == ["東", "京", "news", "한", "국"]


@pytest.mark.parametrize("text", ["Plain ASCII text, with_underscore and 42 numbers!",
                                  "Curly ‘quotes’ — and dashes", "Mixed Кабул text", "كتاب 東京"])
def test_fast_path_keys_equal_tokens(text: str) -> None:
    """The hashing keys (bytes on the ASCII path) are exactly the tokens."""
    keys = token_keys(text)
    assert [k.decode() if isinstance(k, bytes) else k for k in keys] == tokens(text)


def test_whitespace_collapsed() -> None:
    """Runs of whitespace of any kind become one space, trimmed at both ends."""
    assert normalize_text("  a\u00a0\u2003b\n\n\tc  ") == "a b c"


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_keys_equal_tokens_for_any_ascii(text: str) -> None:
    """On any ASCII text the byte keys of the fast path are exactly the folded tokens."""
    assert [k.decode() for k in token_keys(text)] == tokens(text)
