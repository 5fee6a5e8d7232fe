"""RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and RDF feeds, read with feedparser.

The bytes are decoded by `charset.decode_document` (HTTP charset, BOM, declaration, detection) and
handed to feedparser as UTF-8, so one set of charset rules covers feeds and pages alike. feedparser's
HTML sanitiser and content-URI rewriting are switched off: they cost about half of the parse time and
summaries are reduced to plain text here anyway (see `Entry.content_html`).
"""

from __future__ import annotations

import html
import io
import re
import xml.sax
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from monitor.sources.charset import decode_document
from monitor.sources.dates import datetime_from_struct, parse_date
from monitor.sources.model import Entry, ParsedFeed
from monitor.sources.text import html_to_text, squash

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "html", "xhtml"})
_PERIOD_HOURS = {"hourly": 1, "daily": 24, "weekly": 24 * 7, "monthly": 24 * 30, "yearly": 24 * 365}
_DATE_FIELDS = ("published", "updated", "created")
# a link wrapped over lines keeps its indentation (feedparser drops only the line breaks)
_LINE_BREAKS = re.compile(r"\s*[\r\n]\s*|\t|\s{2,}")


def kind_of_version(version: str) -> str | None:
    """Our feed kind for a feedparser version string ("rss20" -> "rss"); None when feedparser saw no feed."""
    if version in ("rss090", "rss10"):
        return "rdf"
    if version.startswith("rss") or version == "cdf":
        return "rss"
    if version.startswith("atom"):
        return "atom"
    return None


def http_url(candidate: object, base: str) -> str | None:
    """`candidate` resolved against `base` if it is then an http(s) URL with a host, else None."""
    if not isinstance(candidate, str) or not candidate.strip():
        return None
    try:
        cleaned = _LINE_BREAKS.sub("", candidate.strip()).replace(" ", "%20")
        absolute = urljoin(base, cleaned)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def plain(value: object, detail: Mapping[str, Any] | None) -> str | None:
    """Plain text of a feedparser text construct, stripping markup only when its type is HTML."""
    if not isinstance(value, str):
        return None
    content_type = str((detail or {}).get("type") or "text/html").lower()
    return html_to_text(value) if content_type in _HTML_TYPES else squash(value)


def _entry_link(raw: Mapping[str, Any], base: str) -> str | None:
    # FeedBurner feeds link to a redirector and give the publisher's own URL in feedburner:origLink
    candidates: list[object] = [raw.get("feedburner_origlink"), raw.get("link")]
    for link in raw.get("links", ()):
        if link.get("rel") in (None, "alternate"):
            candidates.append(link.get("href"))
    for candidate in candidates:
        url = http_url(candidate, base)
        if url is not None:
            return url
    guid = raw.get("id")  # an id that is itself an absolute http(s) URL is the permalink in practice
    if isinstance(guid, str) and guid.strip().lower().startswith(("http://", "https://")):
        return http_url(guid, base)
    return None


def _entry_date(raw: Mapping[str, Any]) -> tuple[datetime | None, str | None]:
    """The entry's date (published, else updated, else created) and a note when none could be read."""
    unread: str | None = None
    for field in _DATE_FIELDS:
        parsed = datetime_from_struct(raw.get(f"{field}_parsed"))
        if parsed is None and raw.get(field):
            parsed = parse_date(str(raw[field]))
            if parsed is None and unread is None:
                unread = str(raw[field])
        if parsed is not None:
            return parsed, None
    return None, unread


def entry_dates(raw_entries: Sequence[Mapping[str, Any]]) -> list[datetime | None]:
    """Each feedparser entry's date, as ``to_entry`` reads it."""
    return [_entry_date(raw)[0] for raw in raw_entries]


def _content_html(raw: Mapping[str, Any]) -> str | None:
    best: str | None = None
    for content in raw.get("content", ()):
        value = content.get("value")
        if not isinstance(value, str) or not value.strip():
            continue
        if str(content.get("type") or "").lower() not in _HTML_TYPES:
            value = "<p>" + html.escape(value).replace("\n\n", "</p><p>") + "</p>"
        if best is None or len(value) > len(best):
            best = value
    return best


def _author(raw: Mapping[str, Any]) -> str | None:
    detail = raw.get("author_detail") or {}
    return squash(detail.get("name") or raw.get("author") or None)


