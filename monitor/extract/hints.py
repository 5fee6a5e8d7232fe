"""What the class and id of an element suggest: boilerplate region, likely content, or nothing.

Only generic words of page layout are used (comment, sidebar, share, related ...), never site names.
Verdicts are memoised per class/id string because templates repeat the same strings many times.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

_UNLIKELY_WORDS = (
    "disqus", "sidebar", "footer", "related", "recommend", "outbrain", "taboola", "newsletter",
    "popular", "trending", "most-read", "mostread", "social", "share", "sharing", "sponsor", "promo",
    "breadcrumb", "popup", "modal", "cookie", "gdpr", "pagination", "pager", "masthead", "skyscraper",
    "supplemental", "shoutbox", "signup", "subscribe", "byline", "author-bio", "read-more", "readmore",
)
# A region with one of these words is removed before scoring, unless it also looks like content.
_UNLIKELY = re.compile(r"comment(?!ary|ator)|" + "|".join(re.escape(word) for word in _UNLIKELY_WORDS))
# Softer signs of boilerplate, used to penalise candidates and to clean inside the chosen one.
_NEGATIVE = re.compile(
    r"comment(?!ary|ator)|share|sharing|social|related|recommend|newsletter|subscri|promo|advert|sponsor|"
    r"breadcrumb|popup|modal|cookie|outbrain|taboola|footer|sidebar|disqus|signup|sign-up|byline|"
    r"author|readmore|read-more|most-?read|popular|trending|hidden|sr-only|toolbar|pagination|widget|"
    r"masthead|login|paywall|banner|caption|credit|skip|jump|print|tooltip|overlay|rating|"
    r"(?:^|[\s_-])(?:ad|ads|adv|tag|tags|meta|nav|menu|bio|links|more|date|time|topics|keywords|"
    r"header|follow|email|video)(?:$|[\s_-])"
)
_POSITIVE = re.compile(r"article|body|content|entry|main|post|story|text|prose|blog|hentry|page")

UNLIKELY = 1
NEGATIVE = 2
POSITIVE = 4
_CACHE: dict[str, int] = {}
_CACHE_LIMIT = 100_000


def hint_string(attrs: dict[str, str | None]) -> str:
    """The class and id from a node's attributes joined into one lower-case string."""
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()


def verdict(hints: str) -> int:
    """Bit flags (UNLIKELY, NEGATIVE, POSITIVE) for a lower-case class/id string."""
    found = _CACHE.get(hints)
    if found is not None:
        return found
    flags = 0
    positive = _POSITIVE.search(hints) is not None
    if positive:
        flags |= POSITIVE
    unlikely = _UNLIKELY.search(hints)
    if unlikely is not None and (unlikely.group(0).startswith("comment") or not positive):
        flags |= UNLIKELY
    if _NEGATIVE.search(hints) is not None:
        flags |= NEGATIVE
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[hints] = flags
    return flags


def node_verdict(node: LexborNode) -> int:
    """Bit flags for a node's class and id."""
    return verdict(hint_string(node.attributes))
