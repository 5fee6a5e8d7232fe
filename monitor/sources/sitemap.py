"""Sitemaps: indexes (child sitemaps), URL sets, and Google News sitemaps.

Read with a tolerant scanner rather than an XML parser: real sitemaps are often not well-formed
(bare '&' in URLs, truncated files), the format is flat, and no entity or DTD is ever expanded.
"""

from __future__ import annotations

import html
import re

from monitor.sources.charset import decode_document
from monitor.sources.dates import parse_date
from monitor.sources.model import Entry, ParsedFeed
from monitor.sources.text import squash
from monitor.sources.xmlfeed import http_url

_P = r"(?:[\w.-]+:)?"  # optional namespace prefix
_BLOCK = {
    name: re.compile(rf"<{_P}{name}\b[^>]*>(.*?)(?:</{_P}{name}\s*>|(?=<{_P}{name}\b)|\Z)", re.S | re.I)
    for name in ("url", "sitemap")
}
_NESTED = re.compile(rf"<({_P}(?:image|video|link))\b[^>]*?(?:/>|>.*?</\1\s*>)", re.S | re.I)
_NEWS = re.compile(rf"<{_P}news\b[^>]*>(.*?)</{_P}news\s*>", re.S | re.I)
_FIELDS = {
    name: re.compile(rf"<{_P}{name}\b[^>]*>(.*?)</{_P}{name}\s*>", re.S | re.I)
    for name in ("loc", "lastmod", "publication_date", "title")
}
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)


def _value(pattern_name: str, block: str) -> str | None:
    match = _FIELDS[pattern_name].search(block)
    if match is None:
        return None
    raw = _CDATA.sub(lambda m: html.escape(m.group(1), quote=False), match.group(1))
    return squash(html.unescape(re.sub(r"<[^>]*>", "", raw)))


def parse_sitemap(body: bytes, url: str, content_type: str | None, root: str) -> ParsedFeed:
    """A sitemap index (`root` "sitemapindex") or URL set ("urlset"), news sitemaps detected by content."""
    decoded = decode_document(body, content_type, "xml")
    text = decoded.text
    problems = [f"charset: {decoded.note}"] if decoded.note else []
    if root == "sitemapindex":
        children: list[str] = []
        for index, block in enumerate(_BLOCK["sitemap"].findall(text), start=1):
            child = http_url(_value("loc", block), url)
            if child is None:
                problems.append(f"sitemap {index}: no http(s) <loc>; skipped")
            elif child not in children:
                children.append(child)
        return ParsedFeed(kind="sitemapindex", problems=tuple(problems), child_sitemaps=tuple(children))

    entries: list[Entry] = []
    seen: set[str] = set()
    is_news = False
    for index, block in enumerate(_BLOCK["url"].findall(text), start=1):
        news_match = _NEWS.search(block)
        news = news_match.group(1) if news_match else ""
        own = _NESTED.sub(" ", _NEWS.sub(" ", block))
        loc = http_url(_value("loc", own), url)
        if loc is None:
            problems.append(f"url {index}: no http(s) <loc>; skipped")
            continue
        if loc in seen:
            continue
        seen.add(loc)
        is_news = is_news or bool(news_match)
        date_text = (_value("publication_date", news) if news else None) or _value("lastmod", own)
        published = parse_date(date_text) if date_text else None
        if date_text and published is None:
            problems.append(f"url {index}: unreadable date {date_text!r}")
        entries.append(
            Entry(url=loc, title=_value("title", news) if news else None, published=published)
        )
    return ParsedFeed(kind="newssitemap" if is_news else "sitemap", entries=tuple(entries),
                      problems=tuple(problems))