def to_entry(raw: Mapping[str, Any], base: str, number: int = 1) -> tuple[Entry | None, list[str]]:
    """Our Entry for one feedparser entry (None when it has no usable link) and notes on what was wrong;
    `number` is the entry's position in the feed, for the notes."""
    notes: list[str] = []
    title = plain(raw.get("title"), raw.get("title_detail"))
    url = _entry_link(raw, base)
    if url is None:
        link = raw.get("link") or raw.get("id")
        named = f" ({title[:60]!r})" if title else ""
        found = f"link {link!r} is not http(s)" if link else "no link"
        notes.append(f"entry {number}{named}: {found}; skipped")
        return None, notes
    published, unread = _entry_date(raw)
    if unread is not None:
        notes.append(f"entry {number} ({url}): unreadable date {unread!r}")
    guid = raw.get("id")
    entry = Entry(
        url=url,
        title=title,
        published=published,
        summary=plain(raw.get("summary"), raw.get("summary_detail")),
        guid=squash(guid) if isinstance(guid, str) else None,
        author=_author(raw),
        content_html=_content_html(raw),
    )
    return entry, notes


def feed_ttl(feed: Mapping[str, Any]) -> timedelta | None:
    """How often the feed says it changes: RSS <ttl> (minutes), else sy:updatePeriod / sy:updateFrequency."""
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit() and 0 < int(ttl) <= 60 * 24 * 365:
        return timedelta(minutes=int(ttl))
    period = str(feed.get("sy_updateperiod") or "").strip().lower()
    if period in _PERIOD_HOURS:
        frequency = str(feed.get("sy_updatefrequency") or "1").strip()
        per_period = int(frequency) if frequency.isdigit() and 0 < int(frequency) < 100_000 else 1
        return timedelta(hours=_PERIOD_HOURS[period]) / per_period
    return None


def _feed_link(feed: Mapping[str, Any], rel: str, base: str) -> str | None:
    for link in feed.get("links", ()):
        if link.get("rel") == rel:
            url = http_url(link.get("href"), base)
            if url is not None:
                return url
    return None


def describe_bozo(error: BaseException) -> str:
    """A readable line for feedparser's `bozo_exception` ("line 12: mismatched tag")."""
    if isinstance(error, xml.sax.SAXParseException):
        return f"line {error.getLineNumber()}: {error.getMessage()} (read leniently)"
    return f"{type(error).__name__}: {error}"


def _as_plain(value: Any) -> Any:
    """feedparser's dicts as plain dicts: its own key aliases warn (DeprecationWarning) on some lookups."""
    if isinstance(value, dict):
        return {key: _as_plain(item) for key, item in dict.items(value)}
    if isinstance(value, list):
        return [_as_plain(item) for item in value]
    return value


def run_feedparser(body: bytes, url: str, content_type: str | None) -> tuple[dict[str, Any], list[str]]:
    """feedparser's result (as plain dicts) for the document, decoded by our charset rules, and charset notes."""
    decoded = decode_document(body, content_type, "xml")
    data = decoded.text.lstrip().encode("utf-8", errors="replace")
    headers = {"content-type": "application/xml; charset=utf-8", "content-location": url}
    result = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=False,
                              resolve_relative_uris=False)
    return _as_plain(result), [f"charset: {decoded.note}"] if decoded.note else []


def parse_xml_feed(result: Mapping[str, Any], url: str, kind: str, notes: list[str]) -> ParsedFeed:
    """Our ParsedFeed from a feedparser result already known to hold a feed of `kind`."""
    problems = list(notes)
    if result.get("bozo") and result.get("bozo_exception") is not None:
        problems.append(describe_bozo(result["bozo_exception"]))
    feed = result.get("feed", {})
    entries: list[Entry] = []
    for number, raw in enumerate(result.get("entries", ()), start=1):
        entry, entry_notes = to_entry(raw, url, number)
        problems.extend(entry_notes)
        if entry is not None:
            entries.append(entry)
    return ParsedFeed(
        kind=kind,
        title=plain(feed.get("title"), feed.get("title_detail")),
        entries=tuple(entries),
        problems=tuple(problems),
        hub=_feed_link(feed, "hub", url),
        self_url=_feed_link(feed, "self", url),
        ttl=feed_ttl(feed),
    )
