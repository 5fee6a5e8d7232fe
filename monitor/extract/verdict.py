"""Decide whether an extracted page is a good article, and if not, give a short reason."""

from __future__ import annotations

import re

_ERROR_TITLE = re.compile(
    r"\b(?:404|403|410|500|502|503)\b|not found|page (?:not|cannot|can't)|no longer available|"
    r"error|не найдена|ошибка|یافت نشد|خطا|nicht gefunden|introuvable|no encontrada",
    re.IGNORECASE,
)
_LOGIN_WORDS = re.compile(
    r"\b(?:sign in|log in|login|subscribe to (?:continue|read)|create (?:a free )?account|"
    r"already a subscriber|register to continue)\b|войти|вход|ورود",
    re.IGNORECASE,
)
MIN_ARTICLE_CHARS = 200
SHORT_TEXT = 1500


def classify(
    title: str | None, text: str, page_text_length: int, link_share: float, has_password: bool
) -> str | None:
    """None for a good article; else a short reason ("empty page", "error page", "login wall" ...)."""
    if page_text_length == 0 and not text:
        return "empty page"
    if title and _ERROR_TITLE.search(title) and len(text) < SHORT_TEXT:
        return "error page"
    if has_password and len(text) < 1000 and _LOGIN_WORDS.search(text + " " + (title or "")):
        return "login wall"
    if link_share > 0.6 and len(text) < SHORT_TEXT:
        return "not an article: section front"
    if not text:
        return "no main text"
    if len(text) < MIN_ARTICLE_CHARS:
        return "too short"
    return None
