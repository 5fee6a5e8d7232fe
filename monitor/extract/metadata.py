"""Page metadata from JSON-LD, OpenGraph, <meta>, <link> and a few DOM hints, before any cleaning."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.extract.dates import date_from_url, parse_date
from monitor.extract.language import normalise_tag
from monitor.extract.published import choose_published

_ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
     "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "techarticle", "report",
     "liveblogposting", "socialmediaposting", "scholarlyarticle", "posting", "webpage:article"}
)
_PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "og:published_time", "datepublished",
    "article.published", "published_time", "publish-date", "publish_date", "publishdate", "pubdate",
    "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued", "dc.date.created",
    "dcterms.created", "dc.date", "dcterms.date", "date", "citation_publication_date",
    "article_date_original",
    "cxenseparse:recs:publishtime", "originalpublicationdate", "displaydate", "release_date", "created",
    "article:published", "og:pubdate", "rnews:datepublished", "timestamp",
)
_MODIFIED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "last-modified", "dc.date.modified",
)
_AUTHOR_META = (
    "author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "dcterms.creator",
    "byl", "byline", "citation_author", "og:article:author", "twitter:creator",
)
_BY_PREFIX = re.compile(r"^\s*(?:by|von|par|por|di|door|автор|от)\s*[:\-]?\s+", re.IGNORECASE)
_BYLINE_SPLIT = re.compile(r"\s*(?:[|•·,;]|\s[-–—]\s|\son\s|\s\d)")
_TITLE_SPLIT = re.compile(r"\s+[|\-–—»·:•/]{1,2}\s+")
_SPACE = re.compile(r"\s+")


@dataclass(slots=True)
class PageMeta:
    """Everything the head and structured data of a page say about it."""

    title: str | None = None
    canonical_url: str | None = None
    author: str | None = None
    published: datetime | None = None
    modified: datetime | None = None
    language: str | None = None
    image: str | None = None
    ld_body: str | None = None
    og_type: str | None = None
    ld_types: set[str] = field(default_factory=set)
    has_password: bool = False
    amp_url: str | None = None
    is_amp: bool = False  # the page is itself an AMP document (<html amp> or <html ⚡>)


def _clean(text: str | None) -> str | None:
    """Collapse whitespace; None for empty strings."""
    if text is None:
        return None
    text = _SPACE.sub(" ", text).strip()
    return text or None


_HEAD_QUERY = (
    'meta[content], link[rel~="canonical" i][href], link[rel~="amphtml" i][href], '
    'script[type="application/ld+json" i], input[type="password" i], '
    'input[class*="publish" i][value], title'
)


@dataclass(slots=True)
class _HeadNodes:
    """The elements metadata is read from, gathered in one pass over the tree."""

    metas: list[LexborNode] = field(default_factory=list)
    links: list[LexborNode] = field(default_factory=list)
    scripts: list[LexborNode] = field(default_factory=list)
    title: LexborNode | None = None
    has_password: bool = False
    publish_fields: list[str] = field(default_factory=list)


def _head_nodes(tree: LexborHTMLParser) -> _HeadNodes:
    """The page's <meta>, <link>, JSON-LD, first <title> and password fields, found in one pass."""
    found = _HeadNodes()
    for node in tree.css(_HEAD_QUERY):
        tag = node.tag
        if tag == "meta":
            found.metas.append(node)
        elif tag == "link":
            found.links.append(node)
        elif tag == "script":
            found.scripts.append(node)
        elif tag == "title":
            if found.title is None:
                found.title = node
        else:
            attrs = node.attributes
            if (attrs.get("type") or "").lower() == "password":
                found.has_password = True
            else:
                found.publish_fields.append(attrs.get("value") or "")
    return found


def _meta_map(metas: list[LexborNode]) -> dict[str, str]:
    """Lower-cased name/property/itemprop of each <meta> mapped to its first non-empty content."""
    found: dict[str, str] = {}
    for node in metas:
        attrs = node.attributes
        content = attrs.get("content")
        if not content or not content.strip():
            continue
        for key_attr in ("property", "name", "itemprop", "http-equiv"):
            key = attrs.get(key_attr)
            if key:
                found.setdefault(key.strip().lower(), content.strip())
    return found


def _ld_objects(scripts: list[LexborNode]) -> list[dict[str, Any]]:
    """Every JSON object found in the page's JSON-LD blocks, flattened through lists and @graph."""
    found: list[dict[str, Any]] = []
    for node in scripts:
        raw = node.text(deep=True).strip()
        if not raw:
            continue
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            try:
                data = json.loads(raw.strip().strip(";").replace("<!--", "").replace("-->", ""), strict=False)
            except ValueError:
                continue
        stack: list[Any] = [data]
        while stack and len(found) < 200:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                found.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(reversed(graph))
                main = item.get("mainEntity")
                if isinstance(main, dict):
                    stack.append(main)
    return found


def _types(obj: dict[str, Any]) -> set[str]:
    """The lower-cased @type values of a JSON-LD object."""
    kind = obj.get("@type")
    if isinstance(kind, str):
        return {kind.lower()}
    if isinstance(kind, list):
        return {value.lower() for value in kind if isinstance(value, str)}
    return set()


