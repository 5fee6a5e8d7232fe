"""Find the main text of a page: score text blocks into their containers, pick the best, clean it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.extract.hints import NEGATIVE, POSITIVE, UNLIKELY, hint_string, node_verdict, verdict

# Removed from the whole page before scoring: elements holding non-article text.
# (<head> and <template> need no removal: the body's text and queries never reach into them.)
_JUNK_TAGS = [
    "script", "style", "noscript", "svg", "iframe", "nav", "footer", "aside", "select", "button", "textarea",
    "figcaption", "dialog", "menu",
]
# AMP documents: components holding ads, tracking, share bars, sidebars and consent notices, not article text.
_AMP_JUNK_TAGS = [
    "amp-ad", "amp-embed", "amp-sticky-ad", "amp-auto-ads", "amp-analytics", "amp-pixel", "amp-sidebar",
    "amp-social-share", "amp-consent", "amp-user-notification", "amp-iframe", "amp-geo", "amp-list",
]
# Removed only inside the chosen container: elements without article text.
_CONTAINER_JUNK_TAGS = ["input", "object", "embed", "canvas", "map", "audio", "video", "picture", "img"]
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HIDDEN_SELECTOR = (
    '[hidden], [aria-hidden="true"], [style*="display:none"], [style*="display: none"], '
    '[style*="visibility:hidden"], [style*="visibility: hidden"]'
)
_CONTAINER_DROP_SELECTOR = ", ".join(_CONTAINER_JUNK_TAGS) + ", " + _HIDDEN_SELECTOR
_BLOCK_SELECTOR = (
    "p, div, li, ul, ol, dl, dt, dd, table, tr, td, th, h1, h2, h3, h4, h5, h6, blockquote, pre, section, "
    "article, main, header, figure, figcaption, address, hr, center, details, summary"
)
_MARKED_SELECTOR = _BLOCK_SELECTOR + ", br"
_LOOSE_SELECTOR = "div, section, article, main, center"  # blocks whose own bare text is a unit
_PARAGRAPH_SELECTOR = "p, pre, td, blockquote, li, dd"  # blocks whose whole text is one unit
_INLINE_PARAGRAPH_SELECTOR = "div > span, div > font"  # stand-ins for paragraphs on pages without them
_UNIT_LINKED_SELECTOR = ", ".join(f"{unit}:has(a)" for unit in ("p", "pre", "td", "blockquote", "li", "dd"))
_INLINE_LINKED_SELECTOR = "div > span:has(a), div > font:has(a)"
_PARAGRAPHS_ENOUGH = 3000  # paragraph text in one container that makes bare div text not worth scoring
_MIN_UNIT = 25
_SHORT_GOOD = 1500
_SEED_POOL = 5
_LINK_ONLY_SHARE = 0.8
_LINK_LIST_SHARE = 0.5
_LINKY_TAGS = frozenset({"p", "li", "dd", "span", "div", "ul", "ol", "table", "section", "dl"})
_WRAPPER_SLACK = 40
_EXPAND_RATIO = 0.5
_PARA = "\u2029"
_LINE = "\u2028"
_COMMAS = re.compile(r"[,，、،;]")


@dataclass(frozen=True, slots=True)
class Body:
    """The extracted main text and a few measures the caller uses to judge the page."""

    text: str
    paragraphs: int
    link_density: float  # share of the page's text inside links (measured only when little text was found)
    page_text_length: int  # a lower bound (the chosen text) when an article-sized text was found


def _detach(nodes: list[LexborNode]) -> None:
    """Unlink nodes from the tree without freeing them, so nested ones can be detached in any order."""
    for node in nodes:
        node.decompose(recursive=False)


def _is_unlikely(node: LexborNode) -> bool:
    """True for comment sections, sidebars, related-story lists and similar hinted regions."""
    attrs = node.attributes
    if not attrs:
        return False
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    style = attrs.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    if not verdict(hint_string(attrs)) & UNLIKELY:
        return False
    return node.tag not in ("html", "main", "article", "a", "p") and node.css_first("h1") is None


def _link_length(node: LexborNode) -> int:
    """Characters of text inside links under this node."""
    return sum(len(link.text(deep=True).strip()) for link in node.css("a"))


def _class_weight(node: LexborNode) -> float:
    """Readability-style bonus or penalty from the words in a node's class and id."""
    flags = node_verdict(node)
    return (25.0 if flags & POSITIVE else 0.0) - (25.0 if flags & NEGATIVE else 0.0)


def _paragraph_units(
    body: LexborNode, selector: str = _PARAGRAPH_SELECTOR, linked_selector: str = _UNIT_LINKED_SELECTOR
) -> list[tuple[LexborNode, str, int]]:
    """(parent, text, stripped length) for each paragraph-like block that is not mostly links."""
    units: list[tuple[LexborNode, str, int]] = []
    linked = {node.mem_id for node in body.css(linked_selector)}
    for block in body.css(selector):
        text = block.text(deep=True)
        if len(text) < _MIN_UNIT:
            continue
        length = len(text.strip())
        if length < _MIN_UNIT:
            continue
        if block.mem_id in linked and _link_length(block) > 0.5 * length:
            continue
        parent = block.parent
        if parent is not None:
            units.append((parent, text, length))
    return units


