"""The shipped demo news site: manifest, pages, rendered feeds, and the content rules the end-to-end tests rely on."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path

import feedparser
import pytest
from selectolax.lexbor import LexborHTMLParser

from monitor.dedup.fingerprints import analyse
from monitor.dedup.store import MemoryStore
from monitor.dedup.verdict import check
from monitor.demo.site_model import Site, load_manifest, page_path, published_at, render_feed, render_page
from monitor.extract import extract_article

REPO = Path(__file__).resolve().parents[1]
SITE_DIR = REPO / "monitor" / "demo" / "site"
SEEDS_DIR = REPO / "config" / "seeds"
BASE = "http://127.0.0.1:8765"
NOW = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
RUN = 12  # no two distinct stories may share a run of this many words
WORD = re.compile(r"\w+")


@cache
def site() -> Site:
    """The shipped manifest, parsed once."""
    return load_manifest((SITE_DIR / "manifest.toml").read_text(encoding="utf-8"))


@cache
def template(slug: str) -> str:
    """The page template of one article."""
    return (SITE_DIR / "pages" / f"{slug}.html").read_text(encoding="utf-8")


@cache
def page(slug: str) -> LexborHTMLParser:
    """One rendered page, parsed."""
    return LexborHTMLParser(render_page(template(slug), BASE).decode("utf-8"))


def visible_text(slug: str) -> str:
    """What a reader sees of a page's own content: everything but header, nav, sidebars and footer."""
    tree = LexborHTMLParser(render_page(template(slug), BASE).decode("utf-8"))
    for node in tree.css("head, header, nav, aside, footer, script, style"):
        node.decompose()
    assert tree.body is not None
    return tree.body.text(separator=" ")


def words(text: str) -> list[str]:
    """Lower-case word tokens."""
    return WORD.findall(text.casefold())


def runs(text: str, length: int = RUN) -> set[tuple[str, ...]]:
    """Every run of `length` consecutive words."""
    tokens = words(text)
    return {tuple(tokens[i : i + length]) for i in range(len(tokens) - length + 1)}


def takhar_mentioned(text: str) -> bool:
    """Whether a text names Takhar in any of its usual scripts."""
    return re.search(r"takhar|тахар|تخار", text.casefold()) is not None


def repost_source(slug: str) -> str | None:
    """The slug (or 'seed:<file>') an article reposts, if any."""
    article = site().article(slug)
    if article.repost_of_seed:
        return f"seed:{article.repost_of_seed}"
    return article.repost_of


def test_manifest_lists_two_feeds_and_their_articles() -> None:
    """The manifest loads: an RSS wire and an Atom blog, every article on one of them."""
    loaded = site()
    assert {(f.name, f.format, f.path) for f in loaded.feeds} == {
        ("frontier-wire", "rss", "wire/rss.xml"),
        ("steppe-blog", "atom", "blog/atom.xml"),
    }
    assert len(loaded.articles) >= 18
    assert all(a.title and a.summary and a.hours_ago >= 0 for a in loaded.articles)


def test_every_article_has_a_page_and_every_page_an_article() -> None:
    """pages/ holds exactly one template per manifest article."""
    slugs = {a.slug for a in site().articles}
    assert {p.stem for p in (SITE_DIR / "pages").glob("*.html")} == slugs


@pytest.mark.parametrize("slug", [a.slug for a in site().articles])
def test_page_is_a_complete_article_page(slug: str) -> None:
    """Each page has doctype, title, canonical and og:title for its own URL, and an <article> with <h1> and text."""
    article = site().article(slug)
    raw = template(slug)
    assert raw.lstrip().lower().startswith("<!doctype html>")
    assert re.sub(r"\{base\}", "", raw).count("{") == 0 and "}" not in raw.replace("{base}", "")
    tree = page(slug)
    url = f"{BASE}/{page_path(site(), article)}"
    canonical = tree.css_first('link[rel="canonical"]')
    assert canonical is not None and canonical.attributes.get("href") == url
    og_title = tree.css_first('meta[property="og:title"]')
    assert og_title is not None and og_title.attributes.get("content") == article.title
    assert tree.css_first("title") is not None
    h1 = tree.css_first("article h1")
    assert h1 is not None and h1.text(strip=True) == article.title
    paragraphs = tree.css("article p")
    assert len(paragraphs) >= 5
    for region in ("header", "nav", "footer"):
        assert tree.css_first(region) is not None, region
    if site().feed(article.feed).format == "atom":
        assert len(tree.css("#comments .comment")) >= 2


