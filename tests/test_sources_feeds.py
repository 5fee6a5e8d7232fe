"""Feed parsing on the shipped fixtures: kinds, charsets, titles, links and dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.sources import ParsedFeed, ParseError, parse_source

FEED_URL = "https://feeds.example.org/feed"


def _parse(fixtures: Path, name: str, content_type: str | None = None) -> ParsedFeed:
    return parse_source((fixtures / "sources" / name).read_bytes(), FEED_URL, content_type)


def test_windows_1251_feed_decodes_cyrillic(fixtures: Path) -> None:
    """A windows-1251 feed declared in its XML prolog yields Cyrillic titles and UTC dates."""
    feed = _parse(fixtures, "oren-ru-windows-1251.xml")
    assert feed.kind == "rss"
    assert feed.title == "Новости Оренбурга и области / Раздел Новости"
    assert len(feed.entries) == 10
    first = feed.entries[0]
    assert first.title == "В Бузулуке главные стройплощадки – детсад и Ледовый дворец"
    assert first.url == "http://www.oren.ru/news/2743422/"
    assert first.published == datetime(2014, 1, 22, 14, 31, 31, tzinfo=UTC)  # 20:31:31 +0600
    assert feed.ttl == timedelta(minutes=30)


def test_http_charset_wins_over_wrong_declaration(fixtures: Path) -> None:
    """The HTTP charset is used when the bytes are not UTF-8, whatever the prolog says."""
    body = (fixtures / "sources" / "oren-ru-windows-1251.xml").read_bytes()
    relabelled = body.replace(b'encoding="windows-1251"', b'encoding="iso-8859-5"', 1)
    feed = parse_source(relabelled, FEED_URL, "application/rss+xml; charset=windows-1251")
    assert feed.entries[0].title == "В Бузулуке главные стройплощадки – детсад и Ледовый дворец"


def test_latin1_feed_without_declaration(fixtures: Path) -> None:
    """ISO-8859-1 bytes with no charset anywhere are detected, not read as mojibake."""
    feed = _parse(fixtures, "scienceshumaines-latin1-undeclared.xml")
    assert feed.title == "Flux RSS du magazine de psychologie Le Cercle Psy"
    assert feed.entries[0].title == "Perturbateurs endocriniens : quels effets sur le cerveau ?"
    assert feed.entries[3].title == "Caroline Eliacheff : « Dolto reste authentiquement subversive »"
    assert feed.entries[0].published == datetime(2018, 10, 17, 10, 30, tzinfo=UTC)
    assert all("\ufffd" not in (entry.summary or "") for entry in feed.entries)


def test_entry_without_link_is_skipped_with_a_note(fixtures: Path) -> None:
    """An item with an empty <link> is left out and reported in problems."""
    feed = _parse(fixtures, "scienceshumaines-latin1-undeclared.xml")
    assert len(feed.entries) == 9  # the file has 10 items; the 4th has empty title and link
    assert any(problem.startswith("entry 4: no link") for problem in feed.problems)


def test_korea_times_malformed_dates(fixtures: Path) -> None:
    """'Thu,28 Jul 2022 4:35:5 GMT+9' is read as 9 hours ahead of UTC."""
    feed = _parse(fixtures, "koreatimes-excerpt.rss")
    assert len(feed.entries) == 3
    first = feed.entries[0]
    assert first.title == "France on course for driest July on record: weather office"
    assert first.url == "https://www.koreatimes.co.kr/www/nation/2022/07/501_333483.html?fl"
    assert first.published == datetime(2022, 7, 27, 19, 35, 5, tzinfo=UTC)
    assert first.guid == "https://feeds.example.org/333483"  # feedparser resolves relative ids
    assert first.author == "KoreaTimes"


def test_portuguese_dates_and_undeclared_charset(fixtures: Path) -> None:
    """Portuguese weekday/month names ('Seg, 24 Set 2018') parse; undeclared Latin-1 decodes."""
    feed = _parse(fixtures, "uol-portuguese-dates.rss")
    assert len(feed.entries) == 15
    first = feed.entries[0]
    assert first.title == "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno"
    assert first.published == datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)  # 19:42:40 -0300
    assert first.summary is not None and first.summary.startswith("Líder na pesquisa Ibope")
    assert all(entry.published is not None for entry in feed.entries)


def test_atom_feed(fixtures: Path) -> None:
    """Atom entries give link, title, published date (converted to UTC), summary and self link."""
    feed = _parse(fixtures, "heise-excerpt.atom")
    assert feed.kind == "atom"
    assert feed.title == "heise developer neueste Meldungen"
    assert feed.self_url == "http://www.heise.de/developer/rss/news-atom.xml"
    first = feed.entries[0]
    assert first.title == "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei"
    assert first.url.startswith("http://www.heise.de/developer/meldung/Java-Anwendungsserver-Red-Hat")
    assert first.published == datetime(2016, 2, 1, 16, 22, tzinfo=UTC)  # 17:22:00+01:00


def test_rdf_feed(fixtures: Path) -> None:
    """RSS 0.9/RDF is recognised as rdf and its items read."""
    feed = _parse(fixtures, "heise-excerpt.rdf")
    assert feed.kind == "rdf"
    assert [entry.title for entry in feed.entries][:2] == [
        "OLED-TVs: Vorsichtsmaßnahmen gegen Einbrennen",
        "Mega-Deal: IBM übernimmt Red Hat",
    ]
    assert feed.entries[0].published is None  # the file carries no dates


def test_json_feed(fixtures: Path) -> None:
    """JSON Feed 1.1: items with url, relative url resolved against feed_url, hub, authors, dates."""
    feed = _parse(fixtures, "jsonfeed-1.1.json")
    assert feed.kind == "jsonfeed"
    assert feed.title == "Frontier Desk"
    assert feed.hub == "https://hub.example.net/"
    assert feed.self_url == "https://news.example.org/frontier/feed.json"
    first, second = feed.entries
    assert first.title == "Amu Darya crossing at Termez reopens to freight"
    assert first.published == datetime(2024, 5, 12, 4, 0, tzinfo=UTC)  # 08:30 +04:30
    assert first.author == "Dilnoza Karimova"
    assert first.content_html is not None and "<b>Friendship Bridge</b>" in first.content_html
    assert second.url == "https://news.example.org/frontier/2024/05/11/tajik-border-guards-report-clash-in-badakhshan"
    assert second.author == "Frontier Desk"
    assert second.summary == (
        "Border guards said the clash took place near Ishkashim. No casualties were reported."
    )
    assert any("item 3" in problem for problem in feed.problems)


def test_rss_extensions_ttl_hub_self_and_content() -> None:
    """sy:updatePeriod/Frequency become a ttl; atom:link hub/self are reported; content:encoded is kept."""
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
     xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>T</title>
<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>
<atom:link rel="hub" href="https://pubsubhubbub.appspot.com/"/><atom:link rel="self" href="/feed.xml"/>
<item><title>A &amp; B</title><link>/2024/05/a-and-b</link>
<description>&lt;p&gt;Short &lt;b&gt;teaser&lt;/b&gt;&lt;/p&gt;</description>
<content:encoded><![CDATA[<p>Full <em>text</em></p>]]></content:encoded>
<dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">Ann Author</dc:creator></item>
</channel></rss>"""
    feed = parse_source(body, "https://ex.example/news/feed", "text/xml")
    assert feed.ttl == timedelta(minutes=15)
    assert feed.hub == "https://pubsubhubbub.appspot.com/"
    assert feed.self_url == "https://ex.example/feed.xml"
    (entry,) = feed.entries
    assert entry.url == "https://ex.example/2024/05/a-and-b"
    assert entry.title == "A & B"
    assert entry.summary == "Short teaser"
    assert entry.content_html == "<p>Full <em>text</em></p>"
    assert entry.author == "Ann Author"


