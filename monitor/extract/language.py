"""Language of a page: its declared tag, else a cheap guess from the script and common words."""

from __future__ import annotations

import re
from collections import Counter

_TAG = re.compile(r"^\s*([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]+)*\s*$")
_PERSIAN_LETTERS = frozenset("پچژگکی")
_URDU_LETTERS = frozenset("ٹڈڑںےھ")
_PASHTO_LETTERS = frozenset("ټډړږښڅځ")
_UKRAINIAN_LETTERS = frozenset("іїєґ")
_TAJIK_LETTERS = frozenset("ӣӯҷ")
_KAZAKH_LETTERS = frozenset("әңөұү")
_UZBEK_CYRILLIC = frozenset("ў")
_LATIN_WORD_LISTS: dict[str, str] = {
    "en": "the and of to in is that for with was on are it as by",
    "de": "der die und das ist nicht mit den von zu sich auf ein eine für",
    "fr": "le la les et des est une dans pour que qui pas sur du au",
    "es": "el la los las y que de en una por con para es del se",
    "pt": "o a os as e que de em uma para com não do da é no",
    "it": "il la che di e un una per non con sono del della è le",
    "nl": "de het een en van is dat niet op te met voor zijn",
    "tr": "ve bir bu da de için ile olarak çok daha ama gibi",
    "uz": "va bilan uchun bu ham bir emas edi qilib boʻlgan bo'lgan",
    "id": "yang dan di ini itu dengan untuk dari tidak dalam akan",
    "pl": "i w nie na się z że do jest to jak po",
}
_LATIN_WORDS = {language: frozenset(words.split()) for language, words in _LATIN_WORD_LISTS.items()}
_WORDS = re.compile(r"[^\W\d_]+")
_ASCII_WORDS = re.compile(r"[a-z]+")


def normalise_tag(tag: str | None) -> str | None:
    """The primary subtag of a language tag in lower case ("en-US" gives "en"); None if malformed."""
    if not tag:
        return None
    match = _TAG.match(tag)
    if match is None:
        return None
    primary = match.group(1).lower()
    return {"iw": "he", "in": "id", "ji": "yi", "per": "fa", "fas": "fa", "rus": "ru", "eng": "en"}.get(
        primary, primary
    )


_SCRIPTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("latin", re.compile(r"[A-Za-z\u00c0-\u024f]")),
    ("cyrillic", re.compile(r"[\u0400-\u052f]")),
    ("arabic", re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufeff]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("bn", re.compile(r"[\u0980-\u09ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("ka", re.compile(r"[\u10a0-\u10ff]")),
    ("hy", re.compile(r"[\u0530-\u058f]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("han", re.compile(r"[\u4e00-\u9fff]")),
)


_SCRIPT_OF: dict[str, str | None] = {}


def _script_of(char: str) -> str | None:
    """The script family of one character (memoised), or None for digits, punctuation and others."""
    try:
        return _SCRIPT_OF[char]
    except KeyError:
        pass
    found = next((script for script, pattern in _SCRIPTS if pattern.match(char)), None)
    if len(_SCRIPT_OF) < 50_000:
        _SCRIPT_OF[char] = found
    return found


def _script_counts(sample: str, distinct: set[str]) -> dict[str, int]:
    """How many letters of each broad script family appear in the sample.

    Each distinct character is classified once and counted with str.count, far cheaper than a pass per script.
    """
    by_script: dict[str, list[str]] = {}
    for char in distinct:
        script = _script_of(char)
        if script is not None:
            by_script.setdefault(script, []).append(char)
    return {script: sum(map(sample.count, chars)) for script, chars in by_script.items()}


def guess_language(text: str) -> str | None:
    """A cheap guess at the language of a text from its script, distinctive letters and common words."""
    sample = text[:2000]
    distinct = set(sample)
    counts = _script_counts(sample, distinct)
    if not counts or sum(counts.values()) < 10:
        return None
    script = max(counts, key=lambda key: counts[key])
    if script == "han":
        return "ja" if counts.get("ja", 0) > counts["han"] * 0.05 else "zh"
    if script == "cyrillic":
        letters = {char.lower() for char in distinct}
        if letters & _TAJIK_LETTERS:
            return "tg"
        if letters & _UZBEK_CYRILLIC:
            return "uz"
        if letters & _KAZAKH_LETTERS:
            return "kk"
        if letters & _UKRAINIAN_LETTERS:
            return "uk"
        return "ru"
    if script == "arabic":
        letters = distinct
        if letters & _PASHTO_LETTERS:
            return "ps"
        if letters & _URDU_LETTERS:
            return "ur"
        if letters & _PERSIAN_LETTERS:
            return "fa"
        return "ar"
    if script == "latin":
        lowered = sample.lower()
        words = Counter((_ASCII_WORDS if lowered.isascii() else _WORDS).findall(lowered))
        best, best_hits = None, 0
        for language, common in _LATIN_WORDS.items():
            hits = sum(words[word] for word in common if word in words)
            if hits > best_hits:
                best, best_hits = language, hits
        return best if best_hits >= 3 else None
    return script
