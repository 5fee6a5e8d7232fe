"""robots.txt for article pages: fetched once per site and cached, read with protego (RFC 9309 rules).

A missing robots.txt (4xx) allows everything; a server error or an unreachable site disallows for a short
while (as RFC 9309 asks), so the page is retried later rather than fetched against the owner's wishes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

ROBOTS_TTL = 24 * 3600.0  # a fetched robots.txt is kept this long
UNREACHABLE_TTL = 600.0  # a robots.txt that could not be fetched is retried after this long
MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB


@dataclass(frozen=True, slots=True)
class RobotsAnswer:
    """What one site's robots.txt says: parsed rules, or a blanket verdict when there are none."""

    rules: Protego | None
    allow_all: bool
    expires: float
    note: str = ""

    def allows(self, url: str, agent: str) -> bool:
        if self.rules is None:
            return self.allow_all
        return bool(self.rules.can_fetch(url, agent))

    def crawl_delay(self, agent: str) -> float | None:
        if self.rules is None:
            return None
        delay = self.rules.crawl_delay(agent)
        return float(delay) if delay is not None else None


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def answer_for(status: int | None, body: bytes, now: float) -> RobotsAnswer:
    """The answer for a robots.txt fetch: ``status`` None means the site could not be reached."""
    if status is not None and 200 <= status < 300:
        text = body.decode("utf-8", errors="replace")
        return RobotsAnswer(Protego.parse(text), True, now + ROBOTS_TTL)
    if status is not None and 400 <= status < 500:
        return RobotsAnswer(None, True, now + ROBOTS_TTL, f"no robots.txt (HTTP {status})")
    what = f"HTTP {status}" if status is not None else "unreachable"
    return RobotsAnswer(None, False, now + UNREACHABLE_TTL, f"robots.txt {what}: pages disallowed for now")


class RobotsCache:
    """Per-site robots answers; ``load(url)`` fetches robots.txt and returns (status or None, body)."""

    def __init__(self, load: Callable[[str], tuple[int | None, bytes]], clock: Callable[[], float] = time.monotonic):
        self._load = load
        self._clock = clock
        self._answers: dict[str, RobotsAnswer] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def answer(self, url: str) -> RobotsAnswer:
        """The cached answer for the site of ``url``, fetching robots.txt when missing or expired."""
        key = robots_url(url)
        with self._lock:
            site_lock = self._locks.setdefault(key, threading.Lock())
        with site_lock:
            cached = self._answers.get(key)
            if cached is not None and cached.expires > self._clock():
                return cached
            status, body = self._load(key)
            fresh = answer_for(status, body, self._clock())
            self._answers[key] = fresh
            return fresh