@pytest.mark.parametrize("slug", [a.slug for a in site().articles])
def test_internal_links_point_at_the_site(slug: str) -> None:
    """Every link to the site itself names an article page, a feed, or a feed's folder."""
    loaded = site()
    known = {f"{BASE}/{page_path(loaded, a)}" for a in loaded.articles}
    known |= {f"{BASE}/{f.path}" for f in loaded.feeds} | {f"{BASE}/{f.folder}/" for f in loaded.feeds}
    for node in page(slug).css("[href]"):
        href = (node.attributes.get("href") or "").split("#", 1)[0]
        if href.startswith(BASE):
            assert href in known, href


def test_render_page_fills_base_and_unescapes_braces() -> None:
    """render_page replaces {base} (dropping a trailing slash) and turns {{ and }} into literal braces."""
    out = render_page('<a href="{base}/x.html">{{not a placeholder}}</a> {base}', "http://h:1/")
    assert out == b'<a href="http://h:1/x.html">{not a placeholder}</a> http://h:1'


@pytest.mark.parametrize("feed_name", ["frontier-wire", "steppe-blog"])
def test_rendered_feed_parses_with_links_titles_and_aware_dates(feed_name: str) -> None:
    """The feed parses cleanly, lists every article of the feed newest first with its link, title and tz-aware date."""
    loaded = site()
    feed = loaded.feed(feed_name)
    body = render_feed(loaded, feed_name, BASE + "/", NOW)
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == ("rss20" if feed.format == "rss" else "atom10")
    expected = sorted(loaded.articles_of(feed_name), key=lambda a: a.hours_ago)
    assert [e.title for e in parsed.entries] == [a.title for a in expected]
    assert [e.link for e in parsed.entries] == [f"{BASE}/{page_path(loaded, a)}" for a in expected]
    assert [e.summary for e in parsed.entries] == [a.summary for a in expected]
    assert all(e.id == e.link for e in parsed.entries)
    for entry, article in zip(parsed.entries, expected, strict=True):
        if feed.format == "rss":
            when = parsedate_to_datetime(entry.published)
        else:
            when = datetime.fromisoformat(entry.published)
            assert datetime.fromisoformat(entry.updated) == when
        assert when.tzinfo is not None
        assert when == published_at(article, NOW)
        assert abs(NOW - when - timedelta(hours=article.hours_ago)) < timedelta(seconds=1)


def test_feed_dates_follow_now_in_any_timezone() -> None:
    """The same instant in another timezone gives the same feed; a naive `now` is refused."""
    loaded = site()
    east = NOW.astimezone(datetime.fromisoformat("2024-01-01T00:00+05:00").tzinfo)
    assert render_feed(loaded, "steppe-blog", BASE, east) == render_feed(loaded, "steppe-blog", BASE, NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        render_feed(loaded, "steppe-blog", BASE, NOW.replace(tzinfo=None))


def test_feed_escapes_markup_in_titles() -> None:
    """Titles and summaries with markup characters survive the round trip through XML."""
    text = """
[[feeds]]
name = "w"
path = "w/rss.xml"
format = "rss"
title = "W & Co"
[[feeds]]
name = "b"
path = "b/atom.xml"
format = "atom"
title = "B <blog>"
[[articles]]
slug = "a"
feed = "w"
hours_ago = 1
title = "Tom & Jerry <b>cross</b> the \\"Panj\\""
summary = "x < y & z"
[[articles]]
slug = "b"
feed = "b"
hours_ago = 2
title = "Tom & Jerry <b>cross</b> the \\"Panj\\""
summary = "x < y & z"
"""
    loaded = load_manifest(text)
    for name in ("w", "b"):
        entry = feedparser.parse(render_feed(loaded, name, BASE, NOW)).entries[0]
        assert entry.summary == "x < y & z"
        assert "Jerry" in entry.title and "Panj" in entry.title


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('format = "rss"', 'format = "json"'), "format"),
        (lambda t: t.replace('feed = "frontier-wire"', 'feed = "nowhere"', 1), "unknown feed"),
        (lambda t: t.replace("hours_ago = 0.4", 'hours_ago = "soon"'), "hours_ago"),
        (lambda t: t.replace('path = "wire/rss.xml"', 'path = "rss.xml"'), "path"),
        (
            lambda t: (
                t + '\n[[articles]]\nslug = "takhar-clash-rustaq"\nfeed = "steppe-blog"\nhours_ago = 1\n'
                'title = "t"\nsummary = "s"\n'
            ),
            "twice",
        ),
        (lambda t: t.replace('repost_of = "', 'repost_of = "missing-', 1), "repost_of"),
        (lambda t: t.replace("[[articles]]", "[[article]]"), "unknown key"),
        (lambda t: t.replace('title = "Steppe Notes"', "title = 3"), "title"),
        (lambda t: t + "\n[[[broken", "TOML"),
    ],
)
def test_bad_manifest_is_refused_with_a_clear_message(change: object, message: str) -> None:
    """Each kind of manifest mistake raises ValueError naming the problem."""
    original = (SITE_DIR / "manifest.toml").read_text(encoding="utf-8")
    assert callable(change)
    changed = change(original)
    assert changed != original
    with pytest.raises(ValueError, match=message):
        load_manifest(changed)


