"""HTML listing pages (a section front without a feed): the article links on the page.

With CSS selectors (from the feed's config) the selected elements are the article links (an
element that is not an `<a>` contributes the first link inside it). Without selectors a default
rule keeps links that look like articles: same site, outside navigation, a path with an article
shape (a date, a numeric id, or a long slug) and, unless that shape is strong, anchor text of
several words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from monitor.extract.urls import same_site
from monitor.sources.model import Entry, ParsedFeed
from monitor.sources.text import squash
from monitor.sources.xmlfeed import http_url

_NAV_TAGS = frozenset({"nav", "aside", "menu", "form"})
_PAGE_FRAME_TAGS = frozenset({"header", "footer"})  # navigation unless inside an article or main
_CONTENT_TAGS = frozenset({"article", "main"})
_NAV_WORDS = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|breadcrumbs?|footer|masthead|topbar|sidebar|social|share|"
    r"pagination|pager|cookie|subscribe|newsletter|login|account)(?:$|[\s_-])",
    re.I,
)
_EXCLUDED_SEGMENTS = frozenset(
    str.split(
        """tag tags category categories topic topics author authors profile user users people login logout
    signin sign-in signup sign-up register subscribe subscription account search about about-us
    contact contact-us
    privacy privacy-policy terms cookies imprint impressum help faq feed rss newsletter newsletters page
    wp-login.php wp-admin cdn-cgi share print archive archives section sections"""
    )
)
_NON_ARTICLE_EXT = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|pdf|zip|mp3|mp4|avi|mov|css|js|xml|rss|atom|json|ico|woff2?)$", re.I
)
_DATE_PATH = re.compile(
    r"/(?:19|20)\d\d(?:/|-|_)?(?:0?[1-9]|1[0-2])(?:(?:/|-|_)?(?:0?[1-9]|[12]\d|3[01]))?(?:/|$|-)"
)
_NUMERIC_ID = re.compile(
    r"(?:^|[/_.-])(?:[a-z]{0,3})?\d{5,}(?:$|[/_.-])|(?:^|[/_.-])\d{4,}\.(?:s?html?|php)", re.I
)
_SLUG_WORD = re.compile(r"[^\W_]+")
_SCRIPTS_WITHOUT_SPACES = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")


@dataclass(slots=True)
class _Candidate:
    url: str
    title: str | None


def _inside_navigation(node: LexborNode) -> bool:
    in_frame = False
    parent = node.parent
    while parent is not None and parent.tag not in ("body", "html"):
        if parent.tag in _CONTENT_TAGS:
            in_frame = False  # an article's own <header>/<footer> holds its headline and byline
        elif parent.tag in _PAGE_FRAME_TAGS:
            in_frame = True
        if parent.tag in _NAV_TAGS:
            return True
        attrs = parent.attributes
        if attrs.get("role") in ("navigation", "banner", "contentinfo", "menu", "menubar"):
            return True
        labels = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
        if labels.strip() and _NAV_WORDS.search(labels):
            return True
        parent = parent.parent
    return in_frame


def _word_count(text: str) -> int:
    if _SCRIPTS_WITHOUT_SPACES.search(text):
        return len(text) // 4  # about one word per few characters in scripts written without spaces
    return len(text.split())


def article_shape(path: str) -> int:
    """How strongly a URL path looks like an article: 0 (not at all) to 3 (date, id and long slug)."""
    segments = [segment for segment in path.lower().split("/") if segment]
    if not segments or _NON_ARTICLE_EXT.search(path):
        return 0
    if any(segment in _EXCLUDED_SEGMENTS for segment in segments):
        return 0
    score = 0
    if _DATE_PATH.search(path + "/"):
        score += 1
    if _NUMERIC_ID.search(path):
        score += 1
    last = segments[-1].rsplit(".", 1)[0]
    words = _SLUG_WORD.findall(last)
    if len(words) >= 4 or (len(words) >= 3 and len(last) >= 20):
        score += 1
    return score


def _link_text(node: LexborNode) -> str | None:
    text = squash(node.text(deep=True, separator=" "))
    if text:
        return text
    for attribute in ("title", "aria-label"):
        if node.attributes.get(attribute):
            return squash(node.attributes[attribute])
    image = node.css_first("img[alt]")
    return squash(image.attributes.get("alt")) if image is not None else None


def _without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment=""))


def _base_url(tree: LexborHTMLParser, url: str) -> str:
    base = tree.css_first("base[href]")
    href = base.attributes.get("href") if base is not None else None
    return http_url(href, url) or url


def _selected_links(
    tree: LexborHTMLParser, selectors: Sequence[str], problems: list[str]
) -> list[LexborNode]:
    links: list[LexborNode] = []
    for selector in selectors:
        try:
            matched = tree.css(selector)
        except (SelectolaxError, ValueError) as error:
            problems.append(f"CSS selector {selector!r} is invalid: {error}")
            continue
        if not matched:
            problems.append(f"CSS selector {selector!r} matched nothing")
        for node in matched:
            link = node if node.tag == "a" and "href" in node.attributes else node.css_first("a[href]")
            if link is not None:
                links.append(link)
    return links


def parse_listing(
    text: str, url: str, selectors: Sequence[str] = (), notes: Sequence[str] = ()
) -> ParsedFeed:
    """Article links of an HTML listing page (already decoded), by selectors or the default rule."""
    problems = list(notes)
    tree = LexborHTMLParser(text)
    base = _base_url(tree, url)
    page = _without_fragment(url)
    title_node = tree.css_first("title")
    title = squash(title_node.text()) if title_node is not None else None
    chosen: dict[str, _Candidate] = {}

    def keep(link_url: str, link_title: str | None) -> None:
        known = chosen.get(link_url)
        if known is None:
            chosen[link_url] = _Candidate(link_url, link_title)
        elif link_title and len(link_title) > len(known.title or ""):
            known.title = link_title

    if selectors:
        for node in _selected_links(tree, selectors, problems):
            link_url = http_url(node.attributes.get("href"), base)
            if link_url is not None and _without_fragment(link_url) != page:
                keep(_without_fragment(link_url), _link_text(node))
    else:
        for node in tree.css("a[href]"):
            link_url = http_url(node.attributes.get("href"), base)
            if link_url is None or not same_site(link_url, url):
                continue
            link_url = _without_fragment(link_url)
            if link_url == page or _inside_navigation(node):
                continue
            shape = article_shape(urlsplit(link_url).path)
            link_title = _link_text(node)
            words = _word_count(link_title or "")
            if shape >= 2 or (shape >= 1 and words >= 3):
                keep(link_url, link_title if words >= 2 else None)
            elif link_url in chosen and words >= 3:
                keep(link_url, link_title)  # a better title for a link already taken
    if not chosen:
        problems.append("no article links found on the page")
    entries = tuple(Entry(url=candidate.url, title=candidate.title) for candidate in chosen.values())
    return ParsedFeed(kind="html", title=title, entries=entries, problems=tuple(problems))
