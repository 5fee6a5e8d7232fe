"""Parse the date strings that pages put in metadata, bylines and URLs into aware datetimes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

_ISO = re.compile(
    r"(?P<y>(?:19|20)\d\d)-?(?P<m>[01]\d)-?(?P<d>[0-3]\d)"
    r"(?:[T ]+(?P<H>[0-2]\d):?(?P<M>[0-5]\d)(?::?(?P<S>[0-6]\d)(?:[.,]\d+)?)?"
    r"\s*(?P<z>Z|UTC|GMT|[+-][0-2]\d(?::?[0-5]\d)?)?)?"
)
_SLASHED = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)[/.](?P<m>[01]?\d)[/.](?P<d>[0-3]?\d)(?!\d)")
# Zone abbreviations seen in datelines, with their UTC offsets in minutes (ambiguous ones such as IST left out).
_ZONE_NAMES = {
    "UTC": 0, "GMT": 0, "Z": 0, "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600, "BST": 60, "CET": 60, "CEST": 120,
    "EET": 120, "EEST": 180, "MSK": 180, "IRST": 210, "AFT": 270, "PKT": 300, "UZT": 300, "TJT": 300,
    "JST": 540, "KST": 540,
}
_DMY = re.compile(r"(?<!\d)(?P<d>[0-3]?\d)[/.](?P<m>[01]?\d)[/.](?P<y>(?:19|20)\d\d)(?!\d)")
_URL_DATE = re.compile(
    r"[/_-](?P<y>(?:19|20)\d\d)(?P<sep>[/_-])(?P<m>[01]?\d)(?P=sep)(?P<d>[0-3]?\d)(?:/|[_-]|\.|$)"
    r"|[/_-](?P<y2>(?:19|20)\d\d)(?P<m2>[01]\d)(?P<d2>[0-3]\d)(?:/|\.|$)"
    r"|/(?P<y3>(?:19|20)\d\d)/(?P<m3>[a-z]{3,9})/(?P<d3>[0-3]?\d)/",
    re.IGNORECASE,
)
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
    # German, French, Spanish, Portuguese, Italian, Dutch
    "januar": 1, "februar": 2, "märz": 3, "maerz": 3, "mai": 5, "juni": 6, "juli": 7, "okt": 10, "dez": 12,
    "janv": 1, "févr": 2, "fevr": 2, "mars": 3, "avr": 4, "juin": 6, "juil": 7, "août": 8, "aout": 8,
    "déc": 12, "ene": 1, "abr": 4, "ago": 8, "dic": 12, "set": 9, "out": 10, "dez.": 12, "gen": 1,
    "mag": 5, "giu": 6, "lug": 7, "ott": 10, "mrt": 3, "mei": 5, "enero": 1, "febrero": 2, "marzo": 3,
    "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8, "septiembre": 9, "setiembre": 9,
    "octubre": 10, "noviembre": 11, "diciembre": 12,
    # Russian (genitive and nominative stems)
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7, "авг": 8, "сен": 9,
    "окт": 10, "ноя": 11, "дек": 12,
    # Uzbek (Latin)
    "yanv": 1, "fev": 2, "iyun": 6, "iyul": 7, "avg": 8, "sent": 9, "noy": 11, "dek": 12,
}
# Gregorian month names in Persian (Iran and Afghanistan), Urdu and Arabic, matched as whole words after
# folding Arabic kaf and yeh to their Persian forms.
_ARABIC_SCRIPT_MONTHS = {
    **dict.fromkeys(("ژانویه", "جنوری", "ینایر"), 1),
    **dict.fromkeys(("فوریه", "فبروری", "فروری", "فبرایر"), 2),
    **dict.fromkeys(("مارس", "مارچ"), 3),
    **dict.fromkeys(("آوریل", "اپریل", "أبریل", "ابریل", "نیسان"), 4),
    **dict.fromkeys(("مئی", "مایو", "ایار"), 5),
    **dict.fromkeys(("ژوئن", "جون", "یونیو", "حزیران"), 6),
    **dict.fromkeys(("ژوئیه", "جولای", "جولائی", "یولیو", "تموز"), 7),
    **dict.fromkeys(("اوت", "آگوست", "اگست", "أغسطس", "اغسطس", "آب"), 8),
    **dict.fromkeys(("سپتامبر", "سپتمبر", "ستمبر", "سبتمبر", "أیلول", "ایلول"), 9),
    **dict.fromkeys(("اکتبر", "اکتوبر", "أکتوبر"), 10),
    **dict.fromkeys(("نوامبر", "نومبر", "نوفمبر"), 11),
    **dict.fromkeys(("دسامبر", "دسمبر", "دیسمبر"), 12),
}
_ARABIC_FOLD = str.maketrans("كيى", "کیی")
# Persian (U+06F0..) and Arabic-Indic (U+0660..) digits read as ASCII digits.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_WORD = r"[^\W\d_]{3,}\.?"
_TEXT_MDY = re.compile(
    rf"(?P<mon>{_WORD})\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)(?!\d)"
    r"(?:(?:,|\s+at|\s*[-|•·])?\s+(?P<H>[0-2]?\d):(?P<M>[0-5]\d)\s*(?P<ampm>[ap]\.?m\.?)?"
    r"(?:\s*(?P<tz>[A-Z]{2,4})\b)?)?",
    re.IGNORECASE,
)
_TEXT_DMY = re.compile(
    rf"(?<!\d)(?P<d>[0-3]?\d)(?:st|nd|rd|th|er)?\.?\s+(?:de\s+)?(?P<mon>{_WORD})\s+(?:de\s+)?"
    r"(?P<y>(?:19|20)\d\d)(?!\d)",
    re.IGNORECASE,
)


def _month(word: str) -> int | None:
    """Month number for an English or other common month name or abbreviation."""
    word = word.lower().rstrip(".")
    if not word.isascii() and "\u0600" <= word[0] <= "\u06ff":
        return _ARABIC_SCRIPT_MONTHS.get(word.translate(_ARABIC_FOLD))
    for size in (len(word), 5, 4, 3):
        found = _MONTHS.get(word[:size])
        if found is not None:
            return found
    return None


def _zone(text: str | None) -> timezone:
    """A fixed-offset zone for an ISO 8601 zone designator; UTC when absent."""
    if not text or text in {"Z", "UTC", "GMT"}:
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) >= 4 else 0
    if hours > 14:
        return UTC
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _build(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
    zone: timezone = UTC,
) -> datetime | None:
    """An aware datetime, or None when the fields are not a real date in a plausible range."""
    if not 1995 <= year <= 2100:
        return None
    try:
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=zone)
    except ValueError:
        return None


def parse_date(text: str | None) -> datetime | None:
    """Parse one date string (ISO 8601, RFC 2822, numeric or with a month name); None if no date."""
    if not text:
        return None
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and len(text) in (10, 13):  # Unix epoch seconds or milliseconds
        value = int(text) / (1000 if len(text) == 13 else 1)
        stamp = datetime.fromtimestamp(value, tz=UTC)
        return stamp if 1995 <= stamp.year <= 2100 else None
    match = _ISO.search(text)
    if match is not None and (match.group("H") is not None or "-" in match.group(0)):
        return _build(
            int(match["y"]), int(match["m"]), int(match["d"]),
            int(match["H"] or 0), int(match["M"] or 0), int(match["S"] or 0), _zone(match["z"]),
        )
    if text[:3].isalpha() and "," in text[:5]:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return parse_text_date(text)


def parse_text_date(text: str) -> datetime | None:
    """Find a date written out in running text ("March 5, 2019", "5 мая 2019", "۱۵ اکتبر ۲۰۲۳", "2019/03/05")."""
    if not text.isascii():
        text = text.translate(_DIGITS)
    match = _TEXT_MDY.search(text)
    if match is not None:
        month = _month(match["mon"])
        if month is not None:
            hour = int(match["H"] or 0)
            ampm = (match["ampm"] or "").lower()
            if ampm.startswith("p") and hour < 12:
                hour += 12
            elif ampm.startswith("a") and hour == 12:
                hour = 0
            minutes = _ZONE_NAMES.get((match["tz"] or "").upper())
            zone = timezone(timedelta(minutes=minutes)) if minutes else UTC
            return _build(int(match["y"]), month, int(match["d"]), hour, int(match["M"] or 0), zone=zone)
    match = _TEXT_DMY.search(text)
    if match is not None:
        month = _month(match["mon"])
        if month is not None:
            return _build(int(match["y"]), month, int(match["d"]))
    match = _ISO.search(text)
    if match is not None:
        return _build(int(match["y"]), int(match["m"]), int(match["d"]))
    match = _SLASHED.search(text)
    if match is not None:
        return _build(int(match["y"]), int(match["m"]), int(match["d"]))
    match = _DMY.search(text)
    if match is not None:
        return _build(int(match["y"]), int(match["m"]), int(match["d"]))
    return None


def date_from_url(url: str | None) -> datetime | None:
    """The date written into a URL path (/2019/11/19/ or /20191119/), if any."""
    if not url:
        return None
    match = _URL_DATE.search(url)
    if match is None:
        return None
    if match["y"]:
        return _build(int(match["y"]), int(match["m"]), int(match["d"]))
    if match["y2"]:
        return _build(int(match["y2"]), int(match["m2"]), int(match["d2"]))
    month = _month(match["m3"])
    return _build(int(match["y3"]), month, int(match["d3"])) if month else None