def test_xml_base_resolves_relative_links() -> None:
    """Relative entry links resolve against xml:base before the feed URL."""
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://base.example/dir/">
<title>t</title><entry><title>e</title><link href="post/1"/><id>tag:x,2024:1</id>
<updated>2024-01-02T03:04:05Z</updated></entry>
<entry><title>bad</title><link href="mailto:someone@example.org"/><id>tag:x,2024:2</id></entry></feed>"""
    feed = parse_source(body, "https://feed.example/atom.xml")
    assert [entry.url for entry in feed.entries] == ["https://base.example/dir/post/1"]
    assert feed.entries[0].published == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert any("not http(s)" in problem for problem in feed.problems)


def test_malformed_xml_is_read_leniently_with_a_problem_note() -> None:
    """A feed with a broken tag still yields its items, and the problem names the line."""
    body = b"<rss version='2.0'><channel><title>x</title>\n<item><title>One</title>" \
           b"<link>https://a.example/1</link></item>\n<item><title>Two <b>bold</title>" \
           b"<link>https://a.example/2</link></item></channel></rss>"
    feed = parse_source(body, FEED_URL)
    assert [entry.url for entry in feed.entries] == ["https://a.example/1", "https://a.example/2"]
    assert any(problem.startswith("line ") for problem in feed.problems)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"just some words, no markup", "no XML, JSON or HTML"),
        (b"<?xml version='1.0'?><note><to>x</to></note>", "<note>"),
        (b'{"hello": "world"}', "no JSON Feed version"),
        (b"[1, 2, 3]", "not an object"),
        (b"{not json", "invalid JSON"),
    ],
)
def test_not_a_feed_raises_parse_error(body: bytes, reason: str) -> None:
    """Bodies that are no supported kind raise ParseError saying why."""
    with pytest.raises(ParseError, match="not a feed") as caught:
        parse_source(body, FEED_URL)
    assert reason in str(caught.value)


def test_file_path_lookalike_body_is_not_opened() -> None:
    """A body that happens to be a file path is parsed as bytes, never opened from disk."""
    with pytest.raises(ParseError):
        parse_source(b"/etc/hostname", FEED_URL)
