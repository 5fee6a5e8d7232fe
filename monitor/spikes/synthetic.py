"""Seeded synthetic hourly story counts with labelled bursts, shared by the benchmark and the tests.

A stream has a base rate (0.05 to 4 stories an hour, log-uniform), a daily rhythm, a weekend dip on a
random pair of days, slow drift (trend plus a multi-week swing), day-to-day variation and negative
binomial noise per hour. Bursts last 2-24 hours and add (m - 1) times the local mean rate, m from 3x to
20x (log-uniform), as a step, a ramp up, or a jump that decays.

Not every planted burst is an event a detector can be scored on (3x of 0.05 stories an hour for two
hours adds 0.2 stories). Each burst carries `oracle_p`: the upper tail probability of its expected
count over its window under the true baseline (the hourly means and negative binomial noise the
stream was drawn from). An evaluation labels a burst only when `oracle_p` is below the per-test
threshold its false-alarm budget implies, i.e. when an oracle that knows the baseline would see it at
least half the time. `min_excess` (default 0) can instead redraw bursts expected to add fewer stories.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monitor.spikes.nbinom import nbinom_sf

_HOUR = timedelta(hours=1)
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


@dataclass(frozen=True)
class Burst:
    """A planted burst: [onset, end), its peak multiplier, shape, expected extra stories and oracle tail p."""

    onset: datetime
    end: datetime
    multiplier: float
    shape: str
    expected_excess: float
    oracle_p: float


@dataclass(frozen=True)
class SyntheticStream:
    """One generated hourly series and its labels."""

    seed: int
    base_rate: float
    timestamps: list[datetime]
    counts: list[float]
    bursts: list[Burst]


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (inversion for small means, a normal approximation above 500)."""
    if mean <= 0:
        return 0
    if mean > 500:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    total = 0
    remaining = mean
    while remaining > 30.0:
        total += poisson(rng, 30.0)
        remaining -= 30.0
    threshold = math.exp(-remaining)
    product = rng.random()
    while product > threshold:
        total += 1
        product *= rng.random()
    return total


def generate_stream(
    seed: int,
    *,
    days: int = 70,
    quiet_days: int = 14,
    base_rate: float | None = None,
    with_bursts: bool = True,
    min_excess: float = 0.0,
) -> SyntheticStream:
    """A deterministic stream for `seed`; bursts only after `quiet_days`, 6-12 days apart."""
    rng = random.Random(seed)
    rate = base_rate if base_rate is not None else math.exp(rng.uniform(math.log(0.05), math.log(4.0)))
    daily_amplitude = rng.uniform(0.3, 0.9)
    daily_peak = rng.uniform(6.0, 16.0)
    weekend = rng.choice(((5, 6), (4, 5), (4,)))
    weekend_factor = rng.uniform(0.4, 0.9)
    trend = rng.uniform(-0.5, 0.5)
    swing = rng.uniform(0.0, 0.3)
    swing_period = rng.uniform(15.0, 40.0)
    swing_phase = rng.uniform(0.0, 2 * math.pi)
    day_shape = rng.uniform(8.0, 30.0)
    phi = rng.uniform(0.05, 0.5)
    hours = days * 24

    level = []
    for hour in range(hours):
        t_days = hour / 24.0
        drift = trend * t_days / days + swing * math.sin(2 * math.pi * t_days / swing_period + swing_phase)
        level.append(rate * math.exp(drift))
    day_noise = [rng.gammavariate(day_shape, 1.0 / day_shape) for _ in range(days)]
    mean = []
    timestamps = []
    for hour in range(hours):
        when = START + hour * _HOUR
        timestamps.append(when)
        rhythm = 1.0 + daily_amplitude * math.cos(2 * math.pi * (when.hour - daily_peak) / 24.0)
        week = weekend_factor if when.weekday() in weekend else 1.0
        mean.append(level[hour] * rhythm * week * day_noise[hour // 24])

    bursts: list[Burst] = []
    extra = [0.0] * hours
    if with_bursts:
        hour = quiet_days * 24 + rng.randrange(0, 72)
        while hour < hours - 24:
            burst = _draw_burst(rng, hour, level, min_excess)
            if burst is not None:
                shape, multiplier, duration, profile = burst
                excess = 0.0
                for offset, weight in enumerate(profile):
                    add = (multiplier - 1.0) * weight * level[hour + offset]
                    extra[hour + offset] = add
                    excess += add
                bursts.append(
                    Burst(
                        onset=timestamps[hour],
                        end=timestamps[hour] + duration * _HOUR,
                        multiplier=multiplier,
                        shape=shape,
                        expected_excess=excess,
                        oracle_p=oracle_p(mean[hour : hour + duration], excess, phi),
                    )
                )
            hour += rng.randrange(6 * 24, 12 * 24)

    counts: list[float] = []
    for hour in range(hours):
        noisy = rng.gammavariate(1.0 / phi, phi) * mean[hour]
        counts.append(float(poisson(rng, noisy + extra[hour])))
    return SyntheticStream(seed=seed, base_rate=rate, timestamps=timestamps, counts=counts, bursts=bursts)


def oracle_p(means: Sequence[float], excess: float, phi: float) -> float:
    """P(window count >= its expected value with the burst) under the true baseline of the window.

    `means` are the true hourly means (no burst), each hour negative binomial with dispersion `phi`
    independently, so the window sum has variance sum(m) + phi * sum(m^2): a negative binomial of
    dispersion phi * sum(m^2) / sum(m)^2.
    """
    total = sum(means)
    if total <= 0:
        return 0.0 if excess > 0 else 1.0
    window_phi = phi * sum(m * m for m in means) / (total * total)
    return nbinom_sf(total + excess, total, window_phi)


def _draw_burst(
    rng: random.Random, hour: int, level: list[float], min_excess: float
) -> tuple[str, float, int, list[float]] | None:
    """(shape, multiplier, duration, per-hour weights) expected to add at least `min_excess` stories."""
    for _ in range(200):
        duration = rng.randint(2, 24)
        if hour + duration > len(level):
            continue
        multiplier = math.exp(rng.uniform(math.log(3.0), math.log(20.0)))
        shape = rng.choices(("step", "ramp", "decay"), weights=(0.6, 0.2, 0.2))[0]
        if shape == "step":
            profile = [1.0] * duration
        elif shape == "ramp":
            profile = [(offset + 1) / duration for offset in range(duration)]
        else:
            profile = [math.exp(-3.0 * offset / duration) for offset in range(duration)]
        excess = sum((multiplier - 1.0) * weight * level[hour + i] for i, weight in enumerate(profile))
        if excess >= min_excess:
            return shape, multiplier, duration, profile
    return None
