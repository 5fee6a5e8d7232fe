"""Language of a page: its declared tag, else a cheap guess from the script and common words."""

from __future__ import annotations

import re

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


def _script_counts(sample: str) -> dict[str, int]:
    """How many letters of each broad script family appear in the sample."""
    counts: dict[str, int] = {}
    for char in sample:
        code = ord(char)
        if code < 0x80:
            if char.isalpha():
                counts["latin"] = counts.get("latin", 0) + 1
            continue
        if 0x400 <= code <= 0x52F:
            script = "cyrillic"
        elif 0x600 <= code <= 0x6FF or 0xFB50 <= code <= 0xFEFF or 0x750 <= code <= 0x77F:
            script = "arabic"
        elif 0xC0 <= code <= 0x24F:
            script = "latin"
        elif 0x370 <= code <= 0x3FF:
            script = "el"
        elif 0x590 <= code <= 0x5FF:
            script = "he"
        elif 0x900 <= code <= 0x97F:
            script = "hi"
        elif 0x980 <= code <= 0x9FF:
            script = "bn"
        elif 0xE00 <= code <= 0xE7F:
            script = "th"
        elif 0x10A0 <= code <= 0x10FF:
            script = "ka"
        elif 0x530 <= code <= 0x58F:
            script = "hy"
        elif 0x3040 <= code <= 0x30FF:
            script = "ja"
        elif 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF:
            script = "ko"
        elif 0x4E00 <= code <= 0x9FFF:
            script = "han"
        else:
            continue
        counts[script] = counts.get(script, 0) + 1
    return counts


def guess_language(text: str) -> str | None:
    """A cheap guess at the language of a text from its script, distinctive letters and common words."""
    sample = text[:3000]
    counts = _script_counts(sample)
    if not counts or sum(counts.values()) < 20:
        return None
    script = max(counts, key=lambda key: counts[key])
    if script == "han":
        return "ja" if counts.get("ja", 0) > counts["han"] * 0.05 else "zh"
    if script == "cyrillic":
        letters = set(sample.lower())
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
        letters = set(sample)
        if letters & _PASHTO_LETTERS:
            return "ps"
        if letters & _URDU_LETTERS:
            return "ur"
        if letters & _PERSIAN_LETTERS:
            return "fa"
        return "ar"
    if script == "latin":
        words = _WORDS.findall(sample.lower())
        best, best_hits = None, 0
        for language, common in _LATIN_WORDS.items():
            hits = sum(1 for word in words if word in common)
            if hits > best_hits:
                best, best_hits = language, hits
        return best if best_hits >= 3 else None
    return script
