"""Charset decisions: BOM, HTTP charset, declarations, UTF-8 correction and detection."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.sources import decode_html
from monitor.sources.charset import charset_from_content_type, decode_document

CYRILLIC = "Пограничники Таджикистана сообщили о перестрелке на границе с Афганистаном."
FRENCH = "Les échanges à la frontière ont repris après une fermeture très brève, a précisé le ministère."


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("text/html; charset=UTF-8", "UTF-8"),
        ('application/xml;charset= "us-ascii"', "us-ascii"),
        ("text/xml; charset='gb2312'", "gb2312"),
        ("text/html", None),
        ("text/html; charset=", None),
        (None, None),
    ],
)
def test_charset_from_content_type(header: str | None, expected: str | None) -> None:
    """The charset parameter is read with quotes and spaces removed."""
    assert charset_from_content_type(header) == expected


def test_bom_beats_http_header() -> None:
    """A UTF-8 byte-order mark wins over a contradicting HTTP charset."""
    body = b"\xef\xbb\xbf<p>" + CYRILLIC.encode("utf-8") + b"</p>"
    decoded = decode_document(body, "text/html; charset=iso-8859-1")
    assert decoded.source == "bom"
    assert CYRILLIC in decoded.text
    assert not decoded.text.startswith("\ufeff")


def test_utf16_without_bom_is_recognised() -> None:
    """XML in UTF-16 without a BOM is recognised from its '<?' bytes."""
    body = "<?xml version='1.0' encoding='utf-16'?><rss/>".encode("utf-16-le")
    assert decode_document(body, None, "xml").text.startswith("<?xml")


def test_http_charset_used_for_legacy_bytes() -> None:
    """Non-UTF-8 bytes are decoded with the HTTP charset."""
    body = f"<p>{CYRILLIC}</p>".encode("cp1251")
    decoded = decode_document(body, "text/html; charset=windows-1251")
    assert decoded.source == "http" and CYRILLIC in decoded.text


def test_meta_charset_found_after_first_kilobyte() -> None:
    """A <meta charset> placed after 1024 bytes is still honoured."""
    head = "<html><head>" + "<!-- padding -->" * 100 + '<meta charset="windows-1251"></head>'
    body = (head + f"<body>{CYRILLIC}</body></html>").encode("cp1251")
    assert CYRILLIC in decode_html(body, None)


def test_valid_utf8_beats_wrong_legacy_label() -> None:
    """Bytes that are valid UTF-8 are read as UTF-8 even when labelled ISO-8859-1, with a note."""
    body = f'<?xml version="1.0" encoding="ISO-8859-1"?><t>{FRENCH}</t>'.encode()
    decoded = decode_document(body, None, "xml")
    assert FRENCH in decoded.text
    assert decoded.note is not None and "UTF-8" in decoded.note


def test_latin1_label_reads_windows_1252_punctuation() -> None:
    """A page labelled ISO-8859-1 that uses windows-1252 quotes decodes them as quotes."""
    body = b'<meta charset="iso-8859-1"><p>\x93quoted\x94 \x85 caf\xe9</p>'
    assert "“quoted” … café" in decode_html(body, None)


def test_undeclared_latin1_is_detected() -> None:
    """Latin-1 text without any label is detected as a Western encoding."""
    body = f"<p>{FRENCH}</p>".encode("latin-1")
    decoded = decode_document(body, None)
    assert decoded.source == "detected"
    assert FRENCH in decoded.text


def test_undeclared_cp1251_is_detected() -> None:
    """Cyrillic windows-1251 text without any label is detected."""
    body = f"<p>{CYRILLIC} {CYRILLIC}</p>".encode("cp1251")
    assert CYRILLIC in decode_html(body, None)


def test_unknown_label_falls_through(fixtures: Path) -> None:
    """An unknown charset label is noted and ignored."""
    decoded = decode_document(b'<?xml version="1.0" encoding="no-such-charset"?><a>x</a>', None, "xml")
    assert decoded.note is not None and "no-such-charset" in decoded.note
    assert decoded.text.endswith("<a>x</a>")


def test_iso_2022_jp_label_applies_to_ascii_bytes() -> None:
    """7-bit encodings declared by label are honoured even though the bytes are pure ASCII."""
    text = "<p>国境</p>"
    body = text.encode("iso-2022-jp")
    assert decode_html(body, "text/html; charset=ISO-2022-JP") == text
