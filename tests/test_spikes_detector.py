"""The spike detector: bursts found, quiet streams quiet, episodes that open, escalate and close once."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.spikes.detector import (
    DetectorSettings,
    Episode,
    SeriesError,
    detect,
    expected_counts,
    load_counts_csv,
    pick_window,
)
from monitor.spikes.synthetic import generate_stream, poisson

HOUR = timedelta(hours=1)
START = datetime(2026, 3, 2, tzinfo=UTC)
SETTINGS = DetectorSettings()


def flat_stream(rate: float, hours: int, seed: int, phi: float = 0.2) -> list[float]:
    """Hourly negative binomial counts around `rate` with a mild daily rhythm."""
    rng = random.Random(seed)
    counts = []
    for hour in range(hours):
        mean = rate * (1 + 0.5 * math.cos(2 * math.pi * (hour % 24 - 12) / 24))
        counts.append(float(poisson(rng, rng.gammavariate(1 / phi, phi) * mean)))
    return counts


def stamps(n: int) -> list[datetime]:
    return [START + i * HOUR for i in range(n)]


def add_burst(counts: list[float], at: int, hours: int, extra: float, seed: int) -> None:
    rng = random.Random(seed)
    for hour in range(at, at + hours):
        counts[hour] += poisson(rng, extra)


def test_finds_a_clear_burst_once_near_its_onset() -> None:
    """A 6-hour burst at about 10x the usual rate gives one episode, alerted within its first hours."""
    counts = flat_stream(1.0, 24 * 21, seed=1)
    onset = 24 * 16 + 9
    add_burst(counts, onset, 6, 10.0, seed=2)
    episodes = detect(stamps(len(counts)), counts, SETTINGS)
    assert len(episodes) == 1
    episode = episodes[0]
    assert START + onset * HOUR <= episode.alerted_at <= START + (onset + 2) * HOUR
    assert episode.start <= episode.alerted_at
    assert episode.end is not None and episode.end > episode.alerted_at
    assert episode.observed >= SETTINGS.min_count
    assert episode.peak >= episode.observed > SETTINGS.min_ratio * episode.expected


def test_quiet_overdispersed_streams_stay_within_the_false_alarm_budget() -> None:
    """Long seeded streams without bursts (rhythm, drift, over-dispersion) raise no more alerts than budgeted."""
    days = 0
    alerts = 0
    for seed in range(4):
        stream = generate_stream(7000 + seed, days=120, with_bursts=False)
        warm = stream.timestamps[0] + SETTINGS.warmup
        alerts += sum(1 for e in detect(stream.timestamps, stream.counts, SETTINGS) if e.alerted_at >= warm)
        days += 120 - SETTINGS.warmup.days
    assert alerts <= SETTINGS.false_alarms_per_30_days * days / 30


def test_a_long_burst_is_one_episode_with_one_alert() -> None:
    """A 30-hour burst stays one episode: one alert, not one per window."""
    counts = flat_stream(2.0, 24 * 21, seed=3)
    add_burst(counts, 24 * 15, 30, 12.0, seed=4)
    episodes = detect(stamps(len(counts)), counts, SETTINGS)
    assert len(episodes) == 1
    assert episodes[0].end is not None


def test_hold_down_keeps_a_short_lull_inside_the_episode() -> None:
    """Two burst phases 3 h apart are one episode with a 6 h hold-down, two with a 1 h hold-down."""
    counts = flat_stream(4.0, 24 * 21, seed=5)
    add_burst(counts, 24 * 15, 4, 40.0, seed=6)
    add_burst(counts, 24 * 15 + 7, 4, 40.0, seed=7)
    held = detect(stamps(len(counts)), counts, SETTINGS)
    flapping = detect(stamps(len(counts)), counts, DetectorSettings(hold_down=HOUR))
    assert len(held) == 1
    assert len(flapping) == 2


def test_escalates_once_when_the_count_doubles() -> None:
    """A burst that grows from 6x to 30x escalates once, after its alert."""
    counts = flat_stream(1.0, 24 * 21, seed=8)
    onset = 24 * 15 + 10
    add_burst(counts, onset, 3, 5.0, seed=9)
    add_burst(counts, onset + 3, 5, 30.0, seed=10)
    episodes = detect(stamps(len(counts)), counts, SETTINGS)
    assert len(episodes) == 1
    episode = episodes[0]
    assert episode.escalated_at is not None
    assert episode.alerted_at < episode.escalated_at <= START + (onset + 8) * HOUR
    assert episode.peak >= SETTINGS.escalation_factor * episode.observed


def test_no_escalation_when_the_burst_does_not_grow() -> None:
    """A burst that holds steady never reaches double its alerting count."""
    counts = flat_stream(2.0, 24 * 21, seed=11)
    add_burst(counts, 24 * 15 + 10, 2, 40.0, seed=12)
    episodes = detect(stamps(len(counts)), counts, SETTINGS)
    assert len(episodes) == 1
    assert episodes[0].escalated_at is None


def test_replay_is_causal_and_deterministic() -> None:
    """Cutting the series after an alert leaves that episode's start and alert time unchanged (and open)."""
    stream = generate_stream(2024)
    full = detect(stream.timestamps, stream.counts, SETTINGS)
    assert full == detect(stream.timestamps, stream.counts, SETTINGS)
    assert len(full) >= 2
    target = full[1]
    cut = stream.timestamps.index(target.alerted_at) + 1
    partial = detect(stream.timestamps[:cut], stream.counts[:cut], SETTINGS)
    assert partial[:1] == full[:1]
    assert (partial[-1].start, partial[-1].alerted_at, partial[-1].end) == (target.start, target.alerted_at, None)


