"""Text normalisation and word tokens for repost detection.

Two spellings of the same text must give the same tokens: Unicode compatibility forms (NFKC), case
(casefold), typographic quotes and dashes, diacritics, Arabic tashkeel and tatweel, Arabic/Persian letter
variants, Arabic-Indic digits and invisible format characters are all unified. Words in any script are kept;
Chinese, Japanese and Korean ideographs/kana count one token per character.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["fold", "normalize_text", "token_keys", "tokens"]

_QUOTES_AND_DASHES = {
    **dict.fromkeys("‘’‚‛′‵`´ʹʻʼʽˈ", "'"),
    **dict.fromkeys("“”„‟″‶«»‹›", '"'),
    **dict.fromkeys("‐‑‒–—―−⁃﹘﹣－", "-"),
}

_ARABIC_LETTERS = {
    "ی": "ي",  # Persian yeh
    "ى": "ي",  # alef maksura
    "ې": "ي",
    "ۍ": "ي",
    "ک": "ك",  # Persian keheh
    "ڪ": "ك",  # swash kaf
    "ة": "ه",  # teh marbuta
    "ە": "ه",  # ae
    "ۀ": "ه",
    "ھ": "ه",  # heh doachashmee
    "ٱ": "ا",  # alef wasla
    "ـ": "",  # tatweel (kashida)
}

_DIGITS = {chr(0x0660 + i): str(i) for i in range(10)} | {chr(0x06F0 + i): str(i) for i in range(10)}


def _char_class(chars: list[str]) -> str:
    """A regex character class matching exactly `chars` (sorted), written as ranges so it compiles small."""
    codes = sorted(ord(c) for c in chars)
    parts: list[str] = []
    start = prev = codes[0]
    for code in [*codes[1:], -1]:
        if code == prev + 1:
            prev = code
            continue
        parts.append(re.escape(chr(start)) if start == prev else f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
        start = prev = code
    return "[" + "".join(parts) + "]"


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], re.Pattern[str], re.Pattern[str]]:
    """Character map (quotes, dashes, Arabic letters, digits, format characters), its pattern, and marks.

    Only the Basic Multilingual Plane is scanned: a character class reaching beyond it makes `re` fall back
    to a slow range search, and combining marks or format characters outside it do not occur in news text.
    """
    mapping: dict[str, str] = {**_QUOTES_AND_DASHES, **_ARABIC_LETTERS, **_DIGITS}
    marks: list[str] = []
    for cp in range(0x10000):
        char = chr(cp)
        category = unicodedata.category(char)
        if category == "Cf":
            mapping[char] = ""  # soft hyphen, zero-width (non-)joiners, bidi marks
        elif category == "Mn":
            marks.append(char)
    return mapping, re.compile(_char_class(list(mapping))), re.compile(_char_class(marks))


_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(rf"[^\W{_CJK}]+|[{_CJK}]")
#: bytes.translate table for ASCII text: keeps what `\w` keeps in ASCII (letters, digits, underscore), lower-cased
#: (the only change `fold` makes to ASCII words), and turns everything else into a space.
_ASCII_WORDS = bytes(
    ord(chr(c).lower()) if (chr(c).isalnum() and c < 128) or c == ord("_") else ord(" ") for c in range(256)
)


def fold(text: str) -> str:
    """Return `text` mapped character by character to its canonical form (whitespace left as it is).

    Steps: quotes, dashes, Arabic letter variants, Arabic-Indic digits and format characters unified; NFKC;
    casefold; the same unification again (NFKC can produce such characters); canonical decomposition, combining
    marks (diacritics, Arabic tashkeel) removed, recomposition. Text that is ASCII after the first unification
    takes a shortcut with the same result.
    """
    mapping, special, marks = _tables()

    def unify(match: re.Match[str]) -> str:
        return mapping[match.group()]

    text = special.sub(unify, text)
    if text.isascii():
        return text.lower()
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = special.sub(unify, text.casefold())
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    if marks.search(decomposed) is None:
        return text
    return unicodedata.normalize("NFC", marks.sub("", decomposed))


def normalize_text(text: str) -> str:
    """Return `text` in the canonical form used for hashing: `fold` applied, whitespace runs made one space."""
    return " ".join(fold(text).split())


def tokens(text: str) -> list[str]:
    """Return the word tokens of `text` after `fold`: runs of letters, digits and underscore; CJK one per character."""
    return _TOKEN.findall(fold(text))


def token_keys(text: str) -> list[str] | list[bytes]:
    """The same tokens as `tokens`, as bytes when the folded text is ASCII (a faster path for hashing)."""
    if text.isascii():
        # fold only lower-cases ASCII letters and maps one punctuation mark to another: the words are the same
        return text.encode("ascii").translate(_ASCII_WORDS).split()
    folded = fold(text)
    if folded.isascii():
        return folded.encode("ascii").translate(_ASCII_WORDS).split()
    return _TOKEN.findall(folded)