def test_content_plan_history_burst_and_others() -> None:
    """The wire holds a two-week Takhar history, a fresh Takhar burst, and region stories without Takhar."""
    wire = [a for a in site().articles_of("frontier-wire") if not repost_source(a.slug)]
    takhar = [a for a in wire if takhar_mentioned(visible_text(a.slug))]
    history = [a for a in takhar if 30 <= a.hours_ago <= 330]
    burst = [a for a in takhar if 0.2 <= a.hours_ago <= 2.8]
    assert len(history) == 6 and len(burst) == 7 and len(takhar) == 13
    assert max(a.hours_ago for a in history) - min(a.hours_ago for a in history) > 200
    others = [a for a in wire if a not in takhar]
    assert len(others) == 5 and all(1 <= a.hours_ago <= 300 for a in others)
    for article in burst:
        body = page(article.slug).css_first("article")
        assert body is not None
        assert 150 <= len(words(body.text(separator=" "))) <= 400, article.slug


def test_distinct_stories_share_no_long_run_of_words() -> None:
    """No two pages that are not a repost pair share a run of 12 consecutive words (visible text)."""
    slugs = [a.slug for a in site().articles]
    page_runs = {slug: runs(visible_text(slug)) for slug in slugs}
    for left, right in itertools.combinations(slugs, 2):
        if repost_source(left) == right or repost_source(right) == left:
            continue
        shared = page_runs[left] & page_runs[right]
        assert not shared, f"{left} and {right} share: {' '.join(next(iter(shared)))}"


def test_reposts_copy_most_of_their_originals() -> None:
    """Each blog repost reproduces most of its seed or wire original verbatim, in long runs."""
    reposts = [a for a in site().articles if repost_source(a.slug)]
    assert sum(1 for a in reposts if a.repost_of_seed) == 3 and sum(1 for a in reposts if a.repost_of) == 1
    for article in reposts:
        assert article.feed == "steppe-blog"
        if article.repost_of_seed:
            original = (SEEDS_DIR / article.repost_of_seed).read_text(encoding="utf-8")
        else:
            assert article.repost_of is not None
            original = visible_text(article.repost_of)
        original_runs = runs(original)
        copied = runs(visible_text(article.slug)) & original_runs
        assert len(copied) / len(original_runs) >= 0.5, article.slug
        assert runs(visible_text(article.slug), 40) & runs(original, 40), article.slug


def test_dedup_engine_recognises_exactly_the_reposts() -> None:
    """Extracted and checked oldest first against the seeds, only the reposts come out as duplicates, of the right text."""
    store = MemoryStore()
    names: dict[int, str] = {}
    for number, path in enumerate(sorted(SEEDS_DIR.glob("*.txt")), start=1):
        store.add(number, analyse(path.read_text(encoding="utf-8")))
        names[number] = f"seed:{path.name}"
    loaded = site()
    for number, article in enumerate(sorted(loaded.articles, key=lambda a: -a.hours_ago), start=100):
        html = render_page(template(article.slug), BASE)
        extracted = extract_article(html, f"{BASE}/{page_path(loaded, article)}")
        assert extracted.problem is None and extracted.title == article.title, article.slug
        verdict = check(extracted.text, store)
        found = names[verdict.duplicate_of] if verdict.duplicate_of is not None else None
        assert found == repost_source(article.slug), article.slug
        store.add(number, analyse(extracted.text))
        names[number] = article.slug
