"""The item elements of an RSS/RDF/Atom document, found at the byte level, so that a changed feed's
known items need not be parsed again. No I/O.

A feed that changed usually gained one item and kept the rest byte for byte. `item_spans` finds every
``<item>``/``<entry>`` element (CDATA sections and comments are skipped whole); `item_digest` names an
item by its bytes; `without_items` drops the known ones, leaving the channel, its other elements and
the new items for the feed parser. Whenever the document's shape is unusual (nested or unclosed items,
items and entries mixed, UTF-16/32) `item_spans` answers None and the whole document is parsed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

Span = tuple[int, int]
SeenItems = dict[str, datetime | None]  # digest -> the item's date, in document order

_TOKEN = re.compile(
    rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->"
    rb"|<(/?)((?:[\w.-]+:)?(item|entry))(?=[\s/>])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>",
    re.S,
)
_WIDE = (b"\xfe\xff", b"\xff\xfe")


def item_spans(body: bytes) -> list[Span] | None:
    """Byte spans of the document's item (or entry) elements in order; None when they cannot be told apart
    safely. A document without items gives an empty list."""
    if body[:2] in _WIDE or b"\x00" in body[:1024]:
        return None  # UTF-16/32: markup is not ASCII bytes
    spans: list[Span] = []
    start: int | None = None
    open_name = b""
    local_kind: bytes | None = None
    for match in _TOKEN.finditer(body):
        name = match.group(2)
        if name is None:
            continue  # CDATA or a comment
        if match.group(1):  # a closing tag
            if start is None or name != open_name:
                return None
            spans.append((start, match.end()))
            start = None
            continue
        if start is not None:
            return None  # an item inside an item
        if local_kind is None:
            local_kind = match.group(3)
        elif match.group(3) != local_kind:
            return None  # items and entries in one document
        if match.group(0).endswith(b"/>"):
            spans.append((match.start(), match.end()))
        else:
            start, open_name = match.start(), name
    return None if start is not None else spans


def item_digest(item: bytes) -> str:
    """A short name for an item's exact bytes."""
    return hashlib.blake2b(item, digest_size=8).hexdigest()


def without_items(body: bytes, spans: Sequence[Span], keep: Sequence[bool]) -> bytes:
    """The document with the items whose ``keep`` is false cut out; everything between items stays."""
    if not spans:
        return body
    pieces = [body[: spans[0][0]]]
    previous = spans[0][0]
    for (start, end), kept in zip(spans, keep, strict=True):
        pieces.append(body[previous:start])
        if kept:
            pieces.append(body[start:end])
        previous = end
    pieces.append(body[previous:])
    return b"".join(pieces)


def dump_seen(items: Iterable[tuple[str, datetime | None]]) -> str:
    """Digests and dates as stored: ``digest`` or ``digest@epoch-seconds``, space-separated."""
    return " ".join(
        digest if when is None else f"{digest}@{int(when.timestamp())}" for digest, when in items
    )


def load_seen(text: str | None) -> SeenItems | None:
    """What ``dump_seen`` wrote (None for nothing stored or anything unreadable)."""
    if not text:
        return None
    seen: SeenItems = {}
    for token in text.split():
        digest, _, epoch = token.partition("@")
        if len(digest) != 16 or (epoch and not epoch.isdigit()):
            return None
        seen[digest] = datetime.fromtimestamp(int(epoch), UTC) if epoch else None
    return seen
