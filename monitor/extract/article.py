"""The article extractor: page bytes (and URL) in, Article out; pure and never raising."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from monitor.extract.body import extract_body
from monitor.extract.decode import decode_html, utf8_bytes
from monitor.extract.language import guess_language
from monitor.extract.metadata import PageMeta, read_metadata
from monitor.extract.verdict import SHORT_TEXT, classify


@dataclass(frozen=True, slots=True)
class Article:
    """One extracted page: main text and the metadata a monitor needs."""

    url: str | None
    canonical_url: str | None
    title: str | None
    text: str
    author: str | None
    published: datetime | None
    language: str | None
    image: str | None
    problem: str | None


def _failed(url: str | None, problem: str) -> Article:
    """An empty Article carrying only the reason it is empty."""
    return Article(url, None, None, "", None, None, None, None, problem)


def _link_text_length(tree: LexborHTMLParser) -> int:
    """Characters of link text on the whole page (read before the body is cleaned)."""
    return sum(len(node.text(deep=True).strip()) for node in tree.css("body a"))


def _extract(html: bytes | str, url: str | None) -> Article:
    """The extraction itself; may raise on pathological input, which extract_article catches."""
    source: bytes | str
    if isinstance(html, bytes):
        raw = utf8_bytes(html)  # valid UTF-8 goes to the parser as is, saving a decode/encode round trip
        source = raw if raw is not None else decode_html(html)
    else:
        source = html
    if not source.strip():
        return _failed(url, "empty page")
    tree = LexborHTMLParser(source)
    meta: PageMeta = read_metadata(tree, url)
    body = extract_body(tree)
    main_text = body.text
    # Link share only matters for short results (section fronts); measured on the cleaned page.
    link_length = _link_text_length(tree) if len(main_text) < SHORT_TEXT else 0
    language = meta.language or guess_language(main_text or (meta.title or ""))
    problem = classify(tree, meta.title, main_text, body.page_text_length, link_length, body.paragraphs)
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
