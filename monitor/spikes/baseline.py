"""The expected count per bucket: a level times an hour-of-day and a day-of-week factor, learnt causally.

The level is a ratio of exponentially weighted sums (stories / seasonal weight). Several half-lives are
kept; the shortest one that rests on enough stories is used, so busy watchlists follow drift within days
while sparse ones average over weeks. The seasonal factors are ratios of weighted sums per slot, shrunk
by a pseudo-count of stories:

* hour of day: each slot's stories over the series' mean rate, shrunk towards a smooth daily curve (the
  first harmonics of the slot ratios, each kept in proportion to how far it stands above its Poisson
  noise), so a sparse series borrows the shape of its whole day instead of going flat hour by hour;
* day of week: each weekday's stories over what the level and the hour factors expected when they came
  (as in Holt-Winters), shrunk towards 1, so a busy or quiet week moves the level, not the weekday
  whose days happened to fall in it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

_HOURS = 24
_DAYS = 7
# cos and sin of harmonic k at each hour slot, k = 1..6 (at most 6 harmonics are used).
_HARMONICS = [
    (
        [math.cos(2 * math.pi * k * slot / _HOURS) for slot in range(_HOURS)],
        [math.sin(2 * math.pi * k * slot / _HOURS) for slot in range(_HOURS)],
    )
    for k in range(1, 7)
]


class _SlotSums:
    """Exponentially weighted (count, weight) sums per slot, decayed lazily to the current bucket.

    The weight of a bucket is 1 (sums of buckets) unless `add` is given what the bucket was expected to hold.
    """

    def __init__(self, slots: int, decay: float) -> None:
        self.decay = decay
        self.counts = [0.0] * slots
        self.buckets = [0.0] * slots
        self.seen_at = [0] * slots

    def read(self, slot: int, index: int) -> tuple[float, float]:
        fade = self.decay ** (index - self.seen_at[slot])
        return self.counts[slot] * fade, self.buckets[slot] * fade

    def smoothed(self, slot: int, index: int) -> tuple[float, float]:
        """Sums of the slot pooled with its two neighbours (weights 1/4, 1/2, 1/4; cyclic)."""
        size = len(self.counts)
        counts = buckets = 0.0
        for offset, weight in ((-1, 0.25), (0, 0.5), (1, 0.25)):
            slot_counts, slot_buckets = self.read((slot + offset) % size, index)
            counts += weight * slot_counts
            buckets += weight * slot_buckets
        return counts, buckets

    def add(self, slot: int, index: int, count: float, weight: float = 1.0) -> None:
        counts, buckets = self.read(slot, index)
        self.counts[slot] = counts + count
        self.buckets[slot] = buckets + weight
        self.seen_at[slot] = index


class SeasonalBaseline:
    """Causal forecast of the count of the next bucket; feed it every bucket in order with `learn`."""

    def __init__(
        self,
        bucket: timedelta,
        level_half_lives: Sequence[timedelta],
        level_events: float,
        profile_half_life: timedelta,
        profile_prior_events: float,
        floor_per_bucket: float,
        profile_harmonics: int = 2,
    ) -> None:
        self._level_decay = [0.5 ** (bucket / half_life) for half_life in sorted(level_half_lives)]
        self._level_counts = [0.0] * len(self._level_decay)
        self._level_weights = [0.0] * len(self._level_decay)
        self._level_events = level_events
        decay = 0.5 ** (bucket / profile_half_life)
        self._decay = decay
        self._total_counts = 0.0
        self._total_buckets = 0.0
        self._hours = _SlotSums(_HOURS, decay)
        self._days = _SlotSums(_DAYS, decay)
        self._prior = profile_prior_events
        self._seasonal = bucket < timedelta(days=1)
        self._floor = floor_per_bucket
        self._harmonics = profile_harmonics
        self._index = 0
        self._curve_at = -1
        self._curve_every = max(1, round(timedelta(days=1) / bucket))
        self._curve = [1.0] * _HOURS

    def factor(self, when: datetime) -> float:
        """The seasonal factor of the bucket starting at `when` (about 1 on average)."""
        if self._total_buckets <= 0:
            return 1.0
        return self._weekday(when) * self._hourly(when)

    def _weekday(self, when: datetime) -> float:
        counts, expected = self._days.read(when.weekday(), self._index)
        if expected + self._prior <= 0:
            return 1.0
        return (counts + self._prior) / (expected + self._prior)

    def _hourly(self, when: datetime) -> float:
        if not self._seasonal or self._total_buckets <= 0:
            return 1.0
        rate = self._total_counts / self._total_buckets
        counts, buckets = self._hours.smoothed(when.hour, self._index)
        return (counts + self._prior * self._daily_curve()[when.hour]) / (rate * buckets + self._prior)

    def _daily_curve(self) -> list[float]:
        """The smooth daily shape the hour slots are shrunk towards (1 everywhere until the data shows one).

        Harmonic k of the slot ratios has a^2 + b^2 about 4 / (expected stories) from Poisson noise alone;
        it is kept in proportion max(0, 1 - noise / power) (James-Stein), so noise gives a flat curve. The
        curve is kept above 0.05 so no hour is ever expected to be empty, and redrawn once a day of buckets
        (the profile's memory is weeks).
        """
        if self._curve_at >= 0 and self._index < self._curve_at + self._curve_every:
            return self._curve
        self._curve_at = self._index
        rate = self._total_counts / self._total_buckets if self._total_buckets > 0 else 0.0
        ratios = []
        expected = 0.0
        for slot in range(_HOURS):
            counts, buckets = self._hours.read(slot, self._index)
            ratios.append(counts / (rate * buckets) if rate > 0 and buckets > 0 else 1.0)
            expected += rate * buckets
        curve = [1.0] * _HOURS
        if expected > 0:
            for cosines, sines in _HARMONICS[: self._harmonics]:
                a = 2 / _HOURS * sum(r * c for r, c in zip(ratios, cosines, strict=True))
                b = 2 / _HOURS * sum(r * s for r, s in zip(ratios, sines, strict=True))
                power = a * a + b * b
                keep = max(0.0, 1.0 - 4.0 / expected / power) if power > 0 else 0.0
                for slot in range(_HOURS):
                    curve[slot] += keep * (a * cosines[slot] + b * sines[slot])
        self._curve = [max(value, 0.05) for value in curve]
        return self._curve

    def level(self) -> float:
        """The deseasonalised mean count per bucket."""
        chosen = len(self._level_decay) - 1
        for position, counts in enumerate(self._level_counts):
            if counts >= self._level_events:
                chosen = position
                break
        weight = self._level_weights[chosen]
        value = self._level_counts[chosen] / weight if weight > 0 else 0.0
        return max(value, self._floor)

    def expect(self, when: datetime) -> float:
        """The forecast count of the bucket starting at `when`."""
        return self.level() * self.factor(when)

    def learn(self, when: datetime, count: float) -> None:
        """Take in the (cleaned) count of the bucket starting at `when`; buckets must come in order."""
        hourly = self._hourly(when)
        weight = self._weekday(when) * hourly if self._total_buckets > 0 else 1.0  # factor(), hour factor reused
        # What the level and hour factor expected of this bucket: the weekday slot's denominator.
        expected_by_level = self.level() * hourly
        for position, decay in enumerate(self._level_decay):
            self._level_counts[position] = self._level_counts[position] * decay + count
            self._level_weights[position] = self._level_weights[position] * decay + weight
        self._total_counts = self._total_counts * self._decay + count
        self._total_buckets = self._total_buckets * self._decay + 1.0
        if self._seasonal:
            self._hours.add(when.hour, self._index, count)
        self._days.add(when.weekday(), self._index, count, expected_by_level)
        self._index += 1

    def relevel(self, whens: Sequence[datetime], counts: Sequence[float]) -> None:
        """Restart the level from the given recent buckets (after a lasting shift was accepted)."""
        weight = sum(self.factor(when) for when in whens)
        total = float(sum(counts))
        for position in range(len(self._level_decay)):
            self._level_counts[position] = total
            self._level_weights[position] = weight
