"""Publication dates: metadata formats, running text, URLs, the publisher's offset, and the language guess."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from monitor.extract import extract_article
from monitor.extract.dates import date_from_url, parse_date
from monitor.extract.language import guess_language, normalise_tag
from monitor.extract.published import on_day, page_offsets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-11-18T10:45:00Z", datetime(2019, 11, 18, 10, 45, tzinfo=UTC)),
        ("2019-11-18T19:41:33+04:00", datetime(2019, 11, 18, 19, 41, 33, tzinfo=timezone(timedelta(hours=4)))),
        ("2019-11-20T01:50:59.403", datetime(2019, 11, 20, 1, 50, 59, tzinfo=UTC)),
        ("Tue, 19 Nov 2019 14:05:00 GMT", datetime(2019, 11, 19, 14, 5, tzinfo=UTC)),
        ("Monday November 18, 2019 7:45 am PST", datetime(2019, 11, 18, 7, 45, tzinfo=timezone(timedelta(hours=-8)))),
        ("March 3, 2023 10:15 AFT", datetime(2023, 3, 3, 10, 15, tzinfo=timezone(timedelta(hours=4, minutes=30)))),
        ("Updated: Nov. 19, 2019, 3:10 p.m.", datetime(2019, 11, 19, 15, 10, tzinfo=UTC)),
        ("5 мая 2019", datetime(2019, 5, 5, tzinfo=UTC)),
        ("3 de junio de 2020", datetime(2020, 6, 3, tzinfo=UTC)),
        ("2018/10/05", datetime(2018, 10, 5, tzinfo=UTC)),
        ("۱۵ اکتبر ۲۰۲۳", datetime(2023, 10, 15, tzinfo=UTC)),
        ("۳ جولای ۲۰۲۱", datetime(2021, 7, 3, tzinfo=UTC)),
        ("12 ستمبر 2018", datetime(2018, 9, 12, tzinfo=UTC)),
        ("٢٠ أغسطس ٢٠٢١", datetime(2021, 8, 20, tzinfo=UTC)),
        ("5 iyul 2022", datetime(2022, 7, 5, tzinfo=UTC)),
        ("1574168580", datetime(2019, 11, 19, 13, 3, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
        ("2019-02-30", None),
    ],
)
def test_parse_date(text: str, expected: datetime | None) -> None:
    """Common date strings parse to aware datetimes in their stated zone (UTC when none); nonsense gives None."""
    assert parse_date(text) == expected


def test_date_from_url() -> None:
    """Dates written into URL paths are found; ids that merely look numeric are not."""
    assert date_from_url("https://www.nytimes.com/2019/11/19/opinion/x.html") == datetime(2019, 11, 19, tzinfo=UTC)
    assert date_from_url("https://site.com/news/20191115/story") == datetime(2019, 11, 15, tzinfo=UTC)
    assert date_from_url("https://www.rt.com/news/473849-3-morales/") is None
    assert date_from_url("https://a.org/statements/2019/nov/18/who/") == datetime(2019, 11, 18, tzinfo=UTC)
    assert date_from_url("https://a.org/tuft-cells-20191115/") == datetime(2019, 11, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Талибы заявили о контроле над переправами через Амударью на границе с Таджикистаном.", "ru"),
        ("طالبان کنترل گذرگاه‌های مرزی با تاجیکستان را در ولایت بدخشان به دست گرفتند و گفتند که", "fa"),
        ("امریکہ اور پاکستان کے 70 سالہ تعلقات میں جب بھی زیادہ کشیدگی آتی ہے تو اس میں پہلی تلوار", "ur"),
        ("أعلنت حركة طالبان سيطرتها على المعابر الحدودية مع طاجيكستان في ولاية بدخشان", "ar"),
        ("Толибон назорати гузаргоҳҳои марзӣ бо Тоҷикистонро дар вилояти Бадахшон ба даст гирифтанд", "tg"),
        ("The Taliban said they had taken control of the border crossings with Tajikistan in the north.", "en"),
    ],
)
def test_guess_language(text: str, language: str) -> None:
    """The script and its distinctive letters tell Russian, Persian, Urdu, Arabic, Tajik and English apart."""
    assert guess_language(text) == language


def test_normalise_tag() -> None:
    """Language tags reduce to their primary subtag; malformed ones give None."""
    assert normalise_tag("en-US") == "en"
    assert normalise_tag(" FA_IR ") == "fa"
    assert normalise_tag("iw") == "he"
    assert normalise_tag("english please") is None


def test_date_from_url_in_a_slug() -> None:
    """A dashed date at the end of a slug is the URL's date; mixed separators are not a date."""
    assert date_from_url("https://a.com/news/key-moments-2019-11-19/") == datetime(2019, 11, 19, tzinfo=UTC)
    assert date_from_url("https://a.com/story/2019-11-19/disney") == datetime(2019, 11, 19, tzinfo=UTC)
    assert date_from_url("https://a.com/2019/11-19/x") is None


