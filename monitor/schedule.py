"""When to poll a feed next (pure functions, no I/O).

After a success the interval adapts to the feed: half the mean gap between its entries (from a smoothed
publishing rate), never shorter than what the server asks (RSS ``<ttl>``, ``Cache-Control: max-age``,
``Expires``, ``Retry-After``), clamped to ``fetch.min_interval`` .. ``fetch.max_interval``; a feed's own
configured interval overrides all of it. After a failure: full-jitter exponential backoff, capped,
and never before Retry-After.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from monitor.config import FetchSettings

RATE_WINDOW = timedelta(days=30)  # entries older than this say little about the current pace
RATE_SMOOTHING = 0.5  # weight of the newest observation in the smoothed rate
POLLS_PER_GAP = 2.0  # polls per mean gap between entries: a new entry waits half a gap on average
_MAX_AGE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*\"?(\d+)", re.I)


def with_jitter(interval: timedelta, fraction: float, rng: random.Random | None = None) -> timedelta:
    """Spread ``interval`` by up to ±``fraction`` so feeds on one host do not line up."""
    if fraction <= 0:
        return interval
    factor = 1 + (rng or random).uniform(-fraction, fraction)
    return timedelta(seconds=interval.total_seconds() * factor)


def observed_rate(published: Iterable[datetime | None], now: datetime) -> float | None:
    """Entries per day in the feed, from its entries' dates over the last ``RATE_WINDOW``.

    The span runs from the oldest recent entry to ``now``, so a feed that has gone quiet reads as slower.
    None with fewer than two dated recent entries.
    """
    recent = [when for when in published if when is not None and now - RATE_WINDOW <= when <= now + timedelta(hours=1)]
    if len(recent) < 2:
        return None
    span_days = max((now - min(recent)).total_seconds() / 86400, 1 / 24)
    return len(recent) / span_days


def smoothed_rate(previous: float | None, observed: float | None) -> float | None:
    """Blend the newest observed rate into the stored one (exponential smoothing)."""
    if observed is None:
        return previous
    if previous is None:
        return observed
    return RATE_SMOOTHING * observed + (1 - RATE_SMOOTHING) * previous


def server_hint(
    headers: Mapping[str, str], ttl: timedelta | None = None, now: datetime | None = None
) -> timedelta | None:
    """The longest "do not ask before" the server gives: RSS ttl, Cache-Control max-age, Expires, Retry-After.

    ``headers`` have lower-case names. ``no-cache``/``no-store`` and past dates give nothing.
    """
    now = now or datetime.now(UTC)
    hints: list[timedelta] = [ttl] if ttl is not None and ttl > timedelta(0) else []
    cache = headers.get("cache-control", "")
    if not re.search(r"\bno-(?:cache|store)\b", cache, re.I):
        ages = [int(m.group(2)) for m in _MAX_AGE.finditer(cache)]
        if ages:
            hints.append(timedelta(seconds=max(ages)))
        elif "expires" in headers:
            expires = _http_date(headers["expires"])
            if expires is not None:
                base = _http_date(headers.get("date", "")) or now
                hints.append(expires - base)
    retry = headers.get("retry-after", "").strip()
    if retry.isdigit():
        hints.append(timedelta(seconds=int(retry)))
    elif retry and (when := _http_date(retry)) is not None:
        hints.append(when - now)
    positive = [hint for hint in hints if hint > timedelta(0)]
    return max(positive) if positive else None


def adaptive_interval(rate: float | None, hint: timedelta | None, settings: FetchSettings) -> timedelta:
    """The interval for a feed publishing ``rate`` entries a day whose server asks for at least ``hint``."""
    interval = settings.default_interval
    if rate is not None and rate > 0:
        interval = timedelta(days=1 / (rate * POLLS_PER_GAP))
    if hint is not None:
        interval = max(interval, hint)
    return min(max(interval, settings.min_interval), settings.max_interval)


def next_success(
    now: datetime, interval: timedelta, settings: FetchSettings, jitter: float, fixed: bool = False
) -> datetime:
    """The next check after a successful poll (a ``fixed`` interval is not clamped)."""
    if not fixed:
        interval = min(max(interval, settings.min_interval), settings.max_interval)
    return now + with_jitter(interval, jitter)


def next_failure(
    now: datetime,
    interval: timedelta,
    failures: int,
    settings: FetchSettings,
    retry_after: timedelta | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """The next check after ``failures`` consecutive failures: full-jitter exponential backoff, capped."""
    base = max(settings.min_interval.total_seconds(), 60.0)
    ceiling = settings.max_interval.total_seconds()
    backoff = min(ceiling, base * 2 ** max(0, failures - 1))
    delay = max(interval.total_seconds() / 2, (rng or random).uniform(backoff / 2, backoff))
    if retry_after is not None:
        delay = max(delay, min(retry_after.total_seconds(), ceiling))
    return now + timedelta(seconds=min(delay, ceiling))


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
