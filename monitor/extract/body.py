"""Find the main text of a page: score text blocks into their containers, pick the best, clean it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

_JUNK_TAGS = [
    "script", "style", "noscript", "template", "svg", "iframe", "button", "select", "input", "textarea",
    "object", "embed", "canvas", "nav", "footer", "aside", "dialog", "menu", "map", "audio", "video",
    "picture", "img", "link", "meta", "head",
]
_BLOCK_SELECTOR = (
    "p, div, li, ul, ol, dl, dt, dd, table, tr, td, th, h1, h2, h3, h4, h5, h6, blockquote, pre, section, "
    "article, main, header, figure, figcaption, address, hr, center, details, summary"
)
_SCORED_SELECTOR = "p, pre, td, blockquote, li, dd"
_NEGATIVE = re.compile(
    r"comment(?!ary|ator)|share|sharing|social|related|recommend|newsletter|subscri|promo|advert|sponsor|"
    r"breadcrumb|popup|modal|cookie|outbrain|taboola|footer|sidebar|disqus|signup|sign-up|byline|"
    r"author|readmore|read-more|most-?read|popular|trending|hidden|sr-only|toolbar|pagination|widget|"
    r"masthead|login|paywall|banner|caption|credit|skip|jump|print|tooltip|overlay|rating|"
    r"(?:^|[\s_-])(?:ad|ads|adv|tag|tags|meta|nav|menu|bio|links|more|date|time|topics|keywords|"
    r"header|follow|email|video)(?:$|[\s_-])",
    re.IGNORECASE,
)
_POSITIVE = re.compile(
    r"article|body|content|entry|main|post|story|text|prose|blog|hentry|page", re.IGNORECASE
)
_PARA = "\u2029"
_LINE = "\u2028"
_COMMAS = re.compile(r"[,，、،;]")
_SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u200b]+")


@dataclass(frozen=True, slots=True)
class Body:
    """The extracted main text and a few measures the caller uses to judge the page."""

    text: str
    paragraphs: int
    link_density: float
    page_text_length: int


def _hints(node: LexborNode) -> str:
    """The class and id of a node joined into one string."""
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}"


def _link_length(node: LexborNode) -> int:
    """Characters of text inside links under this node."""
    return sum(len(link.text(deep=True).strip()) for link in node.css("a"))


def _class_weight(node: LexborNode) -> float:
    """Readability-style bonus or penalty from the words in a node's class and id."""
    hints = _hints(node)
    if not hints.strip():
        return 0.0
    weight = 0.0
    if _NEGATIVE.search(hints):
        weight -= 25
    if _POSITIVE.search(hints):
        weight += 25
    return weight


def _score_candidates(body: LexborNode) -> dict[int, list[object]]:
    """Score each ancestor of text blocks by the text it holds (comma and length weighted)."""
    scores: dict[int, list[object]] = {}
    for block in body.css(_SCORED_SELECTOR):
        text = block.text(deep=True)
        length = len(text.strip())
        if length < 25:
            continue
        score = 1.0 + len(_COMMAS.findall(text)) + min(length // 100, 3)
        node = block.parent
        level = 0
        while node is not None and level < 3:
            if node.tag in ("body", "html", None):
                break
            key = node.mem_id
            entry = scores.get(key)
            if entry is None:
                entry = [node, 0.0]
                scores[key] = entry
            entry[1] = float(entry[1]) + score / (1 if level == 0 else 2 if level == 1 else level * 3)  # type: ignore[arg-type]
            node = node.parent
            level += 1
    return scores


def _mark_blocks(root: LexborNode) -> None:
    """Insert paragraph and line separators so that one text() call keeps the structure."""
    for block in root.css(_BLOCK_SELECTOR):
        block.insert_after(_PARA)
        block.insert_before(_PARA)
    for br in root.css("br"):
        br.insert_after(_LINE)


def _drop_boilerplate(container: LexborNode, container_length: int) -> None:
    """Remove link lists, hinted boilerplate and near-empty blocks inside the chosen container."""
    for node in container.css("[class], [id]"):
        if node.tag in ("p", "a", "span", "b", "i", "em", "strong"):
            continue
        hints = _hints(node)
        if _NEGATIVE.search(hints) and not _POSITIVE.search(hints):
            length = len(node.text(deep=True))
            if length < 0.5 * container_length:
                node.decompose()
    for node in container.css("ul, ol, div, table, section, dl"):
        text = node.text(deep=True).strip()
        length = len(text)
        if length == 0:
            continue
        links = _link_length(node)
        if links / length > 0.5 and length < 0.5 * container_length:
            node.decompose()


def _paragraphs(text: str) -> list[str]:
    """Split marked-up text into clean paragraphs."""
    result: list[str] = []
    for chunk in text.split(_PARA):
        lines = [_SPACES.sub(" ", line).strip() for line in chunk.split(_LINE)]
        para = "\n".join(line for line in lines if line)
        if para:
            result.append(para)
    return result


def extract_body(tree: LexborHTMLParser) -> Body:
    """The main text of a parsed page as paragraphs; the tree is modified in place."""
    body = tree.body
    if body is None:
        return Body("", 0, 0.0, 0)
    tree.strip_tags(_JUNK_TAGS)
    page_length = len(body.text(deep=True).strip())
    scores = _score_candidates(body)
    if not scores:
        return Body("", 0, 0.0, page_length)
    ranked = sorted(scores.values(), key=lambda entry: float(entry[1]), reverse=True)[:8]  # type: ignore[arg-type]
    best: LexborNode | None = None
    best_score = -1e9
    for node, raw in ranked:
        assert isinstance(node, LexborNode)
        text_length = len(node.text(deep=True).strip()) or 1
        density = _link_length(node) / text_length
        final = float(raw) * (1 - density) + _class_weight(node)  # type: ignore[arg-type]
        if final > best_score:
            best, best_score = node, final
    assert best is not None
    container_length = len(best.text(deep=True).strip())
    _drop_boilerplate(best, container_length)
    _mark_blocks(best)
    paragraphs = _paragraphs(best.text(deep=True))
    text = "\n\n".join(paragraphs)
    return Body(text, len(paragraphs), 0.0, page_length)
