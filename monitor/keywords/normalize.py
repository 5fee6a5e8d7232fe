"""Text folding for matching: case, diacritics, script variants and punctuation made uniform.

Both the watched terms and the texts go through `fold`, so "Takhar's", "TAKHAR", "Тахар" with a stress
mark, "تخار" with harakat, "كابل" (Arabic kaf/yeh) and "کابل" (Persian) meet on common ground.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic-script letters with Persian twins, and marks that only shape the text.
_TRANSLATE = str.maketrans(
    {
        "ي": "ی",  # Arabic yeh -> Farsi yeh
        "ى": "ی",  # alef maksura -> Farsi yeh
        "ك": "ک",  # Arabic kaf -> keheh
        "ة": "ه",  # teh marbuta -> heh
        "ۀ": "ه",  # heh with yeh above (if not decomposed)
        "ہ": "ه",  # Urdu heh goal
        "ھ": "ه",  # heh doachashmee
        "ـ": "",  # tatweel
        "\u200c": "",  # zero-width non-joiner (Persian "تخار‌ها" -> "تخارها")
        "\u200d": "",  # zero-width joiner
        "\u00ad": "",  # soft hyphen
        # Apostrophes, including Uzbek oʻ / gʻ and English possessives, vanish inside words.
        "'": "",
        "\u2018": "",
        "\u2019": "",
        "\u02bb": "",
        "\u02bc": "",
        "`": "",
        "\u00b4": "",
    }
)
_SEPARATORS = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lower-case, strip diacritics, unify script variants; words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if unicodedata.category(char) != "Mn")
    folded = bare.casefold().translate(_TRANSLATE)
    return _SEPARATORS.sub(" ", folded).strip()


def script_of(word: str) -> str:
    """'latin', 'cyrillic', 'arabic' or 'other', from the first letter of `word`."""
    for char in word:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        for script in ("LATIN", "CYRILLIC", "ARABIC"):
            if name.startswith(script):
                return script.lower()
        return "other"
    return "other"
