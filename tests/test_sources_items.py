"""Skipping a changed feed's unchanged items: the byte-level item split, and parses that skip seen items
agreeing with full parses on the shipped feeds and (where present) every feed in the shared corpora."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.sources import ParseError, parse_source
from monitor.sources.items import dump_seen, item_spans, load_seen, without_items
from tests.conftest import FIXTURES

FEED_URL = "http://127.0.0.1/feed"


def _rss(items: list[str], head: str = "<title>T</title><link>http://a.example/</link>") -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0"><channel>{head}{"".join(items)}</channel></rss>'.encode()


def _item(n: int, extra: str = "") -> str:
    return f"<item><title>Story {n}</title><link>http://a.example/{n}</link>{extra}</item>"


def test_spans_cover_each_item_and_skip_cdata_and_comments() -> None:
    body = _rss([
        _item(1, "<description><![CDATA[<item>not an item</item>]]></description>"),
        "<!-- <item>commented out</item> -->",
        _item(2),
        "<item/>",
    ])
    spans = item_spans(body)
    assert spans is not None and len(spans) == 3
    assert body[spans[0][0] : spans[0][1]].endswith(b"</item>") and b"CDATA" in body[spans[0][0] : spans[0][1]]
    assert body[spans[2][0] : spans[2][1]] == b"<item/>"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (_rss([_item(1, "<item>inner</item>")]), "nested"),
        (_rss([_item(1), "<entry><title>x</title></entry>"]), "items and entries mixed"),
        (_rss(["<item><title>open"]), "unclosed"),
        (_rss([_item(1)]).decode().encode("utf-16"), "UTF-16"),
    ],
)
def test_unusual_shapes_give_no_split(body: bytes, why: str) -> None:
    assert item_spans(body) is None, why


def test_rdf_items_list_and_prefixed_entries() -> None:
    """RSS 1.0's channel-level <items> is not an item; prefixed item names are items."""
    rdf = b'<rdf:RDF><channel><items><rdf:Seq/></items></channel><item rdf:about="x"><title>a</title></item></rdf:RDF>'
    assert item_spans(rdf) == [(rdf.index(b"<item "), len(rdf) - len(b"</rdf:RDF>"))]
    atom = b"<a:feed><a:entry><a:title>x</a:title></a:entry><a:entry/></a:feed>"
    assert item_spans(atom) is not None and len(item_spans(atom) or []) == 2


def test_seen_items_round_trip() -> None:
    when = datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
    text = dump_seen([("0123456789abcdef", when), ("fedcba9876543210", None)])
    assert load_seen(text) == {"0123456789abcdef": when, "fedcba9876543210": None}
    assert load_seen(None) is None and load_seen("not-a-digest") is None


def test_seen_items_are_not_parsed_and_the_channel_still_is() -> None:
    old = [_item(n, f"<pubDate>Mon, 0{n} Dec 2025 10:00:00 GMT</pubDate>") for n in (1, 2, 3)]
    first = parse_source(_rss(old, "<title>T</title><ttl>30</ttl>"), FEED_URL)
    assert first.items is not None and len(first.items) == 3 and first.known == 0
    changed = _rss([_item(4), *old], "<title>T2</title><ttl>45</ttl>")
    second = parse_source(changed, FEED_URL, seen=dict(first.items))
    assert [e.title for e in second.entries] == ["Story 4"] and second.known == 3
    assert second.title == "T2" and second.ttl is not None and second.ttl.total_seconds() == 45 * 60
    assert second.items is not None and second.items[1:] == first.items  # the seen ones keep their dates
    assert parse_source(changed, FEED_URL).entries[1:] == first.entries


def test_entry_cap_still_applies() -> None:
    body = _rss([_item(n) for n in range(10)])
    parsed = parse_source(body, FEED_URL, max_entries=4, seen={})
    assert [e.title for e in parsed.entries] == [f"Story {n}" for n in range(4)]
    assert parsed.items is not None and len(parsed.items) == 4
    assert any("more than 4 entries" in p for p in parsed.problems)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=12), st.integers(0, 2**32 - 1))
def test_without_items_keeps_exactly_the_kept_items(keep: list[bool], seed: int) -> None:
    """Cut out any subset of items: the parser then finds exactly the kept ones, in order."""
    rng = random.Random(seed)
    items = [_item(n, "<description><![CDATA[a </item> b]]></description>" if rng.random() < 0.3 else "")
             for n in range(len(keep))]
    body = _rss(items)
    spans = item_spans(body)
    assert spans is not None and len(spans) == len(keep)
    parsed = parse_source(without_items(body, spans, keep), FEED_URL)
    assert [e.title for e in parsed.entries] == [f"Story {n}" for n, kept in enumerate(keep) if kept]


def check_incremental_agrees(body: bytes, url: str, rng: random.Random) -> bool:
    """Parse with a random part of the items marked seen; what is read must be what a full parse reads for
    those items. False when the document has no byte-level split (nothing to check)."""
    try:
        full = parse_source(body, url)
    except ParseError:
        return False
    if full.items is None or not full.items:
        return False
    # All seen: no entries, the same item list and channel.
    everything = parse_source(body, url, seen=dict(full.items))
    assert everything.entries == () and everything.items == full.items, url
    assert (everything.kind, everything.title, everything.hub, everything.self_url, everything.ttl) == (
        full.kind, full.title, full.hub, full.self_url, full.ttl), url
    # The first k items new (a feed that gained k items at the top).
    k = rng.randint(1, len(full.items))
    partial = parse_source(body, url, seen=dict(full.items[k:]))
    assert partial.items == full.items, url
    if len(full.entries) == len(full.items):  # every item made an entry: they line up one to one
        assert partial.entries == full.entries[:k], url
    else:
        assert set(partial.entries) <= set(full.entries), url
    return True


SHIPPED = sorted(p for p in (FIXTURES / "sources").iterdir() if p.suffix in (".rss", ".atom", ".rdf", ".xml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_incremental_parse_agrees_on_shipped_feeds(path: Path) -> None:
    body = path.read_bytes()
    checked = check_incremental_agrees(body, FEED_URL, random.Random(path.name))
    parsed = parse_source(body, FEED_URL)
    assert checked == (parsed.kind in ("rss", "atom", "rdf")), f"{path.name}: a {parsed.kind} document"


@pytest.mark.corpora
def test_incremental_parse_agrees_on_every_corpus_feed(corpora: Path) -> None:
    """Every XML document in news-feeds-xml and feedparser-tests: a split, when there is one, reads the same."""
    rng = random.Random(4)
    checked = unsplit = 0
    for folder in ("news-feeds-xml", "feedparser-tests"):
        for path in sorted((corpora / folder).rglob("*")):
            if not path.is_file() or path.suffix not in (".xml", ".rss", ".atom", ".rdf"):
                continue
            body = path.read_bytes()
            if check_incremental_agrees(body, FEED_URL, rng):
                checked += 1
            else:
                unsplit += 1
    assert checked > 1000, (checked, unsplit)
