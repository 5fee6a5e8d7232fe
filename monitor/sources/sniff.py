"""Which kind of document a body is, from its first markup (or JSON) and the HTTP content type."""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WIDE = ((b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"), (b"\x00<", "utf-16-be"),
         (b"<\x00", "utf-16-le"))
_SKIPPABLE = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.S)
_DOCTYPE = re.compile(r"<!DOCTYPE\s+([\w:.-]+)[^>\[]*(?:\[.*?\])?\s*>", re.S | re.I)
_TAG = re.compile(r"<([A-Za-z_][\w:.-]*)")
_HEAD_CHARS = 8192


def head_text(body: bytes) -> str:
    """The first few kilobytes as text, enough to see the root element or the JSON opening."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) : len(bom) + _HEAD_CHARS * 4].decode(name, errors="replace")
    for pattern, name in _WIDE:
        if body.startswith(pattern):
            return body[: _HEAD_CHARS * 4].decode(name, errors="replace")
    return body[:_HEAD_CHARS].decode("latin-1")


def root_name(head: str) -> str | None:
    """Local name of the first element (or the DOCTYPE name), lower-cased: "rss", "feed", "urlset", "html"."""
    position = 0
    while True:
        match = _SKIPPABLE.match(head, position)
        if match is None or match.end() == position:
            break
        position = match.end()
    doctype = _DOCTYPE.match(head, position)
    if doctype is not None:
        name = doctype.group(1)
        position = doctype.end()
        while True:
            match = _SKIPPABLE.match(head, position)
            if match is None or match.end() == position:
                break
            position = match.end()
        tag = _TAG.match(head, position)
        return (tag.group(1) if tag else name).rsplit(":", 1)[-1].lower()
    tag = _TAG.match(head, position)
    return tag.group(1).rsplit(":", 1)[-1].lower() if tag else None


def looks_like_json(head: str) -> bool:
    """True when the document opens like JSON."""
    return head.lstrip(" \t\r\n\ufeff")[:1] in ("{", "[")


def looks_like_html(head: str, content_type: str | None) -> bool:
    """True for an HTML page: served as HTML, or opening with html/head/body markup."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in ("text/html", "application/xhtml+xml"):
        return True
    return bool(re.search(r"<(?:html|head|body)\b", head[:4096], re.I))


_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x7fELF", "an executable"),
    (b"ID3", "an MP3 file"),
    (b"OggS", "an Ogg media file"),
    (b"\x1a\x45\xdf\xa3", "a WebM/Matroska video"),
)
_BINARY_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip",
                 "application/vnd.", "application/msword")


def binary_reason(body: bytes, content_type: str | None) -> str | None:
    """Why ``body`` is a binary file rather than a document (an image, a PDF, an archive...), or None.

    Magic numbers first, then a binary media type, then NUL bytes that no UTF-16/32 text explains.
    """
    for magic, what in _MAGIC:
        if body.startswith(magic):
            return what
    if body[4:8] in (b"ftyp",):
        return "an MP4/QuickTime video"
    if body.startswith(b"RIFF") and body[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "a RIFF media file (WebP, WAV or AVI)"
    media_type = (content_type or "").split(";")[0].strip().lower()
    wide = any(body.startswith(bom) for bom, _ in _BOMS) or any(body.startswith(p) for p, _ in _WIDE)
    if media_type.startswith(_BINARY_TYPES) and not media_type.endswith(("+xml", "+json")):
        return f"a {media_type} file"
    if not wide and b"\x00" in body[:1024]:
        return "binary data (NUL bytes)"
    return None
