"""Spike episodes in a bucketed count series, replayed causally.

Each bucket the detector forecasts the count from a seasonal baseline (level x hour-of-day x day-of-week,
see `baseline`). It sums counts and forecasts over trailing windows: every candidate window up to the one
pooled by the series' rate (the shortest expected to hold `window_expected` stories: 1 h for busy
watchlists, many hours for sparse ones), plus a longer window for slow ramps. Each sum is scored by a
negative binomial upper tail whose dispersion is fitted on the series' own window sums, starting from a
prior that falls with the window's length (bucket-to-bucket noise averages out, day-to-day swings do not).
The best score is compared with a threshold that spends the false-alarm budget (alerts per 30 days),
calibrated on the series' own tail of scores that could alert (see `calibration`). On sparse series
(pooled window longer than one bucket) a CUSUM of the log-likelihood ratio of a 4x rise accumulates
evidence of sustained moderate rises hour by hour; it spends part of the budget against its own calibrated
tail. Episodes open on an alert, escalate once when the window count doubles, and close after the window
has looked ordinary for a hold-down period. Buckets inside episodes, and the excess of unusually high
buckets, are kept out of the baseline so a spike never becomes "normal".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.spikes.baseline import SeasonalBaseline
from monitor.spikes.calibration import Dispersion, TailCalibration
from monitor.spikes.nbinom import nbinom_sf, nbinom_upper
from monitor.spikes.series import SeriesError, fill_gaps, infer_bucket, load_counts_csv

__all__ = [
    "DetectorSettings",
    "Episode",
    "SeriesError",
    "detect",
    "expected_counts",
    "load_counts_csv",
    "pick_window",
]

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
_MONTH = timedelta(days=30)


@dataclass(frozen=True)
class DetectorSettings:
    """How sure the detector must be, and how episodes open, escalate and close."""

    # Expected false alerts per watchlist per 30 days.
    false_alarms_per_30_days: float = 1.0
    # Fewest stories in the alerting window, and the least ratio of observed to expected (a spike is at
    # least 3x the usual count, the smallest burst the evaluation plants).
    min_count: int = 3
    min_ratio: float = 3.0
    # Candidate windows; the pooled window is the shortest expected to hold `window_expected` stories.
    windows: tuple[timedelta, ...] = tuple(timedelta(hours=h) for h in (1, 2, 3, 4, 6, 8, 12, 24))
    window_expected: float = 4.0
    # Second rule for slow ramps: a window this many times the pooled one (1 turns the rule off).
    ramp_factor: int = 4
    max_ramp_window: timedelta = timedelta(hours=48)
    # Third rule for sustained moderate rises in sparse series (pooled window longer than one bucket): a
    # CUSUM of the negative binomial log-likelihood ratio of `cusum_ratio` x the forecast against the
    # forecast (0 turns it off). Its excursion must reach `cusum_min_ratio` x its expectation.
    cusum_ratio: float = 4.0
    cusum_min_ratio: float = 3.5
    # The share of the false-alarm budget the CUSUM spends (threshold from its own tail); windows spend the rest.
    cusum_share: float = 0.75
    # An episode closes once its window has looked ordinary (p >= release_p) for `hold_down`.
    release_p: float = 0.05
    hold_down: timedelta = timedelta(hours=6)
    # An episode longer than this is taken as a new normal: it closes and the level restarts.
    max_episode: timedelta = timedelta(days=3)
    escalation_factor: float = 2.0
    # No alerts before this much history has been seen.
    warmup: timedelta = timedelta(days=7)
    # Baseline memory: level half-lives (the shortest resting on `level_events` stories is used).
    level_half_lives: tuple[timedelta, ...] = (timedelta(days=2), timedelta(days=7), timedelta(days=28))
    level_events: float = 50.0
    profile_half_life: timedelta = timedelta(days=28)
    # Seasonal factors are shrunk by this many stories: hour slots towards a smooth daily curve of
    # `profile_harmonics` harmonics, weekdays towards 1.
    profile_prior_events: float = 10.0
    profile_harmonics: int = 2
    # Counts above mean + clip_sigmas * sd are clipped before the baseline learns from them.
    clip_sigmas: float = 4.0
    # ... and at this many while a window already looks unusual (a burst building up before its alert).
    suspicious_clip_sigmas: float = 1.0
    # Dispersion prior (var = mean + phi * mean^2) of a window of L buckets: dispersion_prior_bucket / L +
    # dispersion_prior_shared (noise that is independent from bucket to bucket averages out over a window;
    # day-to-day swings and forecast error do not). Then its precision (1 / variance) and the clip of sums.
    dispersion_prior_bucket: float = 0.25
    dispersion_prior_shared: float = 0.05
    dispersion_prior_precision: float = 100.0
    dispersion_clip: float = 4.0
    # Tail calibration: reference p-value for peaks over threshold, and the prior's weight in runs.
    tail_reference_p: float = 0.01
    tail_prior_runs: float = 5.0


@dataclass(frozen=True)
class Episode:
    """One spike episode.

    start: first bucket of the alerting window counting above expectation; alerted_at: the bucket whose
    data made it fire; end: the first ordinary bucket, known once the hold-down has passed (None while
    open); observed/expected: the window count at the alert and its expectation; peak: the highest window
    count since; escalated_at: when the window count first reached twice `observed`; window: its length.
    """

    start: datetime
    end: datetime | None
    alerted_at: datetime
    peak: float
    expected: float
    escalated_at: datetime | None
    observed: int
    window: timedelta


def pick_window(rate_per_hour: float, bucket: timedelta, settings: DetectorSettings) -> timedelta:
    """The pooled window for a series with this mean rate: the shortest expected to hold enough stories."""
    candidates = _candidate_windows(bucket, settings)
    for window in candidates:
        if rate_per_hour * (window / _HOUR) >= settings.window_expected:
            return window
    return candidates[-1]


def detect(timestamps: Sequence[datetime], counts: Sequence[float], settings: DetectorSettings) -> list[Episode]:
    """Replay the series bucket by bucket and return its spike episodes in order (the last may be open).

    The bucket size is the smallest step between timestamps; missing buckets count as zero.
    """
    return _replay(timestamps, counts, settings)[0].finish()


def expected_counts(
    timestamps: Sequence[datetime], counts: Sequence[float], settings: DetectorSettings
) -> tuple[list[datetime], list[float]]:
    """The bucket grid (gaps filled) and the detector's causal forecast for each bucket (for charts)."""
    replay, whens = _replay(timestamps, counts, settings)
    return whens, replay.expected