def _names(value: Any) -> list[str]:
    """Person names from a JSON-LD author value (string, object or list of them)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        names: list[str] = []
        for item in value:
            names.extend(_names(item))
        return names
    return []


def _image_url(value: Any) -> str | None:
    """An image URL from a JSON-LD image value (string, ImageObject or list)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        url = value.get("url") or value.get("contentUrl")
        return url if isinstance(url, str) else None
    if isinstance(value, list) and value:
        return _image_url(value[0])
    return None


def _plausible_author(name: str | None) -> str | None:
    """A cleaned author name, or None for URLs, handles and boilerplate."""
    name = _clean(name)
    if name is None:
        return None
    if name.startswith(("http://", "https://", "www.", "@")) or len(name) > 120 or len(name) < 3:
        return None
    name = _BY_PREFIX.sub("", name).strip(" ,|")
    if sum(char.isdigit() for char in name) > 2:  # a byline carrying a date: keep the part before it
        name = _BYLINE_SPLIT.split(name)[0].strip(" ,|")
        if any(char.isdigit() for char in name):
            return None
    return name or None


def _absolute(link: str | None, base: str | None) -> str | None:
    """An absolute http(s) URL for a link found in the page, or None."""
    link = _clean(link)
    if link is None:
        return None
    if link.startswith(("https://", "http://")) and " " not in link:
        return link if len(link) > 8 and link[8:].strip("/") else None
    try:
        joined = urljoin(base, link) if base else link
        parts = urlsplit(joined)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return joined


def _link_hrefs(links: list[LexborNode]) -> dict[str, str]:
    """The href of the first <link> of each rel value (lower case)."""
    found: dict[str, str] = {}
    for node in links:
        attrs = node.attributes
        href = attrs.get("href")
        if not href:
            continue
        for rel in (attrs.get("rel") or "").lower().split():
            found.setdefault(rel, href)
    return found


def _canonical(rels: dict[str, str], meta: dict[str, str], url: str | None) -> str | None:
    """The canonical URL from <link rel=canonical> or og:url, unless it points at a site's front page."""
    candidates: list[str | None] = [rels.get("canonical"), meta.get("og:url")]
    own_path = urlsplit(url).path if url else ""
    for candidate in candidates:
        absolute = _absolute(candidate, url)
        if absolute is None:
            continue
        if urlsplit(absolute).path in ("", "/") and own_path not in ("", "/"):
            continue  # a canonical pointing at the home page is a template mistake
        return absolute
    return None


def _title(
    tree: LexborHTMLParser, title_node: LexborNode | None, meta: dict[str, str], ld_title: str | None
) -> str | None:
    """The headline: og:title or JSON-LD headline, else an <h1> found in <title>, else <title> trimmed."""
    for candidate in (meta.get("og:title"), ld_title, meta.get("twitter:title")):
        cleaned = _clean(candidate)
        if cleaned:
            return cleaned
    head_title = _clean(title_node.text()) if title_node is not None else None
    h1 = tree.css_first("h1")
    h1_text = _clean(h1.text()) if h1 is not None else None
    if h1_text and (head_title is None or h1_text in head_title):
        return h1_text
    if head_title:
        parts = _TITLE_SPLIT.split(head_title)
        return max(parts, key=len) if len(parts) > 1 else head_title
    return h1_text


_AUTHOR_QUERY = (
    '[itemprop="author"] [itemprop="name"], [rel~="author" i], [itemprop="author"], [class*="byline" i], '
    '[class*="author" i]'
)


def _author_rank(attrs: dict[str, str | None]) -> int:
    """How strongly a node found by _AUTHOR_QUERY marks a byline (0 strongest), from its own attributes."""
    if attrs.get("itemprop") == "name":
        return 0
    if "author" in (attrs.get("rel") or "").lower().split():
        return 1
    if attrs.get("itemprop") == "author":
        return 2
    return 3 if "byline" in (attrs.get("class") or "").lower() else 4


def _in_comments(node: LexborNode) -> bool:
    """True when the node or one of its ancestors is a comment section (by class or id)."""
    current: LexborNode | None = node
    while current is not None and current.tag not in ("body", "html"):
        attrs = current.attributes
        if "comment" in f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower():
            return True
        current = current.parent
    return False


def _dom_author(tree: LexborHTMLParser) -> str | None:
    """An author name from byline elements in the page body (one query, strongest kind of byline first)."""
    ranked: list[tuple[int, int, LexborNode]] = []
    for position, node in enumerate(tree.css(_AUTHOR_QUERY)):
        ranked.append((_author_rank(node.attributes), position, node))
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    tried: set[int] = set()
    for rank, _, node in ranked:
        if rank in tried or _in_comments(node):
            continue  # only the first element of each kind is tried; commenters are not the author
        tried.add(rank)
        found = _plausible_author(node.text(deep=True, separator=" "))
        if found is not None and len(found) <= 80:
            return found
    return None