def test_a_sparse_series_needs_the_minimum_count() -> None:
    """Two stories in an hour on a term seen once a week are below the minimum count: no alert."""
    counts = [0.0] * (24 * 28)
    for day in range(0, 28, 7):
        counts[day * 24 + 12] = 1.0
    counts[24 * 20 + 9] = 2.0
    assert detect(stamps(len(counts)), counts, SETTINGS) == []
    counts[24 * 20 + 10] = 2.0
    assert len(detect(stamps(len(counts)), counts, SETTINGS)) == 1


def test_no_alerts_during_warmup() -> None:
    """A burst before the warm-up has elapsed does not alert."""
    counts = flat_stream(1.0, 24 * 10, seed=13)
    add_burst(counts, 24 * 3, 6, 20.0, seed=14)
    episodes = detect(stamps(len(counts)), counts, SETTINGS)
    assert all(e.alerted_at >= START + SETTINGS.warmup for e in episodes)


def test_missing_buckets_count_as_zero() -> None:
    """A series with a gap is read on its bucket grid, the gap as zeros."""
    counts = flat_stream(1.0, 24 * 21, seed=15)
    add_burst(counts, 24 * 16, 5, 12.0, seed=16)
    times = stamps(len(counts))
    keep = [i for i in range(len(counts)) if not (24 * 10 <= i < 24 * 10 + 5 and counts[i] == 0)]
    gappy = detect([times[i] for i in keep], [counts[i] for i in keep], SETTINGS)
    assert gappy == detect(times, counts, SETTINGS)


def test_window_is_pooled_by_rate() -> None:
    """Busy watchlists get a 1 h window, sparse ones several hours, the sparsest the longest candidate."""
    assert pick_window(10.0, HOUR, SETTINGS) == HOUR
    assert HOUR < pick_window(0.5, HOUR, SETTINGS) < timedelta(hours=24)
    assert pick_window(0.05, HOUR, SETTINGS) == max(SETTINGS.windows)
    assert pick_window(100.0, timedelta(minutes=5), SETTINGS) == HOUR


def test_rejects_mismatched_or_irregular_series() -> None:
    """Lengths must agree and timestamps must sit on one grid, strictly increasing."""
    with pytest.raises(SeriesError):
        detect(stamps(3), [1.0, 2.0], SETTINGS)
    with pytest.raises(SeriesError, match="grid"):
        detect([START, START + HOUR, START + 2.5 * HOUR], [1.0, 1.0, 1.0], SETTINGS)
    with pytest.raises(SeriesError, match="increase"):
        detect([START, START + HOUR, START + HOUR], [1.0, 1.0, 1.0], SETTINGS)


def test_real_series_slice_alerts_inside_its_labelled_window(fixtures: Path) -> None:
    """On 12 days of real 5-minute tweet counts (NAB CRM), the one alert falls in NAB's labelled window."""
    text = (fixtures / "spikes" / "nab_crm_2015-03-09_12days.csv").read_text()
    timestamps, counts = load_counts_csv(text)
    episodes: list[Episode] = detect(timestamps, counts, SETTINGS)
    assert len(episodes) == 1
    assert datetime(2015, 3, 19, 1, 2, 53) <= episodes[0].alerted_at <= datetime(2015, 3, 20, 21, 12, 53)
    assert episodes[0].window == HOUR


def test_expected_counts_follow_the_daily_rhythm() -> None:
    """The forecast per bucket (for charts) tracks the rhythm: midday above midnight, near the true mean."""
    counts = flat_stream(3.0, 24 * 21, seed=17)
    grid, expected = expected_counts(stamps(len(counts)), counts, SETTINGS)
    assert grid == stamps(len(counts)) and len(expected) == len(counts)
    last_week = range(24 * 14, 24 * 21)
    noon = [expected[i] for i in last_week if i % 24 == 12]
    midnight = [expected[i] for i in last_week if i % 24 == 0]
    assert sum(noon) > 1.8 * sum(midnight)
    assert sum(expected[i] for i in last_week) == pytest.approx(sum(counts[i] for i in last_week), rel=0.2)


def test_a_sparse_series_borrows_the_shape_of_its_day() -> None:
    """At 0.15 stories an hour each hour slot holds a handful of stories, yet the forecast keeps the rhythm.

    Midday hours (true rate about 1.7x the mean) are forecast several times the night hours (0.3x), from the
    smooth daily curve the slots are shrunk towards rather than a flat profile.
    """
    for seed in range(3):
        rng = random.Random(seed)
        hours = 24 * 35
        counts = [
            float(poisson(rng, 0.15 * (1 + 0.8 * math.cos(2 * math.pi * (hour % 24 - 14) / 24))))
            for hour in range(hours)
        ]
        _, expected = expected_counts(stamps(hours), counts, SETTINGS)
        last_week = range(24 * 28, hours)
        midday = sum(expected[i] for i in last_week if 12 <= i % 24 <= 16)
        night = sum(expected[i] for i in last_week if i % 24 <= 4)
        assert midday > 4 * night
