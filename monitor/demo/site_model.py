"""The demo news site as data: its manifest, its feeds rendered as RSS 2.0 or Atom 1.0, and its pages.

Pure: text in, values or bytes out. The server (monitor.demo.server) reads the files and calls these.
A page template holds the literal placeholder ``{base}`` for the server's base URL; ``{{`` and ``}}``
stand for literal braces.
"""

from __future__ import annotations

import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

__all__ = [
    "ArticleInfo",
    "FeedInfo",
    "Site",
    "load_manifest",
    "page_path",
    "published_at",
    "render_feed",
    "render_page",
]

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_FORMATS = ("rss", "atom")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FEED_PATH = re.compile(r"[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9.-]*\.xml")
_PLACEHOLDER = re.compile(r"\{base\}|\{\{|\}\}")


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """One feed of the site: where it is served and in which format."""

    name: str
    path: str
    format: str
    title: str
    description: str = ""
    author: str = ""

    @property
    def folder(self) -> str:
        """The folder of the feed's path; its articles' pages are served under it."""
        return self.path.rsplit("/", 1)[0]


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    """One article: its page (pages/<slug>.html), its feed and when it was published."""

    slug: str
    feed: str
    hours_ago: float
    title: str
    summary: str
    author: str = ""
    repost_of: str | None = None
    repost_of_seed: str | None = None


@dataclass(frozen=True, slots=True)
class Site:
    """The whole demo site: its feeds and articles, in manifest order."""

    title: str
    description: str
    feeds: tuple[FeedInfo, ...]
    articles: tuple[ArticleInfo, ...]

    def feed(self, name: str) -> FeedInfo:
        """The feed called `name` (KeyError if there is none)."""
        for feed in self.feeds:
            if feed.name == name:
                return feed
        raise KeyError(name)

    def article(self, slug: str) -> ArticleInfo:
        """The article with `slug` (KeyError if there is none)."""
        for article in self.articles:
            if article.slug == slug:
                return article
        raise KeyError(slug)

    def articles_of(self, feed_name: str) -> tuple[ArticleInfo, ...]:
        """The articles listed by one feed, in manifest order."""
        return tuple(article for article in self.articles if article.feed == feed_name)


def _text(table: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    """A string field of a manifest table; ValueError naming the table and key when missing or not text."""
    value = table.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"manifest: {where}: '{key}' must be a non-empty string")
    return value


def _optional(table: dict[str, Any], key: str, where: str) -> str | None:
    """An optional string field (None when absent)."""
    return _text(table, key, where) if key in table else None


