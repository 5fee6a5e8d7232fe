"""Article extraction: real pages with hand-made ground truth, charsets, verdicts and metadata."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from monitor.extract import Article, article_to_json, extract_article
from monitor.extract.quality import page_counts, page_precision, page_recall

PAGES = ["en_macrumors", "ru_gto_normativy", "ko_entermedia", "ja_lhpat"]
LANGUAGES = {"en_macrumors": "en", "ru_gto_normativy": "ru", "ko_entermedia": "ko", "ja_lhpat": "ja"}


def _page(fixtures: Path, name: str) -> tuple[bytes, str, str]:
    """Raw bytes, URL and ground-truth text of one benchmark page shipped as a fixture."""
    folder = fixtures / "extract"
    info = json.loads((folder / "pages.json").read_text(encoding="utf-8"))[name]
    html = gzip.decompress((folder / f"{name}.html.gz").read_bytes())
    truth = (folder / f"{name}.expected.txt").read_text(encoding="utf-8")
    return html, info["url"], truth


@pytest.mark.parametrize("name", PAGES)
def test_real_pages_match_ground_truth(fixtures: Path, name: str) -> None:
    """The main text of real pages in four scripts matches the hand-made ground truth (shingle P and R)."""
    html, url, truth = _page(fixtures, name)
    article = extract_article(html, url)
    counts = page_counts(truth, article.text)
    assert page_precision(*counts) >= 0.9, article.text[:500]
    assert page_recall(*counts) >= 0.9, article.text[:500]
    assert article.problem is None
    assert article.language == LANGUAGES[name]


def test_paragraphs_are_kept(fixtures: Path) -> None:
    """Paragraphs come out separated by a blank line, with no empty ones."""
    html, url, _ = _page(fixtures, "ru_gto_normativy")
    text = extract_article(html, url).text
    paragraphs = text.split("\n\n")
    assert len(paragraphs) >= 3
    assert all(paragraph.strip() == paragraph and paragraph for paragraph in paragraphs)


def test_comments_and_related_lists_are_left_out(fixtures: Path) -> None:
    """A page whose comment section outweighs the article still yields the article, not the comments."""
    html, url, truth = _page(fixtures, "en_macrumors")
    text = extract_article(html, url).text
    assert text.startswith(truth[:60])
    assert "Steve Jobs" not in text  # the page's comment threads and sidebar headlines mention him


def test_metadata_from_json_ld_and_meta(fixtures: Path) -> None:
    """Title, author, date, canonical URL and lead image come from JSON-LD, OpenGraph and <link>."""
    html, url, _ = _page(fixtures, "en_macrumors")
    article = extract_article(html, url)
    assert article.title == "13-Inch MacBook Pro With Scissor Keyboard Expected in First Half of 2020"
    assert article.author == "Joe Rossignol"
    assert article.published == datetime(2019, 11, 18, 10, 45, tzinfo=UTC)
    assert article.canonical_url == url
    assert article.image is not None and article.image.startswith("https://")


def test_published_is_timezone_aware(fixtures: Path) -> None:
    """A date with an offset keeps it, so the publication day is the publisher's day."""
    html, url, _ = _page(fixtures, "ru_gto_normativy")
    published = extract_article(html, url).published
    assert published is not None and published.utcoffset() is not None
    assert published.date() == date(2018, 10, 3)


@pytest.mark.parametrize(
    "name", ["charset_iso-8859-1.html", "charset_iso-8859-1-meta-after-1024.html",
             "charset_utf8-meta-after-1024.html"],
)
def test_declared_and_detected_charsets(fixtures: Path, name: str) -> None:
    """Pages in ISO-8859-1 and UTF-8, with the declaration early or late, decode to the same text."""
    article = extract_article((fixtures / "extract" / name).read_bytes())
    assert article.title == "Frédéric"
    assert article.text == "Café"


def test_undeclared_windows_1251_is_detected(fixtures: Path) -> None:
    """Cyrillic bytes in windows-1251 without any declaration are detected and decoded."""
    html, url, _ = _page(fixtures, "ru_gto_normativy")
    text = extract_article(html, url).text
    paragraphs = "".join(f"<p>{paragraph}</p>" for paragraph in text.split("\n\n"))
    page = f"<html><body><article>{paragraphs}</article></body></html>"
    article = extract_article(page.encode("cp1251", "replace"), url)
    assert article.text.split("\n\n")[0] == text.split("\n\n")[0]
    assert article.language == "ru"


