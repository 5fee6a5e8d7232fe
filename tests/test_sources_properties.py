"""Property-based tests: any bytes into the source parsers, only ParseError out."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.sources import ParsedFeed, ParseError, decode_html, discover_feeds, parse_source
from monitor.sources.dates import parse_date

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sources"
SEEDS = [path.read_bytes() for path in sorted(FIXTURES.iterdir()) if path.suffix != ".md"]

FRAGMENTS = [
    "<?xml version='1.0' encoding='utf-8'?>", "<?xml version='1.0' encoding='utf-16'?>",
    "<?xml version='1.0' encoding='bogus'?>", "<!DOCTYPE rss [<!ENTITY e 'x'>]>", "<rss version='2.0'>",
    "<channel>", "</channel>", "<item>", "</item>", "<title>", "</title>", "<link>", "</link>",
    "<feed xmlns='http://www.w3.org/2005/Atom'>", "<entry>", "</entry>", "<link href='", "'/>",
    "<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>", "<urlset>", "<url><loc>",
    "</loc></url>", "<sitemapindex><sitemap><loc>", "<news:publication_date>", "<lastmod>",
    "<pubDate>", "</pubDate>", "Thu,28 Jul 2022 4:35:5 GMT+9", "2024-02-30T25:61:00Z", "9999-12-31",
    "http://example.com/a", "https://例え.jp/記事", "javascript:x", "/relative/2024/05/01/a-b-c-d",
    "&amp;", "&#xD800;", "&#0;", "&nosuch;", "<![CDATA[", "]]>", "<!--", "-->", "\x00", "\ufeff", "\u202e",
    "<html><body>", "<a href='/2024/01/02/one-two-three-four'>One two three</a>", "<base href='//x'>",
    "<meta charset='koi8-r'>", "<link rel='alternate' type='application/rss+xml' href='", "{", "}",
    '"version": "https://jsonfeed.org/version/1.1",', '"items": [', "]", '{"url": "', '"}', "[" * 50,
]
CONTENT_TYPES = [
    None, "text/html", "text/html; charset=utf-16", "application/json", "application/feed+json",
    "text/xml", "application/rss+xml; charset=bogus", "application/xml; charset=cp037", "text/plain",
]


def _check(body: bytes, content_type: str | None, selectors: list[str]) -> None:
    try:
        feed = parse_source(body, "https://feed.example/path/feed", content_type, listing_selectors=selectors)
    except ParseError as error:
        assert str(error)
        return
    assert isinstance(feed, ParsedFeed)
    for entry in feed.entries:
        assert entry.url.startswith(("http://", "https://"))
        assert entry.published is None or entry.published.utcoffset() is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000) | st.binary(max_size=200).map(lambda tail: b"\x1f\x8b\x08" + tail),
       st.sampled_from(CONTENT_TYPES))
def test_random_bytes(body: bytes, content_type: str | None) -> None:
    """Arbitrary bytes (plain or gzip-looking) give a ParsedFeed with http(s) entries, or ParseError."""
    _check(body, content_type, [])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), max_size=40),
    st.sampled_from(CONTENT_TYPES),
    st.lists(st.text(max_size=10), max_size=2),
)
def test_feed_like_fragments(parts: list[str], content_type: str | None, selectors: list[str]) -> None:
    """Feed-, sitemap-, JSON- and HTML-shaped garbage (and arbitrary selectors) raise only ParseError."""
    text = "".join(parts)
    for encoding in ("utf-8", "utf-16"):
        _check(text.encode(encoding, errors="surrogatepass"), content_type, selectors)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_fixtures(seed: bytes, data: st.DataObject) -> None:
    """Real fixtures, truncated and with bytes overwritten, raise only ParseError."""
    cut = data.draw(st.integers(min_value=0, max_value=len(seed)))
    body = bytearray(seed[:cut])
    for _ in range(data.draw(st.integers(min_value=0, max_value=8))):
        if body:
            body[data.draw(st.integers(min_value=0, max_value=len(body) - 1))] = data.draw(st.integers(0, 255))
    _check(bytes(body), data.draw(st.sampled_from(CONTENT_TYPES)), [])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1500), st.sampled_from(CONTENT_TYPES))
def test_decode_and_discover_never_raise(body: bytes, content_type: str | None) -> None:
    """decode_html always returns text and discover_feeds a list of http(s) URLs."""
    assert isinstance(decode_html(body, content_type), str)
    assert all(url.startswith(("http://", "https://")) for url in discover_feeds(body, "https://x.example/"))


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60) | st.sampled_from(FRAGMENTS))
def test_parse_date_is_total(text: str) -> None:
    """parse_date returns an aware UTC datetime or None for any text."""
    parsed = parse_date(text)
    assert parsed is None or parsed.utcoffset() is not None
