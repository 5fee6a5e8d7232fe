"""Sitemaps, HTML listing pages and feed discovery."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.sources import ParseError, discover_feeds, parse_source
from monitor.sources.listing import article_shape

SITE = "https://news.example.org/asia/"


def _read(fixtures: Path, name: str) -> bytes:
    return (fixtures / "sources" / name).read_bytes()


def test_news_sitemap_dates_and_titles(fixtures: Path) -> None:
    """news:publication_date beats lastmod, news:title is the title, image:loc is not taken as the URL."""
    feed = parse_source(_read(fixtures, "news-sitemap.xml"), "https://news.example.org/sitemap-news.xml")
    assert feed.kind == "newssitemap"
    assert [entry.url for entry in feed.entries] == [
        "https://news.example.org/asia/2024/05/12/kunduz-market-fire",
        "https://news.example.org/asia/2024/05/11/termez-trade-fair?id=7&lang=en",
        "https://news.example.org/asia/2024/05/10/panjshir-roads",
    ]
    first, second, third = feed.entries
    assert first.title == "Fire destroys dozens of shops in Kunduz market"
    assert first.published == datetime(2024, 5, 12, 5, 10, tzinfo=UTC)  # 09:40 +04:30
    assert second.title == "Termez trade fair draws Afghan & Uzbek traders"
    assert second.published == datetime(2024, 5, 11, tzinfo=UTC)
    assert third.title is None
    assert third.published == datetime(2024, 5, 10, 6, 0, tzinfo=UTC)  # from lastmod


def test_plain_urlset_is_a_sitemap() -> None:
    """A urlset without news tags is kind 'sitemap'; a bare '&' does not stop the scan."""
    body = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://a.example/p?x=1&y=2</loc><lastmod>2023-11-02</lastmod></url>
<url><loc>https://a.example/q</loc></url></urlset>"""
    feed = parse_source(body, "https://a.example/sitemap.xml")
    assert feed.kind == "sitemap"
    assert [entry.url for entry in feed.entries] == ["https://a.example/p?x=1&y=2", "https://a.example/q"]
    assert feed.entries[0].published == datetime(2023, 11, 2, tzinfo=UTC)


def test_gzipped_sitemap(fixtures: Path) -> None:
    """A gzip-compressed sitemap (sitemap.xml.gz) is inflated and read; corrupt gzip is a ParseError."""
    packed = gzip.compress(_read(fixtures, "news-sitemap.xml"))
    feed = parse_source(packed, "https://news.example.org/sitemap-news.xml.gz", "application/x-gzip")
    assert feed.kind == "newssitemap" and len(feed.entries) == 3
    with pytest.raises(ParseError, match="gzip"):
        parse_source(packed[:40] + b"\x00" * 40, "https://news.example.org/s.xml.gz")


def test_sitemap_index_lists_children(fixtures: Path) -> None:
    """A sitemap index yields its child sitemaps (relative ones resolved, non-http ones reported)."""
    feed = parse_source(_read(fixtures, "sitemap-index.xml"), "https://news.example.org/sitemap.xml")
    assert feed.kind == "sitemapindex"
    assert feed.entries == ()
    assert feed.child_sitemaps == (
        "https://news.example.org/sitemaps/news.xml",
        "https://news.example.org/sitemaps/2024-05.xml",
    )
    assert any("sitemap 3" in problem for problem in feed.problems)


def test_listing_default_rule_finds_articles(fixtures: Path) -> None:
    """Without selectors, same-site article-shaped links outside nav/header/footer are taken."""
    feed = parse_source(_read(fixtures, "listing-section.html"), SITE, "text/html; charset=utf-8")
    assert feed.kind == "html"
    assert feed.title == "Central Asia – Example News"
    assert [(entry.url, entry.title) for entry in feed.entries] == [
        ("https://news.example.org/asia/2024/05/12/kunduz-market-fire",
         "Fire destroys dozens of shops in Kunduz market"),
        ("https://news.example.org/asia/termez-trade-fair-draws-afghan-and-uzbek-traders-48213?utm_medium=river",
         "Termez trade fair draws Afghan and Uzbek traders"),
        ("https://news.example.org/asia/story/1234567", "Border guards report clash near Ishkashim"),
    ]


