"""The article extractor: page bytes (and URL) in, Article out; pure and never raising."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from monitor.extract.body import extract_body
from monitor.extract.decode import decode_html, utf8_bytes
from monitor.extract.edges import trim_edges
from monitor.extract.language import guess_language
from monitor.extract.metadata import PageMeta, read_metadata
from monitor.extract.structured import LONGER_BY, prefer_stated, stated_body_text
from monitor.extract.verdict import classify


@dataclass(frozen=True, slots=True)
class Article:
    """One extracted page: main text and the metadata a monitor needs."""

    url: str | None
    canonical_url: str | None
    title: str | None
    text: str
    author: str | None
    published: datetime | None  # aware, in the publisher's own UTC offset where the page shows it
    language: str | None
    image: str | None
    problem: str | None


def _failed(url: str | None, problem: str) -> Article:
    """An empty Article carrying only the reason it is empty."""
    return Article(url, None, None, "", None, None, None, None, problem)


def _extract(html: bytes | str, url: str | None) -> Article:
    """The extraction itself; may raise on pathological input, which extract_article catches."""
    source: bytes | str
    if isinstance(html, bytes):
        raw = utf8_bytes(html)  # valid UTF-8 goes to the parser as is, saving a decode/encode round trip
        source = raw if raw is not None else decode_html(html)
    else:
        source = html
    if not source or source.isspace():
        return _failed(url, "empty page")
    tree = LexborHTMLParser(source)
    meta: PageMeta = read_metadata(tree, url, source)
    body = extract_body(tree, amp=meta.is_amp)
    main_text = trim_edges(body.text, meta.title, meta.author)
    if meta.ld_body and len(meta.ld_body) >= LONGER_BY * len(main_text):  # else not worth cleaning
        stated = stated_body_text(meta.ld_body)
        if prefer_stated(main_text, stated):
            main_text = stated
    language = meta.language or guess_language(main_text or (meta.title or ""))
    problem = classify(meta.title, main_text, body.page_text_length, body.link_density, meta.has_password)
    return Article(
        url=url,
        canonical_url=meta.canonical_url,
        title=meta.title,
        text=main_text,
        author=meta.author,
        published=meta.published,
        language=language,
        image=meta.image,
        problem=problem,
    )


def extract_article(html: bytes | str, url: str | None = None) -> Article:
    """Extract the main text and metadata of one page; never raises (problem says what went wrong)."""
    try:
        return _extract(html, url)
    except Exception as error:  # a pure extractor turns any failure into a result
        return _failed(url, f"unparseable: {type(error).__name__}")


def article_to_json(article: Article) -> dict[str, Any]:
    """A JSON-ready dict of an Article (dates as ISO 8601 strings)."""
    return {
        "url": article.url,
        "canonical_url": article.canonical_url,
        "title": article.title,
        "author": article.author,
        "published": article.published.isoformat() if article.published else None,
        "language": article.language,
        "image": article.image,
        "problem": article.problem,
        "text": article.text,
    }