def _replay(
    timestamps: Sequence[datetime], counts: Sequence[float], settings: DetectorSettings
) -> tuple[_Replay, list[datetime]]:
    if len(timestamps) != len(counts):
        raise SeriesError(f"{len(timestamps)} timestamps but {len(counts)} counts")
    bucket = infer_bucket(timestamps) if len(timestamps) >= 2 else _HOUR
    whens, values = fill_gaps(timestamps, counts, bucket)
    replay = _Replay(bucket, whens[0] if whens else datetime.min, settings)
    for index, (when, count) in enumerate(zip(whens, values, strict=True)):
        replay.step(index, when, count)
    return replay, whens


def _candidate_windows(bucket: timedelta, settings: DetectorSettings) -> list[timedelta]:
    candidates = sorted(window for window in settings.windows if window >= bucket and not window % bucket)
    return candidates or [bucket]


class _Sums:
    """Running prefix sums so any trailing window sum costs O(1)."""

    def __init__(self) -> None:
        self.cumulative = [0.0]

    def append(self, value: float) -> None:
        self.cumulative.append(self.cumulative[-1] + value)

    def rewrite(self, first: int, values: Sequence[float]) -> None:
        """Replace the values from position `first` to the end and redo their sums."""
        del self.cumulative[first + 1 :]
        for value in values:
            self.append(value)

    def trailing(self, length: int) -> float | None:
        end = len(self.cumulative) - 1
        if length > end:
            return None
        return self.cumulative[end] - self.cumulative[end - length]


@dataclass
class _Open:
    start: datetime
    alerted_at: datetime
    window: int
    observed: int
    expected: float
    peak: float
    escalated_at: datetime | None = None
    quiet_since: int | None = None

    def close(self, end: datetime | None, bucket: timedelta) -> Episode:
        return Episode(
            start=self.start,
            end=end,
            alerted_at=self.alerted_at,
            peak=self.peak,
            expected=self.expected,
            escalated_at=self.escalated_at,
            observed=self.observed,
            window=self.window * bucket,
        )


@dataclass(frozen=True)
class _Candidate:
    score: float
    length: int
    observed: float
    expected: float
    eligible: bool


