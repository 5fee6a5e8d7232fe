"""Trim what page templates put at the edges of an article body: the headline repeated, a copyright line."""

from __future__ import annotations

import re

_EDGE_LIMIT = 200  # edge lines are short; a longer paragraph is article text
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved|\bURL:", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def _folded(text: str) -> str:
    """Lower case with whitespace collapsed, for comparing a paragraph with the title."""
    return _SPACE.sub(" ", text).strip().lower()


def trim_edges(text: str, title: str | None) -> str:
    """Drop a first paragraph that is the headline and last short paragraphs that are copyright lines."""
    paragraphs = text.split("\n\n")
    if title and len(paragraphs) > 1:
        first = _folded(paragraphs[0].split("\n")[0])
        if first == _folded(title):
            lines = paragraphs[0].split("\n")[1:]
            paragraphs[0] = "\n".join(lines)
            if not paragraphs[0]:
                paragraphs.pop(0)
    while len(paragraphs) > 1 and len(paragraphs[-1]) <= _EDGE_LIMIT and _COPYRIGHT.search(paragraphs[-1]):
        paragraphs.pop()
    return "\n\n".join(paragraphs)