# Inline-JSON keys holding a publication date. Scanning a whole page for an alternation of keys is slow, so a
# pattern with a literal start ("ublish", "pubDate") finds the places, and the full pattern checks each one.
_KEYS_TEXT = (
    r"""["'](?:datePublished|publishedDate|date_published|published_at|publishDate|pubDate|"""
    r"""article_publish_date|published_date)["']\s*:\s*["']([^"']{8,40})["']"""
)
_SPOT_TEXT = r"""(?:ublish|pubDate)\w{0,8}["']\s*:"""
_KEYS = re.compile(_KEYS_TEXT)
_SPOT = re.compile(_SPOT_TEXT)
_KEYS_BYTES = re.compile(_KEYS_TEXT.encode("ascii"))
_SPOT_BYTES = re.compile(_SPOT_TEXT.encode("ascii"))


def _script_date_values(source: bytes | str) -> list[str]:
    """Values of the publication-date keys written in inline JSON anywhere in the raw page, in page order."""
    values: list[str] = []
    if isinstance(source, bytes):
        for spot in _SPOT_BYTES.finditer(source):
            found = _KEYS_BYTES.search(source, max(0, spot.start() - 14), spot.end() + 50)
            if found is not None and found.start() < spot.start():
                values.append(found.group(1).decode("utf-8", "replace"))
    else:
        for text_spot in _SPOT.finditer(source):
            text_match = _KEYS.search(source, max(0, text_spot.start() - 14), text_spot.end() + 50)
            if text_match is not None and text_match.start() < text_spot.start():
                values.append(text_match.group(1))
    return values


def _script_date(source: bytes | str | None, fields: list[str]) -> datetime | None:
    """A publication date written in inline JSON of the raw page or in hidden "publish" form fields."""
    for value in (_script_date_values(source) if source is not None else []) + fields:
        found = parse_date(value)
        if found is not None:
            return found
    return None


def read_metadata(tree: LexborHTMLParser, url: str | None, source: bytes | str | None = None) -> PageMeta:
    """Collect title, canonical URL, author, dates, language, image and JSON-LD body from a parsed page."""
    head = _head_nodes(tree)
    meta = _meta_map(head.metas)
    rels = _link_hrefs(head.links)
    page = PageMeta(has_password=head.has_password)
    ld_title = ld_author = ld_image = ld_language = None
    ld_published = ld_modified = None
    for obj in _ld_objects(head.scripts):
        kinds = _types(obj)
        page.ld_types |= kinds
        is_article = bool(kinds & _ARTICLE_TYPES) or any(kind.endswith("article") for kind in kinds)
        if not is_article and not ("webpage" in kinds and ld_published is None):
            continue
        if is_article:
            body = obj.get("articleBody")
            if isinstance(body, str) and len(body) > len(page.ld_body or ""):
                page.ld_body = body
            if ld_title is None and isinstance(obj.get("headline"), str):
                ld_title = obj["headline"]
            if ld_author is None:
                names = [name for name in map(_plausible_author, _names(obj.get("author"))) if name]
                ld_author = ", ".join(dict.fromkeys(names)) or None
            if ld_image is None:
                ld_image = _image_url(obj.get("image"))
            if ld_language is None and isinstance(obj.get("inLanguage"), str):
                ld_language = obj["inLanguage"]
        published = obj.get("datePublished") or obj.get("dateCreated")
        if ld_published is None and isinstance(published, str):
            ld_published = parse_date(published)
        modified = obj.get("dateModified")
        if ld_modified is None and isinstance(modified, str):
            ld_modified = parse_date(modified)

    page.title = _title(tree, head.title, meta, ld_title)
    page.canonical_url = _canonical(rels, meta, url)
    page.amp_url = _absolute(rels.get("amphtml"), url)
    page.og_type = (meta.get("og:type") or "").lower() or None

    page.author = ld_author
    if page.author is None:
        for key in _AUTHOR_META:
            found = _plausible_author(meta.get(key))
            if found is not None:
                page.author = found
                break
    if page.author is None:
        page.author = _dom_author(tree)

    meta_published = None
    for key in _PUBLISHED_META:
        meta_published = parse_date(meta.get(key))
        if meta_published is not None:
            break
    for key in _MODIFIED_META:
        page.modified = parse_date(meta.get(key))
        if page.modified is not None:
            break
    page.modified = page.modified or ld_modified
    page.published = choose_published(ld_published, meta_published, tree, url, page.title, source)
    if page.published is None or (page.published == date_from_url(url) and page.published.hour == 0):
        page.published = _script_date(source, head.publish_fields) or page.published

    root = tree.root
    root_attrs = root.attributes if root is not None and root.tag == "html" else {}
    declared = root_attrs.get("lang")
    page.is_amp = "amp" in root_attrs or "\u26a1" in root_attrs
    page.language = (
        normalise_tag(declared) or normalise_tag(ld_language) or normalise_tag(meta.get("content-language"))
        or normalise_tag(meta.get("og:locale")) or normalise_tag(meta.get("language"))
    )
    image = meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image") or ld_image
    page.image = _absolute(image, url)
    return page
