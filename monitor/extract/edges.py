"""Trim what page templates put at the edges of an article body: the headline, a byline, a copyright line."""

from __future__ import annotations

import re

from monitor.extract.dates import parse_text_date

_EDGE_LIMIT = 200  # edge lines are short; a longer paragraph is article text
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved|\bURL:", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_BY = re.compile(r"^\W*(?:by|von|par|por|di|door|автор|от)\b", re.IGNORECASE)


def _folded(text: str) -> str:
    """Lower case with whitespace collapsed, for comparing a paragraph with the title."""
    return _SPACE.sub(" ", text).strip().lower()


def _is_byline(paragraph: str, author: str | None) -> bool:
    """True for a short line naming the author together with a date or a "By"."""
    if not author or len(paragraph) > _EDGE_LIMIT or author.lower() not in paragraph.lower():
        return False
    return _BY.match(paragraph) is not None or parse_text_date(paragraph) is not None


def trim_edges(text: str, title: str | None, author: str | None = None) -> str:
    """Drop a first paragraph that is the headline or a byline, and last short paragraphs of copyright."""
    paragraphs = text.split("\n\n")
    if title and len(paragraphs) > 1:
        first = _folded(paragraphs[0].split("\n")[0])
        if first == _folded(title):
            lines = paragraphs[0].split("\n")[1:]
            paragraphs[0] = "\n".join(lines)
            if not paragraphs[0]:
                paragraphs.pop(0)
    if len(paragraphs) > 1 and _is_byline(paragraphs[0], author):
        paragraphs.pop(0)
    while len(paragraphs) > 1 and len(paragraphs[-1]) <= _EDGE_LIMIT and _COPYRIGHT.search(paragraphs[-1]):
        paragraphs.pop()
    return "\n\n".join(paragraphs)
