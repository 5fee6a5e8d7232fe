"""Property tests: the extractor is total (any input gives an Article) and pure."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.extract import Article, extract_article

_TAGS = st.sampled_from(["p", "div", "a", "span", "article", "script", "li", "ul", "h1", "br", "meta", "time"])
_FRAGMENTS = st.one_of(
    st.text(max_size=40),
    _TAGS.map(lambda tag: f"<{tag}>"),
    _TAGS.map(lambda tag: f"</{tag}>"),
    st.just('<meta charset="koi8-r">'),
    st.just('<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"'),
    st.just('<link rel="canonical" href="'),
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_an_article(data: bytes) -> None:
    """Arbitrary bytes never raise: the result is an Article whose text is a string."""
    article = extract_article(data, "https://example.org/a")
    assert isinstance(article, Article)
    assert isinstance(article.text, str)
    assert article.text or article.problem


@settings(max_examples=300, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=60).map("".join))
def test_any_tag_soup_gives_the_same_article_twice(html: str) -> None:
    """Broken markup never raises, and extracting twice gives equal results (no hidden state)."""
    first = extract_article(html)
    assert isinstance(first, Article)
    assert extract_article(html) == first
    if first.published is not None:
        assert first.published.tzinfo is not None
