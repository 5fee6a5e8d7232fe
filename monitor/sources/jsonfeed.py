"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1)."""

from __future__ import annotations

import html
import json
from typing import Any

from monitor.sources.charset import decode_document
from monitor.sources.dates import parse_date
from monitor.sources.model import Entry, ParsedFeed, ParseError
from monitor.sources.text import squash
from monitor.sources.xmlfeed import http_url


def _text(value: object) -> str | None:
    return squash(value) if isinstance(value, str) else None


def _author_name(holder: dict[str, Any]) -> str | None:
    authors = holder.get("authors")
    candidates = list(authors) if isinstance(authors, list) else []
    candidates.append(holder.get("author"))  # JSON Feed 1.0 had a single author object
    for author in candidates:
        if isinstance(author, dict) and _text(author.get("name")):
            return _text(author.get("name"))
    return None


def _item_entry(item: dict[str, Any], base: str, feed_author: str | None) -> Entry | None:
    url = http_url(item.get("url"), base) or http_url(item.get("external_url"), base)
    guid = item.get("id")
    guid_text = str(guid).strip() if isinstance(guid, str | int) and not isinstance(guid, bool) else None
    if url is None and guid_text and guid_text.lower().startswith(("http://", "https://")):
        url = http_url(guid_text, base)
    if url is None:
        return None
    content_html = item.get("content_html") if isinstance(item.get("content_html"), str) else None
    content_text = _text(item.get("content_text"))
    if content_html is None and isinstance(item.get("content_text"), str) and item["content_text"].strip():
        content_html = "<p>" + html.escape(item["content_text"]).replace("\n\n", "</p><p>") + "</p>"
    published = None
    for field in ("date_published", "date_modified"):
        value = item.get(field)
        published = parse_date(value) if isinstance(value, str) else None
        if published is not None:
            break
    return Entry(
        url=url,
        title=_text(item.get("title")),
        published=published,
        summary=_text(item.get("summary")) or content_text,
        guid=guid_text or None,
        author=_author_name(item) or feed_author,
        content_html=content_html or None,
    )


def parse_json_feed(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    """Entries of a JSON Feed; ParseError when the body is not JSON or not a JSON Feed."""
    decoded = decode_document(body, content_type, "xml")
    try:
        document = json.loads(decoded.text)
    except (ValueError, RecursionError) as error:
        raise ParseError(f"not a feed: invalid JSON ({error})") from None
    if not isinstance(document, dict):
        raise ParseError("not a feed: JSON document is not an object")
    version = document.get("version")
    if not (isinstance(version, str) and "jsonfeed.org/version/" in version) and not isinstance(
        document.get("items"), list
    ):
        raise ParseError("not a feed: JSON document has no JSON Feed version and no items")
    problems: list[str] = []
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        problems.append(f"JSON Feed version missing or unknown: {version!r}")
    self_url = http_url(document.get("feed_url"), url)
    base = self_url or url
    hubs = document.get("hubs")
    hub = next(
        (http_url(h.get("url"), base) for h in hubs if isinstance(h, dict) and http_url(h.get("url"), base)),
        None,
    ) if isinstance(hubs, list) else None
    items = document.get("items")
    if not isinstance(items, list):
        items = []
        problems.append("JSON Feed has no items list")
    feed_author = _author_name(document)
    entries: list[Entry] = []
    for index, item in enumerate(items, start=1):
        entry = _item_entry(item, base, feed_author) if isinstance(item, dict) else None
        if entry is None:
            problems.append(f"item {index}: no http(s) url; skipped")
        else:
            entries.append(entry)
    return ParsedFeed(
        kind="jsonfeed",
        title=_text(document.get("title")),
        entries=tuple(entries),
        problems=tuple(problems),
        hub=hub,
        self_url=self_url,
    )
