"""Turning fetched bytes into text: HTTP charset, byte-order mark, in-document declaration, detection.

Order of evidence: a byte-order mark (unambiguous, as browsers treat it) > the HTTP `charset` >
the document's own declaration (`<?xml encoding>` or `<meta charset>`) > statistical detection
(charset_normalizer). One correction is applied on top: bytes that are valid UTF-8 and contain
non-ASCII sequences are read as UTF-8 whatever a legacy label claims, because real legacy text
practically never forms valid multi-byte UTF-8 while mislabelled UTF-8 is common.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Literal

import charset_normalizer

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# '<' or '<?' in the wide encodings, for XML written without a byte-order mark (XML 1.0 appendix F).
_WIDE_PATTERNS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"<\x00!\x00", "utf-16-le"),
    (b"<\x00r\x00", "utf-16-le"),
    (b"<\x00f\x00", "utf-16-le"),
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']\s*([A-Za-z0-9._:+-]{1,40})\s*["']""")
_META_CHARSET = re.compile(rb"""<meta\b[^>]{0,500}?charset\s*=\s*["']?\s*([A-Za-z0-9._:+-]{1,40})""", re.I)
_PRESCAN_BYTES = 16384  # browsers stop at 1024; real pages put the <meta> later, so look a little further
# Labels that real documents use for a superset (as browsers do): decoding with the superset loses nothing.
_SUPERSETS = {
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "iso8859-9": "cp1254",
}
_WIDE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})
_UNSAFE = frozenset({"utf-7", "cp037"})  # never trusted from a label: they re-read ASCII markup
Markup = Literal["xml", "html"]
_DETECT_BYTES = 65536
_WESTERN_PUNCTUATION = frozenset("\u00a0«»‹›–—‘’‚“”„…•·°©®™€£¥§¶¡¿×÷±²³¹¼½¾µ¢¤¦¨¬¯´¸ªº†‡‰")


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded text, the codec used, where that choice came from, and a note when labels were wrong."""

    text: str
    encoding: str
    source: str  # "bom", "http", "declaration", "utf-8", "detected" or "fallback"
    note: str | None = None


def charset_from_content_type(content_type: str | None) -> str | None:
    """The `charset` parameter of a Content-Type header value, if any (quotes and spaces removed)."""
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            value = value.strip().strip("\"'").strip()
            return value or None
    return None


def codec_name(label: str | None) -> str | None:
    """Python codec for a charset label, widened to the superset documents really use; None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
    except (LookupError, ValueError):
        return None
    return _SUPERSETS.get(name, name)


def declared_charset(body: bytes, markup: Markup) -> str | None:
    """The charset label a document declares in its XML declaration or (HTML) `<meta>` tag."""
    head = body[:_PRESCAN_BYTES]
    match = _XML_DECL.match(head)
    if match is None and markup == "html":
        match = _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _bom_encoding(body: bytes) -> tuple[str, int] | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    for pattern, name in _WIDE_PATTERNS:
        if body.startswith(pattern):
            return name, 0
    return None


def _decode_strict(body: bytes, codec: str) -> str | None:
    if codec == "cp1252":
        try:
            return body.decode("cp1252")
        except UnicodeDecodeError:
            return body.decode("latin-1")  # cp1252 leaves five bytes undefined; Latin-1 maps them all
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _reads_as_western(body: bytes) -> bool:
    """True when every non-ASCII byte read as windows-1252 is a Latin letter or common punctuation."""
    text = body.decode("cp1252", errors="replace")
    return all(
        ch.isascii() or (ch.isalpha() and ord(ch) < 0x250) or ch in _WESTERN_PUNCTUATION for ch in text
    )


def _detect(body: bytes) -> str | None:
    """Statistical guess; among equally plausible guesses windows-1252 (the web's legacy default) wins."""
    matches = list(charset_normalizer.from_bytes(body[:_DETECT_BYTES]))
    if not matches:
        return "cp1252" if _reads_as_western(body[:_DETECT_BYTES]) else None
    least = min(match.chaos for match in matches)
    calm = [codec_name(match.encoding) for match in matches if match.chaos <= least + 0.01]
    if "cp1252" in calm or (least > 0.1 and _reads_as_western(body[:_DETECT_BYTES])):
        return "cp1252"
    return next((codec for codec in calm if codec), None)


def decode_document(body: bytes, content_type: str | None, markup: Markup = "html") -> Decoded:
    """Decode a fetched document following the order of evidence in the module docstring."""
    bom = _bom_encoding(body)
    if bom is not None:
        name, skip = bom
        return Decoded(body[skip:].decode(name, errors="replace"), name, "bom")

    labels = [
        ("http", charset_from_content_type(content_type)),
        ("declaration", declared_charset(body, markup)),
    ]
    candidates: list[tuple[str, str, str]] = []  # (source, label, codec)
    note_parts: list[str] = []
    for source, label in labels:
        if not label:
            continue
        codec = codec_name(label)
        if codec is None:
            note_parts.append(f"unknown charset {label!r} ({source})")
        elif codec in _UNSAFE or codec in _WIDE:
            note_parts.append(f"ignored charset {label!r} ({source}): it cannot apply to these bytes")
        else:
            candidates.append((source, label, codec))

    if body.isascii():
        for source, _label, codec in candidates:
            text = _decode_strict(body, codec)
            if text is not None:
                return Decoded(text, codec, source, "; ".join(note_parts) or None)
        return Decoded(body.decode("ascii"), "utf-8", "utf-8", "; ".join(note_parts) or None)

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        wrong = [f"{label!r} ({source})" for source, label, codec in candidates if codec != "utf-8"]
        if wrong:
            note_parts.append(f"declared charset {', '.join(wrong)} but the bytes are UTF-8; read as UTF-8")
        source = next((s for s, _label, codec in candidates if codec == "utf-8"), "utf-8")
        return Decoded(text, "utf-8", source, "; ".join(note_parts) or None)

    for source, label, codec in candidates:
        decoded = _decode_strict(body, codec)
        if decoded is not None:
            return Decoded(decoded, codec, source, "; ".join(note_parts) or None)
        note_parts.append(f"bytes do not decode as declared charset {label!r} ({source})")

    detected = _detect(body)
    if detected is not None:
        note_parts.append(f"no usable charset label; detected {detected}")
        return Decoded(body.decode(detected, errors="replace"), detected, "detected", "; ".join(note_parts))
    note_parts.append("no usable charset label and detection failed; read as windows-1252")
    return Decoded(body.decode("cp1252", errors="replace"), "cp1252", "fallback", "; ".join(note_parts))


def decode_html(body: bytes, content_type: str | None) -> str:
    """Text of an HTML page: BOM, HTTP charset, `<meta>`/XML declaration, then detection."""
    return decode_document(body, content_type, "html").text
