"""Date parsing for publication dates: metadata formats, running text, URLs and the language guess."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitor.extract.dates import date_from_url, parse_date
from monitor.extract.language import guess_language, normalise_tag


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-11-18T10:45:00Z", datetime(2019, 11, 18, 10, 45, tzinfo=UTC)),
        ("2019-11-18T19:41:33+04:00", datetime(2019, 11, 18, 19, 41, 33, tzinfo=timezone(timedelta(hours=4)))),
        ("2019-11-20T01:50:59.403", datetime(2019, 11, 20, 1, 50, 59, tzinfo=UTC)),
        ("Tue, 19 Nov 2019 14:05:00 GMT", datetime(2019, 11, 19, 14, 5, tzinfo=UTC)),
        ("Monday November 18, 2019 7:45 am PST", datetime(2019, 11, 18, 7, 45, tzinfo=UTC)),
        ("Updated: Nov. 19, 2019, 3:10 p.m.", datetime(2019, 11, 19, 15, 10, tzinfo=UTC)),
        ("5 мая 2019", datetime(2019, 5, 5, tzinfo=UTC)),
        ("3 de junio de 2020", datetime(2020, 6, 3, tzinfo=UTC)),
        ("2018/10/05", datetime(2018, 10, 5, tzinfo=UTC)),
        ("1574168580", datetime(2019, 11, 19, 13, 3, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
        ("2019-02-30", None),
    ],
)
def test_parse_date(text: str, expected: datetime | None) -> None:
    """Common date strings parse to aware datetimes (UTC when no zone is given); nonsense gives None."""
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