def test_listing_selectors_pick_links(fixtures: Path) -> None:
    """CSS selectors choose the links: a container contributes its first link; bad selectors are reported."""
    feed = parse_source(
        _read(fixtures, "listing-section.html"),
        SITE,
        "text/html",
        listing_selectors=["article.teaser h2", "div.promo a", "nav >>> a"],
    )
    assert [entry.url for entry in feed.entries] == [
        "https://news.example.org/asia/2024/05/12/kunduz-market-fire",
        "https://news.example.org/asia/termez-trade-fair-draws-afghan-and-uzbek-traders-48213?utm_medium=river",
        "https://news.example.org/asia/story/1234567",
        "https://other-site.example.com/2024/05/12/sponsored-story-about-something",
    ]
    assert any("nav >>> a" in problem for problem in feed.problems)


def test_article_shape_scores() -> None:
    """Dates, numeric ids and long slugs count; tag/author/login paths and files do not."""
    assert article_shape("/2024/05/12/kunduz-market-fire") >= 1
    assert article_shape("/world/asia/taliban-officials-meet-tajik-delegation-in-dushanbe") == 1
    assert article_shape("/news/world-asia-68934512") == 1
    assert article_shape("/2024/05/12/some-very-long-article-slug-here-48213") == 3
    for path in ("/", "/asia/", "/tag/afghanistan", "/authors/jane-doe-smith-jones", "/login",
                 "/2024/05/12/photo.jpg", "/asia/page/2"):
        assert article_shape(path) == 0, path


def test_discover_feeds(fixtures: Path) -> None:
    """<link rel=alternate> feeds of RSS, Atom and JSON types are found and absolutised, others ignored."""
    assert discover_feeds(_read(fixtures, "listing-section.html"), SITE) == [
        "https://news.example.org/asia/rss.xml",
        "https://news.example.org/asia/atom.xml",
        "https://news.example.org/asia/feed.json",
    ]


def test_discover_feeds_uses_base_href() -> None:
    """<base href> changes what relative feed links resolve against."""
    page = b'<html><head><base href="https://cdn.example/x/"><link rel="Alternate feed" ' \
           b'type="application/atom+xml; charset=utf-8" href="atom"></head></html>'
    assert discover_feeds(page, "https://site.example/") == ["https://cdn.example/x/atom"]


def test_listing_keeps_article_headers_and_wordpress_classes() -> None:
    """Links in an article's own <header> and in WordPress 'tag-*' classed posts are kept; page header links not."""
    page = b"""<html><body><header><a href="/2024/05/01/site-header-link-looks-like-article">Site header
    link looks like article</a></header><main>
    <article class="post-7 post type-post category-news tag-afghanistan"><header><h2>
    <a href="/2024/05/01/taliban-and-tajik-officials-meet">Taliban and Tajik officials meet</a></h2></header></article>
    <div class="menu-item"><a href="/2024/05/01/menu-link-with-a-long-slug-here">Menu link with long slug</a></div>
    </main></body></html>"""
    feed = parse_source(page, "https://news.example.org/", "text/html")
    assert [entry.url for entry in feed.entries] == ["https://news.example.org/2024/05/01/taliban-and-tajik-officials-meet"]


def test_feed_link_whitespace() -> None:
    """Line breaks inside a feed's <link> are removed and inner spaces escaped."""
    body = b"<rss version='2.0'><channel><item><title>t</title><link>\n  https://a.example/x/\n  y z\n</link>" \
           b"</item></channel></rss>"
    assert parse_source(body, "https://a.example/feed").entries[0].url == "https://a.example/x/y%20z"