def _tables(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The array of tables `key` ([[key]]), which must be present and hold tables only."""
    items = data.get(key)
    if not isinstance(items, list) or not items or not all(isinstance(item, dict) for item in items):
        raise ValueError(f"manifest: needs at least one [[{key}]] table")
    return items


def _check_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    """Reject unknown keys, so a typo is reported instead of ignored."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ValueError(f"manifest: {where}: unknown key(s) {', '.join(unknown)}")


def _load_feed(table: dict[str, Any], index: int) -> FeedInfo:
    """One [[feeds]] table, validated."""
    where = f"feeds[{index}]"
    _check_keys(table, {"name", "path", "format", "title", "description", "author"}, where)
    name = _text(table, "name", where)
    where = f"feed '{name}'"
    path = _text(table, "path", where)
    if not _FEED_PATH.fullmatch(path):
        raise ValueError(f"manifest: {where}: path {path!r} must look like 'folder/name.xml'")
    feed_format = _text(table, "format", where)
    if feed_format not in FEED_FORMATS:
        raise ValueError(f"manifest: {where}: format {feed_format!r} must be one of {', '.join(FEED_FORMATS)}")
    return FeedInfo(
        name,
        path,
        feed_format,
        _text(table, "title", where),
        _text(table, "description", where, required=False),
        _text(table, "author", where, required=False),
    )


def _load_article(table: dict[str, Any], index: int) -> ArticleInfo:
    """One [[articles]] table, validated on its own (references are checked by load_manifest)."""
    where = f"articles[{index}]"
    _check_keys(
        table, {"slug", "feed", "hours_ago", "title", "summary", "author", "repost_of", "repost_of_seed"}, where
    )
    slug = _text(table, "slug", where)
    if not _SLUG.fullmatch(slug):
        raise ValueError(f"manifest: {where}: slug {slug!r} must be lower-case words joined by hyphens")
    where = f"article '{slug}'"
    hours_ago = table.get("hours_ago")
    if isinstance(hours_ago, bool) or not isinstance(hours_ago, int | float) or not 0 <= hours_ago < 24 * 366:
        raise ValueError(f"manifest: {where}: 'hours_ago' must be a number of hours from 0 to a year")
    repost_of, repost_of_seed = _optional(table, "repost_of", where), _optional(table, "repost_of_seed", where)
    if repost_of and repost_of_seed:
        raise ValueError(f"manifest: {where}: give 'repost_of' or 'repost_of_seed', not both")
    return ArticleInfo(
        slug,
        _text(table, "feed", where),
        float(hours_ago),
        _text(table, "title", where),
        _text(table, "summary", where),
        _text(table, "author", where, required=False),
        repost_of,
        repost_of_seed,
    )


def load_manifest(text: str) -> Site:
    """Parse and validate manifest.toml; ValueError saying what is wrong and where."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"manifest: not valid TOML: {error}") from None
    _check_keys(data, {"site", "feeds", "articles"}, "top level")
    site_table = data.get("site", {})
    if not isinstance(site_table, dict):
        raise ValueError("manifest: [site] must be a table")
    _check_keys(site_table, {"title", "description"}, "[site]")
    feeds = tuple(_load_feed(table, i) for i, table in enumerate(_tables(data, "feeds")))
    articles = tuple(_load_article(table, i) for i, table in enumerate(_tables(data, "articles")))
    for label, names in (
        ("feed name", [f.name for f in feeds]),
        ("feed path", [f.path for f in feeds]),
        ("feed folder", [f.folder for f in feeds]),
        ("article slug", [a.slug for a in articles]),
    ):
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise ValueError(f"manifest: {label} {name!r} appears twice")
            seen.add(name)
    feed_names = {feed.name for feed in feeds}
    slugs = {article.slug for article in articles}
    for article in articles:
        if article.feed not in feed_names:
            raise ValueError(f"manifest: article '{article.slug}': unknown feed {article.feed!r}")
        if article.repost_of is not None and (article.repost_of not in slugs or article.repost_of == article.slug):
            raise ValueError(
                f"manifest: article '{article.slug}': repost_of {article.repost_of!r} is not another article"
            )
    return Site(
        _text(site_table, "title", "[site]", required=False) or "Demo news site",
        _text(site_table, "description", "[site]", required=False),
        feeds,
        articles,
    )


def page_path(site: Site, article: ArticleInfo) -> str:
    """The URL path of an article's page, without a leading slash: '<feed folder>/<slug>.html'."""
    return f"{site.feed(article.feed).folder}/{article.slug}.html"


def _utc(now: datetime) -> datetime:
    """`now` in UTC to the whole second; ValueError for a naive datetime."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC).replace(microsecond=0)


def published_at(article: ArticleInfo, now: datetime) -> datetime:
    """When the article counts as published: `hours_ago` before `now` (UTC, whole seconds)."""
    return (_utc(now) - timedelta(hours=article.hours_ago)).replace(microsecond=0)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    """Append a child element with optional text and attributes."""
    child = ET.SubElement(parent, tag, attrs)
    if text is not None:
        child.text = text
    return child


def _rss(
    site: Site, feed: FeedInfo, entries: list[tuple[ArticleInfo, datetime]], base: str, now: datetime
) -> ET.Element:
    """An RSS 2.0 document for the entries (newest first)."""
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", feed.title)
    _sub(channel, "link", f"{base}/{feed.folder}/")
    _sub(channel, "description", feed.description or feed.title)
    _sub(channel, "language", "en")
    _sub(channel, "lastBuildDate", format_datetime(now, usegmt=True))
    _sub(channel, "generator", "frontier-monitor demo site")
    for article, published in entries:
        url = f"{base}/{page_path(site, article)}"
        item = _sub(channel, "item")
        _sub(item, "title", article.title)
        _sub(item, "link", url)
        _sub(item, "description", article.summary)
        _sub(item, "guid", url, isPermaLink="true")
        _sub(item, "pubDate", format_datetime(published, usegmt=True))
    return rss


def _atom(
    site: Site, feed: FeedInfo, entries: list[tuple[ArticleInfo, datetime]], base: str, now: datetime
) -> ET.Element:
    """An Atom 1.0 document for the entries (newest first)."""
    atom = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "en"})
    _sub(atom, "title", feed.title)
    if feed.description:
        _sub(atom, "subtitle", feed.description)
    _sub(atom, "id", f"{base}/{feed.folder}/")
    _sub(atom, "link", href=f"{base}/{feed.path}", rel="self", type="application/atom+xml")
    _sub(atom, "link", href=f"{base}/{feed.folder}/", rel="alternate", type="text/html")
    _sub(atom, "updated", (entries[0][1] if entries else now).isoformat())
    _sub(_sub(atom, "author"), "name", feed.author or feed.title)
    _sub(atom, "generator", "frontier-monitor demo site")
    for article, published in entries:
        url = f"{base}/{page_path(site, article)}"
        entry = _sub(atom, "entry")
        _sub(entry, "title", article.title)
        _sub(entry, "link", href=url, rel="alternate", type="text/html")
        _sub(entry, "id", url)
        _sub(entry, "published", published.isoformat())
        _sub(entry, "updated", published.isoformat())
        if article.author:
            _sub(_sub(entry, "author"), "name", article.author)
        _sub(entry, "summary", article.summary, type="text")
    return atom


def render_feed(site: Site, feed_name: str, base_url: str, now: datetime) -> bytes:
    """The feed `feed_name` as UTF-8 XML (RSS 2.0 or Atom 1.0), entries newest first, links under `base_url`."""
    feed = site.feed(feed_name)
    base = base_url.rstrip("/")
    now_utc = _utc(now)
    entries = sorted(
        ((a, published_at(a, now_utc)) for a in site.articles_of(feed_name)),
        key=lambda pair: (pair[1], pair[0].slug),
        reverse=True,
    )
    build = _rss if feed.format == "rss" else _atom
    root = build(site, feed, entries, base, now_utc)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def render_page(template: str, base_url: str) -> bytes:
    """A page template with ``{base}`` replaced by `base_url` (no trailing slash) and ``{{``/``}}`` unescaped."""
    base = base_url.rstrip("/")
    replacements = {"{base}": base, "{{": "{", "}}": "}"}
    return _PLACEHOLDER.sub(lambda match: replacements[match.group(0)], template).encode("utf-8")