def test_page_offsets_most_frequent_first() -> None:
    """Non-zero offsets of ISO timestamps in the raw page are counted; Z and +00:00 are not offsets."""
    page = (b'<meta content="2019-11-20T02:59:46+00:00"><script>a="2019-11-19T20:59:46-06:00";'
            b'b="2019-11-19T22:16:55-06:00"; c="2019-10-23T08:29:58-0400"; d="2019-11-20T02:59Z"</script>')
    assert page_offsets(page) == [timedelta(hours=-6), timedelta(hours=-4)]
    assert page_offsets(page.decode()) == page_offsets(page)
    assert page_offsets(None) == []


def test_on_day_keeps_the_instant_and_picks_an_offset() -> None:
    """A UTC instant is moved to the URL's day by the page's offset if that fits, else the nearest hour."""
    instant = datetime(2019, 11, 19, 7, 3, 25, tzinfo=UTC)
    local = on_day(instant, date(2019, 11, 18), [])
    assert local is not None and local == instant and local.date() == date(2019, 11, 18)
    assert local.utcoffset() == timedelta(hours=-8)
    with_page = on_day(instant, date(2019, 11, 18), [timedelta(hours=2), timedelta(hours=-7, minutes=-30)])
    assert with_page is not None and with_page.utcoffset() == timedelta(hours=-7, minutes=-30)
    ahead = on_day(datetime(2019, 11, 18, 20, 0, tzinfo=UTC), date(2019, 11, 19), [])
    assert ahead is not None and ahead.utcoffset() == timedelta(hours=4) and ahead.date() == date(2019, 11, 19)
    assert on_day(instant, date(2019, 11, 16), []) is None
    assert on_day(datetime(2019, 11, 19, 13, 0, tzinfo=UTC), date(2019, 11, 18), []) is None  # needs -14h


def _published(html: str, url: str | None = None) -> datetime | None:
    """The publication instant the extractor gives for a page."""
    return extract_article(html, url).published


_STORY = "<p>" + "The crossing reopened after talks between the two sides, officials said. " * 4 + "</p>"


def test_url_day_wins_over_a_utc_instant_on_the_next_day() -> None:
    """Metadata in UTC on the day after the URL's date keeps its instant but falls on the URL's day."""
    page = (f'<html><head><meta property="article:published_time" content="2019-11-20T02:59:46Z">'
            f'<script>var x = {{"local": "2019-11-19T20:59:46-06:00"}};</script></head>'
            f"<body><h1>Border news</h1>{_STORY}</body></html>")
    published = _published(page, "https://news.example/2019/11/19/border-news/")
    assert published == datetime(2019, 11, 20, 2, 59, 46, tzinfo=UTC)
    assert published is not None and published.utcoffset() == timedelta(hours=-6)
    assert published.date() == date(2019, 11, 19)


def test_stated_offset_is_kept() -> None:
    """A date with its own offset is returned in that offset, not converted to UTC."""
    page = (f'<html><head><meta property="article:published_time" content="2023-04-05T00:30:00+04:30">'
            f"</head><body><h1>Kabul</h1>{_STORY}</body></html>")
    published = _published(page, "https://news.example/2023/04/05/kabul/")
    assert published is not None and published.utcoffset() == timedelta(hours=4, minutes=30)
    assert published.date() == date(2023, 4, 5)


@pytest.mark.parametrize(
    ("dateline", "expected"),
    [
        ('<p class="about">publiziert am 30. Juli 2018</p>', date(2018, 7, 30)),
        ("<small><b>05/10/2018</b> - Publicado por: Redação</small>", date(2018, 10, 5)),
        ("기사입력 :[ 2018-08-25 15:24 ]", date(2018, 8, 25)),
        ('<div class="meta">۱۵ اکتبر ۲۰۲۳</div>', date(2023, 10, 15)),
    ],
)
def test_date_next_to_the_headline(dateline: str, expected: date) -> None:
    """Without metadata, a short dateline just below the headline gives the day (several languages)."""
    page = (f"<html><head><title>Headline of the story - Site</title></head><body>"
            f'<div class="top"><p class="titulo">Headline of the story</p>{dateline}</div>'
            f"<p>Published 1 January 2001 in another story.</p>{_STORY}</body></html>")
    published = _published(page)
    assert published is not None and published.date() == expected


def test_dates_in_article_text_are_not_taken_for_the_headline_date() -> None:
    """A date inside a long paragraph under the headline is article text, not a dateline."""
    long_paragraph = "<p>" + "On 5 March 2015 the border was closed, and it stayed closed for years. " * 5 + "</p>"
    page = f"<html><body><h1>Headline of the story</h1>{long_paragraph}</body></html>"
    assert _published(page) is None
