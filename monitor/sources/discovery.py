"""Feeds a page advertises with `<link rel="alternate" type="...">`."""

from __future__ import annotations

from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from monitor.sources.charset import decode_html
from monitor.sources.xmlfeed import http_url

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "application/x.atom+xml",
        "application/x-atom+xml",
        "text/xml",
        "application/xml",
    }
)


def discover_feeds(html: bytes, url: str) -> list[str]:
    """Absolute URLs of the RSS/Atom/JSON feeds a page links to, in page order, without duplicates."""
    tree = LexborHTMLParser(decode_html(html, None))
    base_node = tree.css_first("base[href]")
    base = http_url(base_node.attributes.get("href"), url) if base_node is not None else None
    base = base or url
    found: list[str] = []
    for node in tree.css("link[href]"):
        rels = (node.attributes.get("rel") or "").lower().split()
        media_type = (node.attributes.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rels or media_type not in FEED_TYPES:
            continue
        feed_url = http_url(node.attributes.get("href"), base)
        if feed_url is not None and feed_url not in found:
            found.append(feed_url)
    return found


COMMON_FEED_PATHS = (
    "/feed",
    "/rss",
    "/feed.xml",
    "/rss.xml",
    "/atom.xml",
    "/index.xml",
    "/feeds/posts/default",
    "/?feed=rss2",
)


def common_feed_urls(url: str) -> list[str]:
    """Where sites usually keep their feed, on the host of ``url`` (tried when a page advertises none)."""
    parts = urlsplit(url)
    root = f"{parts.scheme}://{parts.netloc}"
    return [root + path for path in COMMON_FEED_PATHS]
