"""Source parsers: bytes of a fetched feed, sitemap or listing page in, entries out. No I/O.

`parse_source` sniffs the kind (RSS/Atom/RDF through feedparser, JSON Feed, sitemaps and news
sitemaps, HTML listing pages) and raises only `ParseError`, for a body that is none of these.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from monitor.sources.charset import decode_document, decode_html
from monitor.sources.discovery import discover_feeds
from monitor.sources.items import item_digest, item_spans, without_items
from monitor.sources.jsonfeed import parse_json_feed
from monitor.sources.listing import parse_listing
from monitor.sources.model import Entry, ParsedFeed, ParseError
from monitor.sources.sitemap import parse_sitemap
from monitor.sources.sniff import binary_reason, head_text, looks_like_html, looks_like_json, root_name
from monitor.sources.xmlfeed import entry_dates, kind_of_version, parse_xml_feed, run_feedparser

__all__ = ["Entry", "ParseError", "ParsedFeed", "decode_html", "discover_feeds", "parse_source"]

_FEED_ROOTS = {"rss": "rss", "channel": "rss", "rdf": "rdf", "feed": "atom"}
_JSON_TYPES = ("application/feed+json", "application/json")
_GZIP_MAGIC = b"\x1f\x8b"
MAX_INFLATED_BYTES = 64 * 1024 * 1024  # sitemaps may hold 50,000 URLs in at most 50 MB uncompressed


def _gunzip(body: bytes) -> bytes:
    """The content of a gzip file (sitemap.xml.gz), refusing corrupt data and inflation past the cap."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, MAX_INFLATED_BYTES)
    except zlib.error as error:
        raise ParseError(f"not a feed: corrupt gzip data ({error})") from None
    if inflater.unconsumed_tail:
        raise ParseError(f"not a feed: gzip data inflates beyond {MAX_INFLATED_BYTES} bytes")
    if not inflater.eof:
        raise ParseError("not a feed: truncated gzip data")
    return data


_ENTRY_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]")
_ROOT_TAG = re.compile(r"<((?:[\w.-]+:)?(?:rss|feed|RDF))[\s>]")


def _cap_entries(body: bytes, head: str, limit: int) -> bytes | None:
    """The document cut before its (limit+1)-th item/entry and closed again, or None when it has fewer.

    Feedparser reads about 2,000 entries a second; a feed of 50,000 would hold a worker for half a minute.
    Feeds list newest first, so the first ``limit`` entries are the ones worth reading.
    """
    position, cut = 0, 0
    for _ in range(limit + 1):
        match = _ENTRY_TAG.search(body, position)
        if match is None:
            return None
        position, cut = match.end(), match.start()
    root = _ROOT_TAG.search(head)
    if root is None:
        return None
    closing = f"</channel></{root.group(1)}>" if root.group(1).endswith("rss") else f"</{root.group(1)}>"
    return body[:cut] + closing.encode()


def _listing(body: bytes, url: str, content_type: str | None, selectors: Sequence[str]) -> ParsedFeed:
    decoded = decode_document(body, content_type, "html")
    notes = [f"charset: {decoded.note}"] if decoded.note else []
    return parse_listing(decoded.text, url, selectors, notes)


def parse_source(
    body: bytes,
    url: str,
    content_type: str | None = None,
    *,
    listing_selectors: Sequence[str] = (),
    max_entries: int | None = None,
    seen: Mapping[str, datetime | None] | None = None,
) -> ParsedFeed:
    """Parse a fetched source of any supported kind; `url` is where it was fetched (the base for
    relative links) and `content_type` the HTTP Content-Type (its charset is honoured).

    `max_entries`: read only the first entries of an RSS/Atom/RDF feed that lists more (noted in `problems`).
    `seen`: the ``items`` of this feed's last parse; items whose bytes are unchanged are not parsed again
    (``entries`` then holds only the others, ``items`` still lists them all).
    """
    body = bytes(body)
    if body.startswith(_GZIP_MAGIC):
        body = _gunzip(body)
    if not body.strip():
        raise ParseError("not a feed: the body is empty")
    binary = binary_reason(body, content_type)
    if binary is not None:
        served = f" (served as {content_type})" if content_type else ""
        raise ParseError(f"not a feed: the server sent {binary}{served}")
    head = head_text(body)
    root = root_name(head)
    media_type = (content_type or "").split(";")[0].strip().lower()
    if root is None and (looks_like_json(head) or media_type in _JSON_TYPES):
        return parse_json_feed(body, url, content_type)
    if root in ("urlset", "sitemapindex"):
        return parse_sitemap(body, url, content_type, root)
    if root == "html" or (root not in _FEED_ROOTS and looks_like_html(head, content_type)):
        return _listing(body, url, content_type, listing_selectors)
    capped = False
    spans = item_spans(body) if root in _FEED_ROOTS else None
    digests: list[str] = []
    read: list[int] = []  # positions of the items handed to the feed parser
    if spans is not None:
        limit = len(spans) if max_entries is None else min(len(spans), max_entries)
        capped = len(spans) > limit
        digests = [item_digest(body[start:end]) for start, end in spans[:limit]]
        keep = [i < limit and (seen is None or digests[i] not in seen) for i in range(len(spans))]
        read = [i for i, kept in enumerate(keep) if kept]
        if len(read) < len(spans):
            body = without_items(body, spans, keep)
    elif max_entries is not None and root in _FEED_ROOTS:
        cut = _cap_entries(body, head, max_entries)
        capped = cut is not None
        body = cut if cut is not None else body
    try:
        result, notes = run_feedparser(body, url, content_type)
    except Exception as error:  # feedparser is third-party: its failures become ours at this boundary
        raise ParseError(f"not a feed: the feed parser failed ({type(error).__name__}: {error})") from None
    kind = kind_of_version(str(result.get("version") or "")) or _FEED_ROOTS.get(root or "")
    if kind is None and root is None and result.get("entries"):
        kind = "rss"  # markup after leading junk that the lenient parser still read as a feed
    if kind is None:
        if root is None and looks_like_html(head, content_type):
            return _listing(body, url, content_type, listing_selectors)
        what = f"XML root element <{root}>" if root else "no XML, JSON or HTML markup at the start"
        raise ParseError(f"not a feed: {what} (expected rss, feed, RDF, urlset, sitemapindex or html)")
    parsed = parse_xml_feed(result, url, kind, notes)
    if spans is not None:
        raw_entries = result.get("entries") or []
        items = None
        if len(raw_entries) == len(read):  # one feedparser entry per item: their dates map back to the items
            dates = dict(zip(read, entry_dates(raw_entries), strict=True))
            known = seen or {}
            items = tuple((digest, dates[i] if i in dates else known.get(digest)) for i, digest in enumerate(digests))
        parsed = replace(parsed, items=items, known=len(digests) - len(read))
    if capped:
        note = f"the feed lists more than {max_entries} entries: only the first {max_entries} were read"
        parsed = replace(parsed, problems=(*parsed.problems, note))
    return parsed