class _Replay:
    """The detector's state while it walks the series."""

    def __init__(self, bucket: timedelta, first: datetime, settings: DetectorSettings) -> None:
        self.settings = settings
        self.bucket = bucket
        self.per_hour = _HOUR / bucket
        self.baseline = SeasonalBaseline(
            bucket,
            settings.level_half_lives,
            settings.level_events,
            settings.profile_half_life,
            settings.profile_prior_events,
            floor_per_bucket=bucket / _MONTH,
            profile_harmonics=settings.profile_harmonics,
        )
        self.lengths = [int(window / bucket) for window in _candidate_windows(bucket, settings)]
        longest_ramp = max(int(settings.max_ramp_window / bucket), 1)
        self.longest = max(longest_ramp, *self.lengths)
        self.ramp = {length: max(length, min(length * settings.ramp_factor, longest_ramp)) for length in self.lengths}
        decay = 0.5 ** (bucket / settings.profile_half_life)
        self.dispersion = {
            length: Dispersion(
                settings.dispersion_prior_bucket / length + settings.dispersion_prior_shared,
                settings.dispersion_prior_precision,
                decay,
                settings.dispersion_clip,
                length,
            )
            for length in sorted({1, *self.lengths, *self.ramp.values()})
        }
        self.hold_buckets = max(1, round(settings.hold_down / bucket))
        self.tail = TailCalibration(
            settings.tail_reference_p, settings.tail_prior_runs, decay, run_gap=self.hold_buckets
        )
        self.cusum_tail = TailCalibration(
            settings.tail_reference_p, settings.tail_prior_runs, decay, run_gap=self.hold_buckets
        )
        self.cusum_share = settings.cusum_share if settings.cusum_ratio > 1.0 else 0.0
        self.alpha = settings.false_alarms_per_30_days * (bucket / _MONTH)
        self.warm_until = first + settings.warmup
        self.learn_from = first + settings.warmup / 2
        self.raw = _Sums()
        # What the alert tests see: raw counts, except that buckets of past episodes count as expected,
        # so a long window does not fire again on a spike that already had its alert.
        self.tested = _Sums()
        self.forecast = _Sums()
        self.whens: list[datetime] = []
        self.values: list[float] = []
        self.expected: list[float] = []
        self.episodes: list[Episode] = []
        self.current: _Open | None = None
        self.cusum = 0.0
        self.cusum_from = 0

    def step(self, index: int, when: datetime, count: float) -> None:
        expected = self.baseline.expect(when)
        self.whens.append(when)
        self.values.append(count)
        self.expected.append(expected)
        self.raw.append(count)
        self.tested.append(count if self.current is None else expected)
        self.forecast.append(expected)
        learning = when >= self.learn_from
        suspicious = False
        self._accumulate(index, count if self.current is None else expected, expected)
        if self.current is not None:
            self._follow(index, when)
            self.tail.skip()
            self.cusum_tail.skip()
        else:
            tests = self._tests()
            share = self.cusum_share if tests[0] < self._primary() else 0.0
            candidates = (
                (self._best_window(tests), self.tail, self.alpha * (1.0 - share)),
                (self._cusum_candidate(index), self.cusum_tail, self.alpha * share),
            )
            for best, tail, alpha in candidates:
                if alpha <= 0:
                    continue
                suspicious = suspicious or (best is not None and best.score > tail.reference)
                threshold = tail.threshold(alpha)
                fires = (
                    self.current is None
                    and when >= self.warm_until
                    and best is not None
                    and best.eligible
                    and best.score > threshold
                )
                if fires:
                    assert best is not None
                    self._open(index, when, best)
                if learning:
                    # Only eligible candidates can alert, so the tail that spends the budget is theirs.
                    score = best.score if best is not None and best.eligible else 0.0
                    tail.observe(score, censored_at=threshold if fires else None)
        self._learn(when, count, expected, learning, suspicious)

    def finish(self) -> list[Episode]:
        if self.current is not None:
            self.episodes.append(self.current.close(None, self.bucket))
            self.current = None
        return self.episodes

    def _primary(self) -> int:
        """The pooled window's length in buckets at the current level."""
        rate = self.baseline.level() * self.per_hour
        return int(pick_window(rate, self.bucket, self.settings) / self.bucket)

    def _tests(self) -> list[int]:
        """Window lengths (in buckets) tested this bucket: all up to the pooled one, and the ramp window."""
        primary = self._primary()
        tests = [length for length in self.lengths if length <= primary]
        if self.ramp[primary] > primary:
            tests.append(self.ramp[primary])
        return tests

    def _accumulate(self, index: int, value: float, expected: float) -> None:
        """Advance the CUSUM: log-likelihood of `cusum_ratio` x the forecast against the forecast."""
        ratio = self.settings.cusum_ratio
        if ratio <= 1.0 or expected <= 0:
            return
        phi = self.dispersion[1].phi
        if phi <= 1e-9:
            step = value * math.log(ratio) - (ratio - 1.0) * expected
        else:
            size = 1.0 / phi
            step = value * math.log(ratio * (size + expected) / (size + ratio * expected)) + size * math.log(
                (size + expected) / (size + ratio * expected)
            )
        if self.cusum <= 0.0:
            self.cusum_from = index
        self.cusum = max(0.0, self.cusum + step)

    def _cusum_candidate(self, index: int) -> _Candidate | None:
        """The CUSUM's excursion as a window from its first bucket, scored by the CUSUM value.

        The value is a log-likelihood ratio, whose exceedance probability under the forecast is at most
        exp(-value) (Wald), so it is on the scale of -ln(p); its own tail calibration sets its threshold.
        """
        if self.cusum <= 0.0:
            return None
        # On a sparse series an excursion can last weeks (a quiet bucket lowers the sum very little), so
        # the window it points at is its longest stretch up to the longest ramp window that is eligible.
        # The fewest stories must also lie in the pooled window, so old stories alone never make an alert.
        recent = (self.tested.trailing(self._primary()) or 0.0) >= self.settings.min_count
        excursion = min(index - self.cusum_from + 1, self.longest)
        fallback: _Candidate | None = None
        for length in [excursion, *sorted((n for n in self.dispersion if n < excursion), reverse=True)]:
            observed = self.tested.trailing(length)
            mean = self.forecast.trailing(length)
            if observed is None or mean is None:
                continue
            eligible = recent and observed >= self.settings.cusum_min_ratio * mean
            candidate = _Candidate(self.cusum, length, observed, mean, eligible)
            if eligible:
                return candidate
            fallback = fallback or candidate
        return fallback

    def _best_window(self, tests: Sequence[int]) -> _Candidate | None:
        """The highest-scoring window; the score is -ln(p) less ln(number of windows) (Bonferroni)."""
        penalty = math.log(len(tests))
        best: _Candidate | None = None
        for length in tests:
            observed = self.tested.trailing(length)
            mean = self.forecast.trailing(length)
            if observed is None or mean is None:
                continue
            phi = self.dispersion[length].phi
            if observed <= nbinom_upper(mean, phi, 2.0):
                continue  # far from the tail: not worth the incomplete beta
            p_value = nbinom_sf(observed, mean, phi)
            score = -math.log(max(p_value, 1e-300)) - penalty
            eligible = observed >= self.settings.min_count and observed >= self.settings.min_ratio * mean
            candidate = _Candidate(score, length, observed, mean, eligible)
            if best is None or (candidate.eligible, candidate.score) > (best.eligible, best.score):
                best = candidate
        return best

    def _open(self, index: int, when: datetime, best: _Candidate) -> None:
        first = index - best.length + 1
        start = next((j for j in range(first, index + 1) if self.values[j] > self.expected[j]), index)
        # A CUSUM excursion can have any length: follow the episode over the nearest fitted window.
        window = min((length for length in self.dispersion if length >= best.length), default=max(self.dispersion))
        self.current = _Open(
            start=self.whens[start],
            alerted_at=when,
            window=window,
            observed=round(best.observed),
            expected=best.expected,
            peak=best.observed,
        )
        self.tested.rewrite(start, self.expected[start:])
        self.cusum = 0.0

    def _follow(self, index: int, when: datetime) -> None:
        """Grow, escalate or close the open episode."""
        current = self.current
        assert current is not None
        settings = self.settings
        observed = self.raw.trailing(current.window) or 0.0
        mean = self.forecast.trailing(current.window) or 0.0
        current.peak = max(current.peak, observed)
        if current.escalated_at is None and observed >= settings.escalation_factor * current.observed:
            current.escalated_at = when
        phi = self.dispersion[current.window].phi
        elevated = observed >= settings.min_count and nbinom_sf(observed, mean, phi) < settings.release_p
        if elevated:
            current.quiet_since = None
        elif current.quiet_since is None:
            current.quiet_since = index
        if current.quiet_since is not None and index - current.quiet_since + 1 >= self.hold_buckets:
            self.episodes.append(current.close(self.whens[current.quiet_since], self.bucket))
            self.current = None
        elif when - current.start >= settings.max_episode:
            self.episodes.append(current.close(when, self.bucket))
            self.current = None
            day = max(1, int(_DAY / self.bucket))
            self.baseline.relevel(self.whens[-day:], self.values[-day:])

    def _learn(self, when: datetime, count: float, expected: float, learning: bool, suspicious: bool) -> None:
        """Feed the baseline the cleaned count, and the dispersion fits the window sums outside episodes.

        For the baseline, buckets of an episode count as expected; other buckets are clipped, tightly
        while their window already looks unusual (a burst building up before its alert). In the first half
        of the warm-up the counts are taken unclipped.
        """
        if not learning:
            cleaned = count  # too early to tell a spike from the level: take counts as they come
        elif self.current is not None:
            cleaned = expected
        else:
            sigmas = self.settings.suspicious_clip_sigmas if suspicious else self.settings.clip_sigmas
            cleaned = min(count, nbinom_upper(expected, self.dispersion[1].phi, sigmas) + (0.0 if suspicious else 1.0))
        self.baseline.learn(when, cleaned)
        if not learning:
            return
        for length, estimate in self.dispersion.items():
            observed = self.tested.trailing(length)
            mean = self.forecast.trailing(length)
            if observed is not None and mean is not None:
                estimate.add(observed, mean)
