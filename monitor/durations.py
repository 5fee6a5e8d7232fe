"""Parsing of human-written durations such as ``15m``, ``1h30m`` or ``2d``."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse ``"90s"``, ``"15m"``, ``"1h30m"``, ``"2d"``; raise ValueError naming the bad text."""
    compact = text.strip().replace(" ", "")
    if not compact:
        raise ValueError("empty duration")
    pos = 0
    seconds = 0.0
    for match in _PART.finditer(compact):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2).lower()]
        pos = match.end()
    if pos != len(compact):
        raise ValueError(
            f"invalid duration {text!r}: use a number and a unit (ms, s, m, h, d, w), e.g. '15m' or '1h30m'"
        )
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Render a timedelta compactly, e.g. ``1h30m``."""
    total = int(delta.total_seconds())
    if total <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            parts.append(f"{total // size}{unit}")
            total %= size
    return "".join(parts)