def _loose_units(body: LexborNode) -> list[tuple[LexborNode, str, int]]:
    """(block, text, stripped length) for each run of text sitting directly in a div-like block."""
    units: list[tuple[LexborNode, str, int]] = []
    for block in body.css(_LOOSE_SELECTOR):
        own = block.text(deep=False)
        if len(own) >= _MIN_UNIT:
            length = len(own.strip())
            if length >= _MIN_UNIT:
                units.append((block, own, length))
    return units


class _Candidate:
    """A node that holds text units: its decayed readability score and the good text under it."""

    __slots__ = ("good", "node", "score", "text_length")

    def __init__(self, node: LexborNode) -> None:
        self.node = node
        self.score = 0.0
        self.good = 0
        self.text_length: int | None = None  # all text under the node, measured when first needed

    def measured_length(self) -> int:
        """Characters of (stripped) text under the node, measured once."""
        if self.text_length is None:
            self.text_length = len(self.node.text(deep=True).strip())
        return self.text_length


_Chain = tuple[tuple[int, LexborNode], ...]


def _chain(start: LexborNode, body_id: int, chains: dict[int, _Chain | None]) -> _Chain | None:
    """(mem_id, node) from start up to (not including) body; None when any of them is hinted boilerplate.

    Chains are memoised per node, so each ancestor is examined once however many text units sit under it.
    """
    pending: list[tuple[int, LexborNode]] = []
    tail: _Chain | None = ()
    node: LexborNode | None = start
    while node is not None:
        key = node.mem_id
        if key == body_id:
            break
        if key in chains:
            tail = chains[key]
            break
        if _is_unlikely(node):
            chains[key] = tail = None
            break
        pending.append((key, node))
        node = node.parent
    for entry in reversed(pending):
        tail = None if tail is None else (entry, *tail)
        chains[entry[0]] = tail
    return tail


