"""The expected count per bucket: a level times an hour-of-day and a day-of-week factor, learnt causally.

The level is a ratio of exponentially weighted sums (stories / seasonal weight). Several half-lives are
kept; the shortest one that rests on enough stories is used, so busy watchlists follow drift within days
while sparse ones average over weeks. The seasonal factors are ratios of weighted sums per slot, shrunk
towards 1 by a pseudo-count of stories, so a sparse series gets a flat profile until the data says more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

_HOURS = 24
_DAYS = 7


class _SlotSums:
    """Exponentially weighted (count, buckets) sums per slot, decayed lazily to the current bucket."""

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

    def add(self, slot: int, index: int, count: float) -> None:
        counts, buckets = self.read(slot, index)
        self.counts[slot] = counts + count
        self.buckets[slot] = buckets + 1.0
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
        self._index = 0

    def factor(self, when: datetime) -> float:
        """The seasonal factor of the bucket starting at `when` (about 1 on average)."""
        if self._total_buckets <= 0:
            return 1.0
        rate = self._total_counts / self._total_buckets
        days_counts, days_buckets = self._days.read(when.weekday(), self._index)
        result = (days_counts + self._prior) / (rate * days_buckets + self._prior)
        if self._seasonal:
            hours_counts, hours_buckets = self._hours.smoothed(when.hour, self._index)
            result *= (hours_counts + self._prior) / (rate * hours_buckets + self._prior)
        return result

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
        weight = self.factor(when)
        for position, decay in enumerate(self._level_decay):
            self._level_counts[position] = self._level_counts[position] * decay + count
            self._level_weights[position] = self._level_weights[position] * decay + weight
        self._total_counts = self._total_counts * self._decay + count
        self._total_buckets = self._total_buckets * self._decay + 1.0
        if self._seasonal:
            self._hours.add(when.hour, self._index, count)
        self._days.add(when.weekday(), self._index, count)
        self._index += 1

    def relevel(self, whens: Sequence[datetime], counts: Sequence[float]) -> None:
        """Restart the level from the given recent buckets (after a lasting shift was accepted)."""
        weight = sum(self.factor(when) for when in whens)
        total = float(sum(counts))
        for position in range(len(self._level_decay)):
            self._level_counts[position] = total
            self._level_weights[position] = weight
