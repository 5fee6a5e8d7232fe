"""Dates as feeds write them, made timezone-aware UTC: feedparser's result first, a tolerant fallback after.

The fallback reads what feedparser gives up on: missing spaces ("Thu,28 Jul"), unpadded times
("4:35:5"), offsets written as "GMT+9" (meaning nine hours ahead, not the POSIX reading), month and
weekday names in other languages, and common zone abbreviations. A date without a zone is taken
as UTC. Text without a four-digit year is refused rather than completed from today's date.
"""

from __future__ import annotations

import re
import time
import warnings
from datetime import UTC, datetime, timedelta

from dateutil import parser as dateutil_parser
from dateutil.parser import ParserError

_MIN_YEAR, _MAX_YEAR = 1970, 2100

# Month names and abbreviations (English, Portuguese, Spanish, French, German, Italian, Dutch, Russian,
# Turkish, Polish), mapped to the English abbreviation dateutil reads.
_MONTHS: dict[str, str] = {
    "Jan": (
        "jan january janeiro enero ene janvier janv januar jän jänner gennaio gen januari "
        "янв январь января ocak sty styczeń stycznia"
    ),
    "Feb": (
        "feb february fevereiro fev febrero février févr fevr februar febbraio februari "
        "фев февраль февраля şubat lut luty lutego"
    ),
    "Mar": "mar march março marco marzo mars märz mär mrz maart mrt мар март марта mart marzec marca",
    "Apr": "apr april abril abr avril avr aprile апр апрель апреля nisan kwi kwiecień kwietnia",
    "May": "may maio mayo mai maggio mag mei мая май mayıs maj maja",
    "Jun": "jun june junho junio juin juni giugno giu июн июнь июня haziran cze czerwiec czerwca",
    "Jul": "jul july julho julio juillet juil juli luglio lug июл июль июля temmuz lip lipiec lipca",
    "Aug": "aug august agosto ago août aout augustus авг август августа ağustos sie sierpień sierpnia",
    "Sep": (
        "sep sept september setembro set septiembre septembre settembre сен сент сентябрь "
        "сентября eylül wrz wrzesień września"
    ),
    "Oct": (
        "oct october outubro out octubre octobre oktober okt ottobre ott окт октябрь "
        "октября ekim paź październik października"
    ),
    "Nov": "nov november novembro noviembre novembre ноя нояб ноябрь ноября kasım lis listopad listopada",
    "Dec": (
        "dec december dezembro dez diciembre dic décembre déc dezember dicembre дек "
        "декабрь декабря aralık gru grudzień grudnia"
    ),
}
_MONTH_OF = {name: english for english, names in _MONTHS.items() for name in names.split()}
_NOISE_WORDS = frozenset(
    # weekdays (English, Portuguese, Spanish, French, German, Italian, Dutch, Russian) and joining words
    str.split(
    """mon monday tue tues tuesday wed wednesday thu thur thurs thursday fri friday sat saturday sun sunday
    seg segunda ter terça terca qua quarta qui quinta sex sexta sáb sab sábado sabado dom domingo feira
    lun lunes mar martes mié mie miércoles miercoles jue jueves vie viernes
    lundi mardi mercredi jeudi vendredi samedi dimanche mer jeu ven sam
    mo montag di dienstag mi mittwoch do donnerstag fr freitag sa samstag so sonntag
    lunedì martedì mercoledì giovedì venerdì sabato gio
    ma maandag dinsdag wo woensdag donderdag vrijdag zaterdag zo zondag
    пн вт ср чт пт сб вс понедельник вторник среда четверг пятница суббота воскресенье
    de del of the le à um г года"""
    )
)
_ZONES: dict[str, int] = {  # common abbreviations, hours east of UTC
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "CET": 1, "MEZ": 1, "WEST": 1, "CEST": 2,
    "MESZ": 2, "EET": 2, "EEST": 3, "MSK": 3, "IST": 5, "PKT": 5, "AFT": 4, "TJT": 5, "UZT": 5, "TMT": 5,
    "ICT": 7, "WIB": 7, "HKT": 8, "SGT": 8, "AWST": 8, "JST": 9, "KST": 9, "ACST": 9, "AEST": 10, "AEDT": 11,
    "NZST": 12, "NZDT": 13, "AST": -4, "ADT": -3, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7,
    "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10, "BRT": -3, "ART": -3,
}
_TZINFOS = {name: hours * 3600 for name, hours in _ZONES.items()}
_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC|UT)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\b", re.I)
_WORD = re.compile(r"[^\W\d_]+\.?")
_RFC822_LIKE = re.compile(
    r"^(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?: ([+-])(\d{2})(\d{2}))?$"
)
_MONTH_NUMBER = {name: number for number, name in enumerate(_MONTHS, start=1)}
_YEAR = re.compile(r"(?<!\d)(19[7-9]\d|20\d\d|2100)(?!\d)")


def datetime_from_struct(value: time.struct_time | tuple[int, ...] | None) -> datetime | None:
    """A feedparser `*_parsed` value (a UTC struct_time) as an aware datetime; None if unusable."""
    if value is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in tuple(value)[:6])
        parsed = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    return parsed if _MIN_YEAR <= parsed.year <= _MAX_YEAR else None


def _offset_repl(match: re.Match[str]) -> str:
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    return f" {sign}{hours:02d}{minutes:02d}"


def _word_repl(match: re.Match[str]) -> str:
    word = match.group(0)
    key = word.rstrip(".").lower()
    if key in _MONTH_OF:
        return f" {_MONTH_OF[key]} "
    if key in _NOISE_WORDS:
        return " "
    return word


def normalize_date_text(text: str) -> str:
    """Rewrite a loosely written date into something dateutil reads (see the module docstring)."""
    text = _GMT_OFFSET.sub(_offset_repl, text)
    text = text.replace(",", " ")
    text = re.sub(r"(?<=\d)h(?=\d)", ":", text)  # "19h42" as written in French and Portuguese
    text = _WORD.sub(_word_repl, text)
    return " ".join(text.split())


def _from_rfc822_match(match: re.Match[str]) -> datetime | None:
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    if month not in _MONTH_NUMBER:
        return None
    try:
        parsed = datetime(int(year), _MONTH_NUMBER[month], int(day), int(hour), int(minute), int(second or 0),
                          tzinfo=UTC)
    except ValueError:
        return None
    if sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        parsed = parsed - offset if sign == "+" else parsed + offset
    return parsed if _MIN_YEAR <= parsed.year <= _MAX_YEAR else None


def parse_date(text: str | None) -> datetime | None:
    """Parse a date string tolerantly into aware UTC; None when it holds no credible date."""
    if not text or len(text) > 200:
        return None
    text = text.strip()
    if not _YEAR.search(text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        normalized = normalize_date_text(text)
        quick = _RFC822_LIKE.match(normalized)
        if quick is not None:
            return _from_rfc822_match(quick)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # dateutil warns about zone names it does not know
                parsed = dateutil_parser.parse(
                    normalized, tzinfos=_TZINFOS, default=datetime(2000, 1, 1), dayfirst=False
                )
        except (ParserError, ValueError, OverflowError, TypeError):
            return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return parsed if _MIN_YEAR <= parsed.year <= _MAX_YEAR else None

