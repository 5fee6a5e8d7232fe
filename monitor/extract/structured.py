"""The article body a page states in its JSON-LD (articleBody), as a fallback for a poor DOM extraction.

Some sites put the whole text there, some only a teaser, and some leave the DOM body to scripts. The stated
body is used only when it is substantial and clearly longer than what the DOM gave, so a teaser never
replaces a good extraction.
"""

from __future__ import annotations

import html
import re

from selectolax.lexbor import LexborHTMLParser

from monitor.extract.body import extract_body

MIN_STATED_CHARS = 200
LONGER_BY = 2.0  # the stated body must be this many times longer than the DOM text to replace it
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_BLANK_LINES = re.compile(r"\n\s*\n|\r\n\s*\r\n")
_SPACE = re.compile(r"\s+")


def stated_body_text(raw: str) -> str:
    """Clean paragraphs of a JSON-LD articleBody (plain text, or HTML some sites put there)."""
    if _TAG.search(raw):  # the same cleaning as for pages
        return extract_body(LexborHTMLParser(f"<html><body><article>{raw}</article></body></html>")).text
    text = html.unescape(raw)
    chunks = _BLANK_LINES.split(text) if _BLANK_LINES.search(text) else text.split("\n")
    paragraphs = [_SPACE.sub(" ", chunk).strip() for chunk in chunks]
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def prefer_stated(dom_text: str, stated_text: str) -> bool:
    """True when the stated body should replace the DOM text: substantial, and much longer than it."""
    return len(stated_text) >= MIN_STATED_CHARS and len(stated_text) >= LONGER_BY * len(dom_text)