def _urdu_items(fixtures: Path) -> list[tuple[str, str]]:
    """(title, description) of the BBC Urdu feed items shipped as a fixture."""
    feed = gzip.decompress((fixtures / "extract" / "bbc_urdu_feed.xml.gz").read_bytes()).decode("utf-8")
    titles = re.findall(r"<item>\s*<title><!\[CDATA\[(.*?)\]\]>", feed)
    descriptions = re.findall(r"<item>.*?<description><!\[CDATA\[(.*?)\]\]>", feed, re.DOTALL)
    return list(zip(titles, descriptions, strict=False))


def test_arabic_script_page_keeps_text_and_drops_link_lists(fixtures: Path) -> None:
    """An Urdu page built from real BBC Urdu text: paragraphs kept, headline link list dropped, "ur" guessed."""
    items = _urdu_items(fixtures)
    body = "".join(f"<p>{description}</p>" for _, description in items[:6])
    related = "".join(f'<li><a href="/urdu/{i}">{title}</a></li>' for i, (title, _) in enumerate(items[6:16]))
    page = (f"<html><head><title>{items[0][0]}</title></head><body><div class='story'>{body}"
            f"<ul>{related}</ul></div></body></html>")
    article = extract_article(page.encode("utf-8"))
    assert article.text.split("\n\n") == [description.strip() for _, description in items[:6]]
    assert article.language == "ur"


def test_body_split_across_containers_is_joined() -> None:
    """Article text split into several blocks around an advert and a link list comes out whole."""
    paragraph = "The border crossing at the river reopened on Tuesday, officials said, after a week of talks. "
    page = (
        "<html><body><header><a href='/'>Home</a></header><div class='wrap'>"
        f"<div class='part'><p>{paragraph * 2}</p><p>{paragraph}</p></div>"
        "<div class='promo'><a href='/a'>Subscribe now and save</a></div>"
        "<ul><li><a href='/x'>Another headline about something else</a></li>"
        "<li><a href='/y'>Yet another headline to click</a></li></ul>"
        f"<div class='part'><p>Second part. {paragraph}</p><p>Last part. {paragraph}</p></div>"
        "</div><footer>Copyright</footer></body></html>"
    )
    text = extract_article(page).text
    assert text.count("\n\n") == 3
    assert "Second part." in text and "Last part." in text
    assert "headline" not in text and "Subscribe" not in text


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        (b"", "empty page"),
        (b"   \n ", "empty page"),
        ("<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>"
         "<p>The requested URL was not found on this server.</p></body></html>", "error page"),
        ("<html><body><form><p>Please sign in to continue reading this article.</p>"
         "<input type='email' name='e'><input type='password' name='p'><button>Log in</button>"
         "</form></body></html>", "login wall"),
        ("<html><body><p>Short note, nothing more to read here at all.</p></body></html>", "too short"),
    ],
)
def test_non_articles_are_flagged(html: bytes | str, problem: str) -> None:
    """Empty, error, login-wall and too-short pages give a reason in `problem`."""
    assert extract_article(html).problem == problem


def test_section_front_is_flagged() -> None:
    """A page that is mostly headline links is flagged as a section front."""
    links = "".join(
        f"<li><a href='/news/{i}'>Headline number {i} about the regional news of the day</a></li>"
        for i in range(40)
    )
    article = extract_article(f"<html><body><ul>{links}</ul><p>About us.</p></body></html>")
    assert article.problem == "not an article: section front"


def test_canonical_url_is_absolutised_and_home_page_canonical_ignored() -> None:
    """A relative canonical is made absolute; one pointing at the site's front page is ignored."""
    page = "<html><head><link rel='canonical' href='/news/a-1.html'></head><body></body></html>"
    assert extract_article(page, "https://example.org/x?y=1").canonical_url == "https://example.org/news/a-1.html"
    front = "<html><head><link rel='canonical' href='https://example.org/'></head><body></body></html>"
    assert extract_article(front, "https://example.org/news/a-1.html").canonical_url is None


def test_article_to_json_is_serialisable(fixtures: Path) -> None:
    """article_to_json gives a JSON-serialisable dict with every field and an ISO 8601 date."""
    html, url, _ = _page(fixtures, "en_macrumors")
    data = article_to_json(extract_article(html, url))
    assert set(data) == set(Article.__dataclass_fields__)
    assert data["published"] == "2019-11-18T10:45:00+00:00"
    assert json.loads(json.dumps(data)) == data
