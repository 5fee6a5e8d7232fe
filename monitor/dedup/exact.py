"""Exact duplicates: a hash of the normalised text, so whitespace, case and quote styles do not matter."""

from __future__ import annotations

import hashlib

from monitor.dedup.normalize import normalize_text


def content_hash(text: str) -> str:
    """Hex SHA-256 of the normalised text (whitespace collapsed)."""
    normalised = " ".join(normalize_text(text).split())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()
