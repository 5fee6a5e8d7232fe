"""Plain text out of feed fields that may hold HTML."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

_MARKUP_HINT = re.compile(r"<[A-Za-z/!]|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]{2,8});")
_BLOCK_BOUNDARY = re.compile(
    r"<(/?(?:p|div|br|li|ul|ol|dl|dd|dt|h[1-6]|tr|td|th|table|blockquote|section|article|header|footer|"
    r"figure|figcaption|hr|pre|img)\b)",
    re.I,
)
_DROPPED_TAGS = ["script", "style", "noscript", "template", "iframe", "svg"]


def squash(text: str | None) -> str | None:
    """Whitespace runs collapsed to one space and trimmed; None for empty text."""
    if text is None:
        return None
    squashed = " ".join(text.split())
    return squashed or None


def html_to_text(markup: str | None) -> str | None:
    """Visible text of an HTML fragment (scripts and styles dropped, entities decoded), squashed."""
    if not markup:
        return None
    if not _MARKUP_HINT.search(markup):
        return squash(markup)
    spaced = _BLOCK_BOUNDARY.sub(r" <\1", markup)  # keep words of adjacent blocks apart
    tree = LexborHTMLParser(f"<body>{spaced}</body>")
    tree.strip_tags(_DROPPED_TAGS)
    body = tree.body
    if body is None:
        return None
    return squash(body.text(separator=""))
