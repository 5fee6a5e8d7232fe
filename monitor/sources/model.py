"""What the source parsers return: one `ParsedFeed` holding the `Entry` items a source lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

KINDS = ("rss", "atom", "rdf", "jsonfeed", "sitemap", "sitemapindex", "newssitemap", "html")


class ParseError(Exception):
    """The body is not a source this package can read (not a feed, sitemap or HTML page)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One item a source lists.

    `url` is the absolute http(s) link as the source gives it (resolved against xml:base or the
    source URL, not canonicalised). `published` is timezone-aware UTC. `summary` is plain text.
    `guid` is the feed's id for the entry (a relative id is resolved against the feed URL, as feedparser does).
    `content_html` is the full content markup when the source carries it, as given (not sanitised:
    never render it unescaped).
    """

    url: str
    title: str | None = None
    published: datetime | None = None
    summary: str | None = None
    guid: str | None = None
    author: str | None = None
    content_html: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """The parsed source: its kind, its entries and what was wrong with it (`problems`, readable)."""

    kind: str
    title: str | None = None
    entries: tuple[Entry, ...] = ()
    problems: tuple[str, ...] = ()
    hub: str | None = None
    self_url: str | None = None
    ttl: timedelta | None = None
    child_sitemaps: tuple[str, ...] = ()
    # RSS/RDF/Atom: (digest, date) of every item read, in document order, to pass back as ``seen`` next time;
    # None when the items could not be told apart at the byte level. ``known``: items skipped as seen.
    items: tuple[tuple[str, datetime | None], ...] | None = None
    known: int = 0