def _add_units(
    units: list[tuple[LexborNode, str, int]], candidates: dict[int, _Candidate],
    chains: dict[int, _Chain | None], body_id: int,
) -> None:
    """Add the units' decayed comma/length scores and good text to every ancestor outside boilerplate."""
    # Units sharing a container (the paragraphs of one story) are summed first, then walked up once.
    per_container: dict[int, tuple[LexborNode, float, int]] = {}
    for container, text, length in units:
        score = 1.0 + len(_COMMAS.findall(text)) + min(length // 100, 3)
        key = container.mem_id
        known = per_container.get(key)
        if known is None:
            per_container[key] = (container, score, length)
        else:
            per_container[key] = (container, known[1] + score, known[2] + length)
    for container, score, length in per_container.values():
        chain = _chain(container, body_id, chains)
        if not chain:
            continue
        for level, (key, node) in enumerate(chain):
            entry = candidates.get(key)
            if entry is None:
                entry = _Candidate(node)
                candidates[key] = entry
            if level < 3:
                entry.score += score / (1 if level == 0 else 2 if level == 1 else level * 3)
            entry.good += length


def _score_candidates(body: LexborNode) -> dict[int, _Candidate]:
    """Score each ancestor of text units: decayed comma/length score, and total good text beneath.

    Paragraph-like blocks come first; text sitting bare in divs is scored only when no container outside
    boilerplate holds an article's worth of paragraph text already.
    """
    candidates: dict[int, _Candidate] = {}
    chains: dict[int, _Chain | None] = {}
    body_id = body.mem_id
    _add_units(_paragraph_units(body), candidates, chains, body_id)
    if max((entry.good for entry in candidates.values()), default=0) < _PARAGRAPHS_ENOUGH:
        fallback = _loose_units(body) + _paragraph_units(body, _INLINE_PARAGRAPH_SELECTOR, _INLINE_LINKED_SELECTOR)
        _add_units(fallback, candidates, chains, body_id)
    return candidates


def _pick_seed(candidates: dict[int, _Candidate]) -> _Candidate:
    """The candidate with the best readability score after link density and class hints."""
    ranked = sorted(candidates.values(), key=lambda entry: entry.score, reverse=True)[:_SEED_POOL]
    best = ranked[0]
    best_score = -1e9
    for entry in ranked:
        if entry.score <= 0 or entry.score + 25.0 <= best_score:
            continue  # cannot win even with no links and a content class
        density = _link_length(entry.node) / (entry.measured_length() or 1)
        final = entry.score * (1 - density) + _class_weight(entry.node)
        if final > best_score:
            best, best_score = entry, final
    return best


def _expand(seed: _Candidate, candidates: dict[int, _Candidate], body: LexborNode) -> LexborNode:
    """Climb from the seed while each parent adds mostly paragraph text (bodies split across blocks)."""
    node = seed.node
    good = seed.good
    total = seed.measured_length()
    body_id = body.mem_id
    while True:
        parent = node.parent
        if parent is None or parent.mem_id == body_id or parent.tag in ("html", "body"):
            return node
        entry = candidates.get(parent.mem_id)
        parent_good = entry.good if entry is not None else good
        parent_total = entry.measured_length() if entry is not None else len(parent.text(deep=True).strip())
        added_good = parent_good - good
        added_total = parent_total - total
        if added_total > _WRAPPER_SLACK and added_good < _EXPAND_RATIO * added_total:
            return node
        node, good, total = parent, parent_good, parent_total


def _mark_blocks(root: LexborNode) -> None:
    """Insert paragraph and line separators so that one text() call keeps the structure."""
    for node in root.css(_MARKED_SELECTOR):
        if node.tag == "br":
            node.insert_after(_LINE)
        else:
            node.insert_after(_PARA)
            node.insert_before(_PARA)


def _linked_blocks(container: LexborNode) -> list[tuple[LexborNode, int]]:
    """Blocks under the container that hold links, each with the length of its link text.

    One pass over the container's links, adding each link's length to its ancestors (memoised chains), instead
    of a subtree search per block.
    """
    container_id = container.mem_id
    chains: dict[int, list[int]] = {}
    nodes: dict[int, LexborNode] = {}
    totals: dict[int, int] = {}
    for link in container.css("a"):
        length = len(link.text(deep=True).strip())
        pending: list[int] = []
        node = link.parent
        chain: list[int] = []
        while node is not None:
            key = node.mem_id
            if key == container_id:
                break
            known = chains.get(key)
            if known is not None:
                chain = known
                break
            pending.append(key)
            nodes[key] = node
            node = node.parent
        for key in reversed(pending):
            chain = [key, *chain]
            chains[key] = chain
        for key in chain:
            totals[key] = totals.get(key, 0) + length
    return [(nodes[key], total) for key, total in totals.items() if nodes[key].tag in _LINKY_TAGS]


def _drop_boilerplate(container: LexborNode, container_length: int) -> None:
    """Remove link lists, hinted boilerplate and near-empty blocks inside the chosen container."""
    doomed: list[LexborNode] = []
    for node, link_length in _linked_blocks(container):
        length = len(node.text(deep=True).strip())
        if not length or length >= 0.5 * container_length:
            continue
        share = _LINK_ONLY_SHARE if node.tag in ("p", "li", "dd", "span") else _LINK_LIST_SHARE
        if link_length >= share * length:
            doomed.append(node)
    for node in container.css("h1, [class], [id]"):
        tag = node.tag
        if tag == "h1":
            doomed.append(node)
            continue
        if tag in ("p", "a", "span", "b", "i", "em", "strong"):
            continue
        flags = node_verdict(node)
        if flags & UNLIKELY and node.css_first("h1") is None:
            doomed.append(node)
        elif flags & (NEGATIVE | POSITIVE) == NEGATIVE:
            length = len(node.text(deep=True))
            if length < 0.5 * container_length:
                doomed.append(node)
    _detach(doomed)


def _paragraphs(text: str) -> list[str]:
    """Split marked-up text into clean paragraphs (lines kept where the page had <br>)."""
    result: list[str] = []
    for chunk in text.replace("\u200b", "").split(_PARA):
        if not chunk or chunk.isspace():
            continue
        if _LINE in chunk:
            para = "\n".join(joined for line in chunk.split(_LINE) if (joined := " ".join(line.split())))
        else:
            para = " ".join(chunk.split())
        if para:
            result.append(para)
    return result


def extract_body(tree: LexborHTMLParser, amp: bool = False) -> Body:
    """The main text of a parsed page as paragraphs (amp: also drop AMP components); modifies the tree."""
    body = tree.body
    if body is None:
        return Body("", 0, 0.0, 0)
    tree.strip_tags(_JUNK_TAGS + _AMP_JUNK_TAGS if amp else _JUNK_TAGS)
    candidates = _score_candidates(body)
    best_good = max((entry.good for entry in candidates.values()), default=0)
    # Measuring the whole page's text is only worth it when no article-sized text was found.
    page_length = best_good if best_good >= _SHORT_GOOD else len(body.text(deep=True).strip())
    # The page's link share only matters when little text was found (a section front?).
    link_share = _link_length(body) / page_length if page_length and best_good < _SHORT_GOOD else 0.0
    if candidates:
        best = _expand(_pick_seed(candidates), candidates, body)
    elif page_length:
        best = body  # no paragraph-sized text anywhere: keep what little there is
    else:
        return Body("", 0, link_share, 0)
    _detach(best.css(_CONTAINER_DROP_SELECTOR))
    container_length = len(best.text(deep=True).strip())
    _drop_boilerplate(best, container_length)
    _mark_blocks(best)
    paragraphs = _paragraphs(best.text(deep=True))
    text = "\n\n".join(paragraphs)
    return Body(text, len(paragraphs), link_share, page_length)
