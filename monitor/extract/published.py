"""Choose a page's publication instant and express it in the publisher's own UTC offset.

Sources, strongest first: JSON-LD and <meta> dates, <time> elements, a date written next to the headline,
date-like elements, and the date in the URL. A URL date names the publisher's day, so when metadata gives a
UTC instant that falls on the neighbouring UTC day, the instant is kept and only its offset is chosen so that
it falls on the URL's day: the offset the page itself uses in its other timestamps when that fits, else the
smallest whole-hour offset that does. Consumers convert to whatever zone they need.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.extract.dates import date_from_url, parse_date, parse_text_date

_TIME_QUERY = '[itemprop="datePublished" i], time[pubdate], time[datetime]'
_TIME_TRIES = 3  # elements tried of each kind
_DATE_LIKE_QUERY = '[class*="date" i], [class*="time" i], [id*="date" i]'
# "tit" covers title, titre, titel, titulo, titolo.
_HEADLINE_QUERY = 'h1, h2, [class*="tit" i], [class*="headline" i]'
_BOLD_QUERY = "b, strong"
_NEAR_TEXT_LIMIT = 200  # a byline or dateline is short; longer neighbours are article text
_NEAR_SIBLINGS = 3
_NEAR_LEVELS = 3
# An ISO 8601 time with an explicit offset, e.g. "T20:59:46-06:00"; the literal "T" keeps the scan fast.
_OFFSET_TEXT = r"T[0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?([+-][01]\d):?([0-5]\d)(?!\d)"
_OFFSET = re.compile(_OFFSET_TEXT)
_OFFSET_BYTES = re.compile(_OFFSET_TEXT.encode("ascii"))
_SPACE = re.compile(r"\s+")


def page_offsets(source: bytes | str | None) -> list[timedelta]:
    """Non-zero UTC offsets written in the page's ISO 8601 timestamps, most frequent first."""
    if source is None:
        return []
    if isinstance(source, bytes):
        found = [(match.group(1).decode("ascii"), match.group(2).decode("ascii"))
                 for match in _OFFSET_BYTES.finditer(source)]
    else:
        found = [(match.group(1), match.group(2)) for match in _OFFSET.finditer(source)]
    counts: Counter[timedelta] = Counter()
    for hours, minutes in found:
        sign = -1 if hours[0] == "-" else 1
        offset = sign * timedelta(hours=int(hours[1:]), minutes=int(minutes))
        if offset and abs(offset) <= timedelta(hours=14):
            counts[offset] += 1
    return [offset for offset, _ in counts.most_common()]


