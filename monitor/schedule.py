"""When to poll a feed next: interval with jitter, exponential backoff on failure, Retry-After honoured."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from monitor.config import FetchSettings


def with_jitter(interval: timedelta, fraction: float, rng: random.Random | None = None) -> timedelta:
    """Spread ``interval`` by up to ±``fraction`` so feeds on one host do not line up."""
    if fraction <= 0:
        return interval
    factor = 1 + (rng or random).uniform(-fraction, fraction)
    return timedelta(seconds=interval.total_seconds() * factor)


def next_success(
    now: datetime, interval: timedelta, settings: FetchSettings, jitter: float, fixed: bool = False
) -> datetime:
    """The next check after a successful poll."""
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
