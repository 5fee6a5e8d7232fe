"""Page variants: AMP documents, print versions, JSON-LD bodies, and a right-to-left Urdu page."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from monitor.extract import extract_article
from monitor.extract.quality import page_counts, page_precision, page_recall

MACRUMORS_URL = "https://www.macrumors.com/2019/11/18/13-inch-macbook-pro-scissor-keyboard-2020/"
MACRUMORS_TITLE = "13-Inch MacBook Pro With Scissor Keyboard Expected in First Half of 2020"


def _fixture(fixtures: Path, name: str) -> bytes:
    """Bytes of one file under tests/fixtures/extract."""
    return (fixtures / "extract" / name).read_bytes()


def _truth(fixtures: Path, name: str) -> str:
    """Expected main text shipped beside the fixtures."""
    return (fixtures / "extract" / name).read_text(encoding="utf-8")


def _scores(truth: str, text: str) -> tuple[float, float]:
    """Shingle precision and recall of an extraction against the expected text."""
    counts = page_counts(truth, text)
    return page_precision(*counts), page_recall(*counts)


def test_amp_document_drops_amp_components(fixtures: Path) -> None:
    """An AMP page gives the article alone: no sidebar menu, ad fallback, share bar or consent notice."""
    html = _fixture(fixtures, "en_macrumors_amp.html")
    article = extract_article(html, MACRUMORS_URL.replace(".com/", ".com/amp/"))
    precision, recall = _scores(_truth(fixtures, "en_macrumors.expected.txt"), article.text)
    assert precision >= 0.97 and recall >= 0.97, article.text[:300]
    for boilerplate in ("Advertisement", "cookies", "Roundups", "Top Stories", "broad audience"):
        assert boilerplate not in article.text
    assert article.canonical_url == MACRUMORS_URL
    assert article.title == MACRUMORS_TITLE
    assert article.author == "Joe Rossignol"
    assert article.published is not None and article.published.utcoffset() == timedelta(hours=-8)


def test_amp_markup_counts_only_on_amp_documents() -> None:
    """An <amp-ad> element on an ordinary page is just an unknown element and its text is kept."""
    story = "<p>" + "Officials said the crossing would reopen next week after repairs to the bridge. " * 3 + "</p>"
    ordinary = f"<html><body><article>{story}<amp-ad><p>{'Unusual but real paragraph text here. ' * 3}</p>" \
               "</amp-ad></article></body></html>"
    assert "Unusual but real" in extract_article(ordinary).text
    amp = ordinary.replace("<html>", "<html amp>")
    assert "Unusual but real" not in extract_article(amp).text


def test_print_version_in_a_table_layout(fixtures: Path) -> None:
    """A print page (tables, <font>, <br><br>) gives the article without the headline or copyright line."""
    html = _fixture(fixtures, "en_macrumors_print.html")
    article = extract_article(html, MACRUMORS_URL + "?print=1")
    precision, recall = _scores(_truth(fixtures, "en_macrumors.expected.txt"), article.text)
    assert precision >= 0.95 and recall >= 0.97, article.text[:300]
    assert not article.text.startswith(MACRUMORS_TITLE)
    assert "Copyright" not in article.text and "Print this page" not in article.text
    assert article.problem is None


def test_print_version_date_from_the_dateline(fixtures: Path) -> None:
    """Without metadata or a URL date, the dateline under the bold headline gives the date in its zone."""
    article = extract_article(_fixture(fixtures, "en_macrumors_print.html"), "https://www.macrumors.com/print/")
    assert article.published is not None
    assert article.published.date() == date(2019, 11, 18)
    assert article.published.utcoffset() == timedelta(hours=-8)


def _app_shell(body_json: str) -> str:
    """A script-rendered page: an empty root element, a headline, and a JSON-LD NewsArticle."""
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": MACRUMORS_TITLE,
          "datePublished": "2019-11-18T07:45:00-08:00", "articleBody": body_json}
    return (f"<html><head><title>{MACRUMORS_TITLE}</title>"
            f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
            f'<body><div id="root"><h1>{MACRUMORS_TITLE}</h1><p>Loading…</p></div>'
            f"<noscript>Please enable JavaScript to read this page.</noscript></body></html>")


def test_json_ld_body_rescues_a_script_rendered_page(fixtures: Path) -> None:
    """When the DOM holds no article, the JSON-LD articleBody is the text, split into its paragraphs."""
    truth = _truth(fixtures, "en_macrumors.expected.txt")
    article = extract_article(_app_shell(truth), MACRUMORS_URL)
    precision, recall = _scores(truth, article.text)
    assert precision >= 0.99 and recall >= 0.99
    assert article.text.count("\n\n") == truth.strip().count("\n\n")
    assert article.problem is None


def test_json_ld_body_in_html_is_cleaned(fixtures: Path) -> None:
    """An articleBody holding HTML markup gives clean paragraphs, not tags."""
    truth = _truth(fixtures, "en_macrumors.expected.txt")
    marked = "".join(f"<p>{paragraph}</p>" for paragraph in truth.strip().split("\n\n"))
    article = extract_article(_app_shell(marked), MACRUMORS_URL)
    assert "<p>" not in article.text
    assert _scores(truth, article.text) >= (0.99, 0.99)


def test_json_ld_teaser_does_not_replace_the_page_text(fixtures: Path) -> None:
    """A teaser in articleBody leaves a good DOM extraction alone."""
    truth = _truth(fixtures, "en_macrumors.expected.txt")
    html = _fixture(fixtures, "en_macrumors_amp.html")  # its articleBody is a one-sentence teaser
    teaser = extract_article(html, MACRUMORS_URL).text
    assert _scores(truth, teaser) >= (0.97, 0.97)


def test_urdu_page_right_to_left(fixtures: Path) -> None:
    """An Urdu page (real BBC Urdu text): story kept; menu, share bar, related list and comments dropped."""
    article = extract_article(_fixture(fixtures, "ur_bbc_built.html"), "https://www.bbc.com/urdu/pakistan-42575603")
    truth = _truth(fixtures, "ur_bbc_built.expected.txt")
    precision, recall = _scores(truth, article.text)
    assert precision >= 0.97 and recall >= 0.97, article.text[:300]
    assert article.text.split("\n\n") == truth.strip().split("\n\n")
    assert article.language == "ur"
    assert article.published is not None and article.published.date() == date(2018, 1, 5)
    assert article.author is None  # the only byline-like names belong to commenters
    assert article.problem is None


def test_print_version_with_print_classes(fixtures: Path) -> None:
    """A modern print view (classes saying "print") gives the story without print links, byline or footer."""
    truth = _truth(fixtures, "en_macrumors.expected.txt")
    paragraphs = "".join(f"<p>{paragraph}</p>" for paragraph in truth.strip().split("\n\n"))
    page = (
        f"<html><head><title>{MACRUMORS_TITLE} | MacRumors</title></head><body class='print'>"
        "<div id='printHeader' class='printable'><img src='/logo.png' alt=''> <span>Printed from macrumors.com"
        "</span> <a href='javascript:window.print()'>Print</a> <a href='javascript:window.close()'>Close</a></div>"
        f"<div class='printable print-story'><h1>{MACRUMORS_TITLE}</h1>"
        f"<p class='printable-byline'>By Joe Rossignol | November 18, 2019</p>{paragraphs}</div>"
        "<div class='printable print-footer'><p>© 2019 MacRumors.com, LLC. All rights reserved.</p></div>"
        "</body></html>"
    )
    article = extract_article(page, "https://www.macrumors.com/print/2019-11-18-13-inch/")
    assert _scores(truth, article.text) >= (0.99, 0.99), article.text[:200]
    assert article.author == "Joe Rossignol"
    assert article.published is not None and article.published.date() == date(2019, 11, 18)