def on_day(instant: datetime, day: date, offsets: list[timedelta]) -> datetime | None:
    """The instant in an offset that puts it on the given local day: one of the page's, else the nearest hour."""
    for offset in offsets:
        local = instant.astimezone(timezone(offset))
        if local.date() == day:
            return local
    utc = instant.astimezone(UTC)
    since_midnight = utc - utc.replace(hour=0, minute=0, second=0, microsecond=0)
    if day == utc.date() - timedelta(days=1):
        hours = -(since_midnight // timedelta(hours=1) + 1)
    elif day == utc.date() + timedelta(days=1):
        hours = -(-(timedelta(days=1) - since_midnight) // timedelta(hours=1))
    else:
        return None
    if not -12 <= hours <= 14:
        return None
    return utc.astimezone(timezone(timedelta(hours=hours)))


def _clean(text: str) -> str:
    """Whitespace collapsed and trimmed."""
    return _SPACE.sub(" ", text).strip()


def _in_article(node: LexborNode) -> bool:
    """True when the node sits inside an <article> element."""
    parent = node.parent
    while parent is not None:
        if parent.tag == "article":
            return True
        parent = parent.parent
    return False


def _time_ranks(node: LexborNode, attrs: dict[str, str | None]) -> list[int]:
    """The kinds a date element belongs to: 0 itemprop=datePublished, 1 <time pubdate>, 2 <time datetime> in an
    <article>, 3 any <time datetime>."""
    ranks = []
    if (attrs.get("itemprop") or "").lower() == "datepublished":
        ranks.append(0)
    if node.tag == "time":
        if "pubdate" in attrs:
            ranks.append(1)
        if "datetime" in attrs:
            ranks.extend((2, 3) if _in_article(node) else (3,))
    return ranks


def _time_element_date(tree: LexborHTMLParser) -> datetime | None:
    """A publication date from <time> and itemprop=datePublished elements (one query, strongest kind first)."""
    ranked: list[tuple[int, int, str]] = []
    for position, node in enumerate(tree.css(_TIME_QUERY)):
        attrs = node.attributes
        ranks = _time_ranks(node, attrs)
        if ranks:
            value = attrs.get("datetime") or attrs.get("content") or node.text()
            ranked.extend((rank, position, value) for rank in ranks)
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    tried: dict[int, int] = {}
    for rank, _, written in ranked:
        if tried.get(rank, 0) >= _TIME_TRIES:
            continue  # only the first few elements of each kind
        tried[rank] = tried.get(rank, 0) + 1
        found = parse_date(written)
        if found is not None:
            return found
    return None


def _date_like_element_date(tree: LexborHTMLParser) -> datetime | None:
    """A date written in elements whose class or id says date or time."""
    for node in tree.css(_DATE_LIKE_QUERY)[:20]:
        text = node.text(deep=True)
        if 6 <= len(text) <= _NEAR_TEXT_LIMIT:
            found = parse_text_date(text)
            if found is not None:
                return found
    return None


def _is_title(node: LexborNode, wanted: str) -> bool:
    """True when the node's text is the page title, or most of it."""
    text = _clean(node.text(deep=True)).lower()
    return len(text) >= 10 and (text == wanted or (text in wanted and len(text) * 2 >= len(wanted)))


def _headline_node(tree: LexborHTMLParser, title: str | None) -> LexborNode | None:
    """The element holding the page's headline: the first whose text is the title, else the first <h1>.

    Headings and title-classed elements are tried first; then bold text, as in table-layout and print pages.
    """
    first_h1 = None
    wanted = _clean(title).lower() if title else ""
    for node in tree.css(_HEADLINE_QUERY):
        if first_h1 is None and node.tag == "h1":
            first_h1 = node
            if not wanted:
                return node
        if wanted and _is_title(node, wanted):
            return node
    if first_h1 is None and wanted:
        for node in tree.css(_BOLD_QUERY):
            if _is_title(node, wanted):
                return node
    return first_h1


def _short_text_date(node: LexborNode) -> datetime | None:
    """A date in a short neighbour of the headline (element or bare text), None for long text."""
    text = node.text(deep=True)
    if not 6 <= len(text.strip()) <= _NEAR_TEXT_LIMIT:
        return None
    return parse_text_date(text)


def headline_date(tree: LexborHTMLParser, title: str | None) -> datetime | None:
    """A date written just above or below the headline (a dateline or "published on" line), nearest first."""
    node = _headline_node(tree, title)
    level = 0
    while node is not None and level < _NEAR_LEVELS and node.tag not in ("body", "html"):
        for step in ("next", "prev"):
            sibling = getattr(node, step)
            seen = 0
            while sibling is not None and seen < _NEAR_SIBLINGS:
                if sibling.tag != "-comment":
                    found = _short_text_date(sibling)
                    if found is not None:
                        return found
                    if sibling.tag != "-text" or not sibling.is_empty_text_node:
                        seen += 1
                sibling = getattr(sibling, step)
        node = node.parent
        level += 1
    return None


def choose_published(
    ld_date: datetime | None, meta_date: datetime | None, tree: LexborHTMLParser, url: str | None,
    title: str | None = None, source: bytes | str | None = None,
) -> datetime | None:
    """Pick the publication instant, letting a URL date arbitrate, in the publisher's offset where known."""
    url_date = date_from_url(url)
    candidates = [found for found in (ld_date, meta_date) if found is not None]
    if url_date is not None:
        day = url_date.date()
        for found in candidates:
            if found.date() == day or (abs((found.date() - day).days) <= 1 and found.utcoffset()):
                return found  # on the URL's day, or a day off in an offset the page states itself
            if abs((found.date() - day).days) <= 1:
                return on_day(found, day, page_offsets(source)) or found
        if candidates:
            return url_date
    if candidates:
        return candidates[0]
    return _time_element_date(tree) or headline_date(tree, title) or _date_like_element_date(tree) or url_date
