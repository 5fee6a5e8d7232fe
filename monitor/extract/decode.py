"""Turn the bytes of an HTML page into text: byte-order mark, declared charset, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE
)
_HEAD_BYTES = 4096


def _codec_name(label: str) -> str | None:
    """Python's codec name for an encoding label, following the HTML standard's aliases."""
    label = label.strip().lower()
    if label in {"iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii", "iso8859-1"}:
        label = "cp1252"  # browsers read these labels as windows-1252
    elif label in {"x-user-defined", "utf-16", "utf-16le", "utf-16be"}:
        label = "utf-8"  # a page that says UTF-16 in ASCII bytes is not UTF-16
    elif label in {"gb2312", "gbk"}:
        label = "gb18030"
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if info.name in {"base64", "hex", "rot-13", "zlib", "bz2", "quopri", "uu"}:
        return None
    return info.name


def declared_charset(data: bytes) -> str | None:
    """The codec named by the first ``<meta charset>`` in the head of the page, if usable."""
    match = _META_CHARSET.search(data[:_HEAD_BYTES])
    if match is None:
        return None
    return _codec_name(match.group(1).decode("ascii", "replace"))


def utf8_bytes(data: bytes) -> bytes | None:
    """The page's own bytes when they are UTF-8, so the parser can take them without a decode.

    A page that declares UTF-8 is taken at its word, as browsers do (stray invalid bytes become U+FFFD
    in the parser); an undeclared page qualifies only when its bytes are valid UTF-8.
    """
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or data.startswith(codecs.BOM_UTF8):
        return None
    declared = declared_charset(data)
    if declared == "utf-8":
        return data
    if declared is not None:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return data


def decode_html(data: bytes) -> str:
    """Decode page bytes: a BOM wins, then ``<meta charset>``, then UTF-8, then detection."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(name, "replace")
    declared = declared_charset(data)
    if declared is not None:
        try:
            return data.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass  # the declaration lies; fall through to UTF-8 and detection
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding, "replace")
        except LookupError:
            pass
    if declared is not None:
        return data.decode(declared, "replace")
    return data.decode("utf-8", "replace")
