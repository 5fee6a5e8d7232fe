"""Adaptive intervals, server hints and backoff (pure functions in monitor.schedule)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from monitor.config import FetchSettings
from monitor.schedule import (
    adaptive_interval,
    next_failure,
    next_success,
    observed_rate,
    server_hint,
    smoothed_rate,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SETTINGS = FetchSettings()  # 5 min .. 24 h, default 30 min


def test_rate_from_entry_dates() -> None:
    """Ten entries over the last ten hours read as 24 a day; one or no dated entry gives no rate."""
    dates = [NOW - timedelta(hours=h) for h in range(1, 11)]
    rate = observed_rate(dates, NOW)
    assert rate is not None and abs(rate - 24.0) < 1e-9
    assert observed_rate([NOW - timedelta(hours=1), None], NOW) is None
    stale = [NOW - timedelta(days=90 + d) for d in range(5)]
    assert observed_rate(stale, NOW) is None  # older than the window: no evidence of the current pace


def test_quiet_feed_reads_slower_than_its_burst() -> None:
    """The span runs to now: five entries in one hour two days ago read as about 2.5 a day, not 120."""
    burst = [NOW - timedelta(days=2, minutes=m) for m in (0, 15, 30, 45, 60)]
    rate = observed_rate(burst, NOW)
    assert rate is not None and 2.0 < rate < 3.0


def test_interval_follows_rate_and_is_clamped() -> None:
    """Half the mean gap between entries, clamped to the configured bounds; unknown rate: the default."""
    assert adaptive_interval(24.0, None, SETTINGS) == timedelta(minutes=30)
    assert adaptive_interval(1.0, None, SETTINGS) == timedelta(hours=12)
    assert adaptive_interval(10_000.0, None, SETTINGS) == SETTINGS.min_interval
    assert adaptive_interval(0.01, None, SETTINGS) == SETTINGS.max_interval
    assert adaptive_interval(None, None, SETTINGS) == SETTINGS.default_interval


def test_server_hint_lengthens_never_shortens() -> None:
    """A server's max-age / ttl longer than the rate's interval wins; a shorter one changes nothing."""
    hint = server_hint({"cache-control": "public, max-age=7200"}, None, NOW)
    assert hint == timedelta(hours=2)
    assert adaptive_interval(24.0, hint, SETTINGS) == timedelta(hours=2)
    assert adaptive_interval(1.0, hint, SETTINGS) == timedelta(hours=12)
    assert adaptive_interval(1.0, timedelta(days=3), SETTINGS) == SETTINGS.max_interval


def test_server_hint_sources() -> None:
    """RSS ttl, Expires against Date, Retry-After; no-cache and past dates give nothing."""
    assert server_hint({}, timedelta(minutes=60), NOW) == timedelta(minutes=60)
    expires = {"date": "Wed, 25 Nov 2026 12:00:00 GMT", "expires": "Wed, 25 Nov 2026 13:30:00 GMT"}
    assert server_hint(expires, None, NOW) == timedelta(minutes=90)
    assert server_hint({"retry-after": "900"}, None, NOW) == timedelta(minutes=15)
    assert server_hint({"cache-control": "no-cache, max-age=600"}, None, NOW) is None
    assert server_hint({"expires": "Thu, 01 Jan 1970 00:00:00 GMT"}, None, NOW) is None
    assert server_hint({"expires": "0"}, None, NOW) is None


def test_smoothing() -> None:
    """The stored rate moves halfway to each new observation; no observation keeps it."""
    assert smoothed_rate(None, 10.0) == 10.0
    assert smoothed_rate(10.0, 20.0) == 15.0
    assert smoothed_rate(10.0, None) == 10.0


def test_fixed_interval_is_not_clamped_and_jitter_stays_in_bounds() -> None:
    """A fixed per-feed interval is kept as configured; jitter spreads by at most the fraction."""
    fixed = next_success(NOW, timedelta(minutes=1), SETTINGS, 0.0, fixed=True)
    assert fixed - NOW == timedelta(minutes=1)
    for _ in range(50):
        delta = next_success(NOW, timedelta(hours=1), SETTINGS, 0.1) - NOW
        assert timedelta(minutes=54) <= delta <= timedelta(minutes=66)


def test_backoff_grows_and_honours_retry_after() -> None:
    """Consecutive failures wait longer (capped at max_interval); Retry-After is a floor."""
    rng = random.Random(7)
    waits = [next_failure(NOW, timedelta(minutes=5), n, SETTINGS, rng=rng) - NOW for n in (1, 4, 8, 30)]
    assert waits[0] <= timedelta(minutes=5) < waits[2] and waits[-1] <= SETTINGS.max_interval
    after = next_failure(NOW, timedelta(minutes=5), 1, SETTINGS, timedelta(hours=3), rng) - NOW
    assert after == timedelta(hours=3)
